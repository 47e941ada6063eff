"""`kalrav x_webhook` against a fake of X's webhook endpoints: every request and every answer is
checked against X's OpenAPI description (openapi.py), and X's CRC check is a real GET to Kalrav's
own /hooks/networks/x/ route, answered with the HMAC of the consumer secret Kalrav is set with.
Refusals are checked by the words an operator reads."""

from __future__ import annotations

import io
import itertools
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from kalrav.connectors.networks.x import activity
from kalrav.connectors.networks.x.tests.fake import FIXTURES
from kalrav.connectors.networks.x.tests.openapi import (
    check_request,
    check_response,
    require_contract,
)
from kalrav.connectors.testing import recorded

TOKEN = "app-only-bearer-token"
SECRET = "consumer-secret-for-tests"
PUBLIC = "https://kalrav.example.org"
URL = PUBLIC + "/hooks/networks/x/"
READY = {
    "PUBLIC_URL": PUBLIC,
    "X_BEARER_TOKEN": TOKEN,
    "X_CONSUMER_SECRET": SECRET,
    "X_WEBHOOK_ID": "",
    # The fake answers for api.x.com without a network: the address guard would resolve it.
    "ALLOW_PRIVATE_ADDRESSES": True,
}


def _not_found(webhook_id: str) -> httpx.Response:
    return httpx.Response(
        404,
        json={
            "type": "https://api.x.com/2/problems/resource-not-found",
            "title": "Not Found Error",
            "detail": f"Could not find webhook with id: [{webhook_id}].",
            "resource_type": "webhook",
            "parameter": "webhook_id",
            "value": webhook_id,
        },
    )


class FakeXApp:
    """X's webhook endpoints as the app's bearer token sees them: one app, its webhooks, and the
    accounts subscribed to each."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.hooks: dict[str, dict[str, Any]] = {}
        self.subscribed: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, operation template)
        # How X answers a registration whose CRC check fails: a 400, or a webhook marked invalid.
        self.failed_registration = "refused"
        self.next_answer: httpx.Response | None = None
        self._ids = itertools.count(1146654567674912769)
        router.route(host="api.x.com").mock(side_effect=self._handle)

    def crc(self, url: str) -> bool:
        """X's CRC GET, through Kalrav's own route; X knows the app's real consumer secret."""
        token = secrets.token_urlsafe(16)
        response = Client().get(urlsplit(url).path, {"crc_token": token})
        if response.status_code != 200:
            return False
        expected = activity.signature(SECRET, token.encode())
        return json.loads(response.content).get("response_token") == expected

    def add(self, url: str = URL, *, valid: bool = True, subscribers: int = 0) -> str:
        hook_id = str(next(self._ids))
        self.hooks[hook_id] = {
            "id": hook_id,
            "url": url,
            "valid": valid,
            "created_at": "2026-12-07T06:00:00.000Z",
        }
        self.subscribed[hook_id] = [str(2244994945 + n) for n in range(subscribers)]
        return hook_id

    def _handle(self, request: httpx.Request) -> httpx.Response:
        template = check_request(request)
        self.requests.append((request.method, template))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return check_response(request, recorded(FIXTURES, "error_401").response())
        if self.next_answer is not None:
            answer, self.next_answer = self.next_answer, None
            return check_response(request, answer)
        return check_response(request, self._answer(request, template))

    def _answer(self, request: httpx.Request, template: str) -> httpx.Response:
        if (request.method, template) == ("GET", "/2/webhooks"):
            data = list(self.hooks.values())
            body: dict[str, Any] = {"meta": {"result_count": len(data)}}
            if data:
                body["data"] = data
            return httpx.Response(200, json=body)
        if (request.method, template) == ("POST", "/2/webhooks"):
            return self._create(json.loads(request.content)["url"])
        # /2/webhooks/{id} and /2/account_activity/webhooks/{id}/subscriptions/all/list
        parts = request.url.path.split("/")
        hook_id = parts[3] if template.startswith("/2/webhooks/") else parts[4]
        if hook_id not in self.hooks:
            return _not_found(hook_id)
        if request.method == "PUT":
            self.hooks[hook_id]["valid"] = self.crc(self.hooks[hook_id]["url"])
            return httpx.Response(200, json={"data": {"valid": self.hooks[hook_id]["valid"]}})
        if request.method == "DELETE":
            del self.hooks[hook_id], self.subscribed[hook_id]
            return httpx.Response(200, json={"data": {"deleted": True}})
        data = {
            "application_id": "29150327",
            "webhook_id": hook_id,
            "webhook_url": self.hooks[hook_id]["url"],
            "subscriptions": [{"user_id": user} for user in self.subscribed[hook_id]],
        }
        return httpx.Response(200, json={"data": data})

    def _create(self, url: str) -> httpx.Response:
        valid = self.crc(url)
        if not valid and self.failed_registration == "refused":
            return httpx.Response(
                400,
                json={
                    "type": "https://api.x.com/2/problems/invalid-request",
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "errors": [{"message": "CRC validation failed for the webhook URL."}],
                },
            )
        hook_id = self.add(url, valid=valid)
        return httpx.Response(200, json={"data": self.hooks[hook_id]})


