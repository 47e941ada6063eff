"""Meta's webhook signature and subscribe handshake, with real HMAC over real bytes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.test import override_settings

from kalrav.connectors.networks.facebook import webhooks

BODY = b'{"object":"page","entry":[{"id":"1","time":1,"changes":[]}]}'


def signed(body: bytes, secret: str = "app-secret") -> dict[str, str]:  # noqa: S107
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def test_good_signature_passes_in_any_header_case():
    webhooks.verify_signature("app-secret", signed(BODY), BODY)
    lower = {key.lower(): value for key, value in signed(BODY).items()}
    webhooks.verify_signature("app-secret", lower, BODY)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": ""},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        signed(BODY, "other-secret"),
        signed(BODY + b" "),  # one byte more than what was signed
        {"X-Hub-Signature": "sha1=abc"},  # the old SHA-1 header alone is not enough
    ],
)
def test_missing_or_wrong_signature_is_refused(headers):
    with pytest.raises(PermissionError):
        webhooks.verify_signature("app-secret", headers, BODY)


def test_no_secret_configured_refuses_everything():
    with pytest.raises(PermissionError):
        webhooks.verify_signature("", signed(BODY, ""), BODY)


def test_subscribe_handshake():
    query = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    answer = webhooks.answer_subscribe(query, "vt")
    assert answer is not None
    assert (answer.status, answer.body) == (200, "1158201444")
    with pytest.raises(PermissionError):
        webhooks.answer_subscribe({**query, "hub.verify_token": "guess"}, "vt")
    with pytest.raises(PermissionError):
        webhooks.answer_subscribe(query, "")  # none configured: nothing matches
    assert webhooks.answer_subscribe({"hub.challenge": "1"}, "vt") is None


def test_settings_readers():
    with override_settings(META_APP_ID="1", META_APP_SECRET="s", META_WEBHOOK_VERIFY_TOKEN="v"):
        assert (
            webhooks.meta_app_id(),
            webhooks.meta_app_secret(),
            webhooks.meta_verify_token(),
        ) == ("1", "s", "v")