@pytest.fixture
def x() -> Iterator[FakeXApp]:
    require_contract()
    with respx.mock(assert_all_called=False) as router, override_settings(**READY):
        yield FakeXApp(router)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("x_webhook", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


# --- register --------------------------------------------------------------------------------


def test_register_prints_the_id_and_the_line_to_add(x) -> None:
    out = run("register")
    [hook_id] = x.hooks
    assert x.hooks[hook_id]["url"] == URL
    assert x.hooks[hook_id]["valid"] is True
    assert f"KALRAV_X_WEBHOOK_ID={hook_id}" in out.splitlines()
    assert f"as webhook {hook_id}; its CRC check passed" in out
    assert x.requests == [("GET", "/2/webhooks"), ("POST", "/2/webhooks")]


def test_register_again_gives_back_the_webhook_x_has(x) -> None:
    hook_id = x.add()
    with override_settings(X_WEBHOOK_ID=hook_id):
        out = run("register")
    assert f"already, as webhook {hook_id} (valid)" in out
    assert "KALRAV_X_WEBHOOK_ID is set to it already." in out
    assert ("POST", "/2/webhooks") not in x.requests


@pytest.mark.parametrize("how", ["refused", "invalid"])
def test_a_failed_crc_check_leaves_no_webhook(x, how) -> None:
    x.failed_registration = how
    with override_settings(X_CONSUMER_SECRET="not-the-app-secret"):
        message = refused("register")
    assert x.hooks == {}
    if how == "refused":
        assert message == "CRC validation failed for the webhook URL."
    else:
        assert f"X could not check {URL} (its CRC check failed)" in message
        assert message.endswith("The registration was withdrawn.")
        assert x.requests[-1] == ("DELETE", "/2/webhooks/{webhook_id}")


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        ({"PUBLIC_URL": ""}, "KALRAV_PUBLIC_URL is not set"),
        (
            {"PUBLIC_URL": "http://kalrav.example.org"},
            "KALRAV_PUBLIC_URL is http://kalrav.example.org: X delivers only to https://",
        ),
        ({"PUBLIC_URL": "https://kalrav.example.org:8443"}, "X takes no port"),
        ({"X_BEARER_TOKEN": ""}, "KALRAV_X_BEARER_TOKEN is not set"),
        ({"X_CONSUMER_SECRET": ""}, "KALRAV_X_CONSUMER_SECRET is not set"),
    ],
)
def test_register_refuses_before_asking_x(x, changed, words) -> None:
    with override_settings(**changed):
        assert words in refused("register")
    assert x.requests == []


def _x_refuses(status: int) -> httpx.Response:
    if status == 429:
        limited = recorded(FIXTURES, "rate_limited")
        headers = {**limited.headers, "x-rate-limit-reset": str(int(time.time()) + 900)}
        return httpx.Response(429, json=limited.body, headers=headers)
    # X's words when the app's access level has no Account Activity API (as fake.py answers).
    body = {"code": 453, "message": "You currently have access to a subset of X API V2 endpoints"}
    return httpx.Response(status, json=body)


def test_a_wrong_bearer_token_is_named(x) -> None:
    with override_settings(X_BEARER_TOKEN="revoked-token"):
        message = refused("register")
    assert message.startswith("X refused the app's bearer token (Unauthorized)")
    assert "KALRAV_X_BEARER_TOKEN" in message
    assert x.hooks == {}


def test_no_account_activity_access_says_so(x) -> None:
    x.next_answer = _x_refuses(403)
    message = refused("status")
    assert message.startswith("X refused (You currently have access to a subset")
    assert "may not include the Account Activity API" in message


def test_a_rate_limit_says_how_long_to_wait(x) -> None:
    x.next_answer = _x_refuses(429)
    assert refused("register") in (
        f"X's rate limit (Too Many Requests): try again in {minutes} minutes."
        for minutes in (14, 15)
    )
    assert x.hooks == {}


# --- status, validate, delete ----------------------------------------------------------------


def test_status_lists_each_webhook_with_its_subscriptions(x) -> None:
    ours = x.add(subscribers=2)
    other = x.add("https://old.example.org/hooks/networks/x/", valid=False)
    with override_settings(X_WEBHOOK_ID=ours):
        lines = run("status").splitlines()
    assert lines == [
        f"{ours} valid {URL} (created 2026-12-07T06:00:00.000Z): 2 accounts subscribed"
        "  [KALRAV_X_WEBHOOK_ID]",
        f"{other} invalid https://old.example.org/hooks/networks/x/"
        " (created 2026-12-07T06:00:00.000Z): 0 accounts subscribed",
    ]
    assert (
        "GET",
        "/2/account_activity/webhooks/{webhook_id}/subscriptions/all/list",
    ) in x.requests


@pytest.mark.parametrize(
    ("configured", "valid", "words"),
    [
        ("", True, "KALRAV_X_WEBHOOK_ID is not set; `kalrav x_webhook register` gives it."),
        ("42", True, "KALRAV_X_WEBHOOK_ID is 42, which X does not hold for this app."),
        (None, False, "is invalid: X delivers nothing to it"),
    ],
)
def test_status_fails_when_the_configured_webhook_is_not_usable(
    x, configured, valid, words
) -> None:
    hook_id = x.add(valid=valid, subscribers=1)
    with override_settings(X_WEBHOOK_ID=hook_id if configured is None else configured):
        assert words in refused("status")


def test_validate_asks_x_for_a_new_crc_check(x) -> None:
    hook_id = x.add(valid=False)
    with override_settings(X_WEBHOOK_ID=hook_id):
        assert run("validate").strip() == f"X checked webhook {hook_id} again: valid."
    assert x.hooks[hook_id]["valid"] is True
    assert x.requests == [("PUT", "/2/webhooks/{webhook_id}"), ("GET", "/2/webhooks")]


def test_validate_believes_the_webhooks_state_not_the_trigger(x) -> None:
    hook_id = x.add(valid=False)
    x.next_answer = httpx.Response(200, json={"data": {"valid": True}})  # triggered, not passed
    assert refused("validate", hook_id).startswith(f"X's CRC check of webhook {hook_id} failed")


def test_validate_with_the_wrong_consumer_secret_fails(x) -> None:
    hook_id = x.add()
    with override_settings(X_CONSUMER_SECRET="not-the-app-secret"):
        message = refused("validate", hook_id)
    assert message.startswith(f"X's CRC check of webhook {hook_id} failed")
    assert x.hooks[hook_id]["valid"] is False


def test_validate_needs_an_id(x) -> None:
    assert refused("validate") == "Give the webhook id, or set KALRAV_X_WEBHOOK_ID."
    assert x.requests == []


def test_delete_removes_the_webhook_and_says_what_to_unset(x) -> None:
    hook_id = x.add(subscribers=1)
    with override_settings(X_WEBHOOK_ID=hook_id):
        out = run("delete", hook_id)
    assert x.hooks == {}
    assert out.splitlines()[0] == f"X deleted webhook {hook_id}."
    assert "Remove KALRAV_X_WEBHOOK_ID" in out


def test_delete_of_an_unknown_webhook_gives_xs_reason(x) -> None:
    assert refused("delete", "1234") == "Could not find webhook with id: [1234]."


def test_an_id_that_is_no_x_id_is_refused_before_asking(x) -> None:
    assert refused("delete", "../2/tweets") == (
        "../2/tweets is no X webhook id (X's ids are up to 19 digits)."
    )
    assert x.requests == []
