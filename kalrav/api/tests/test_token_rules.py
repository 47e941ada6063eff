"""What a token may do to its own user and to other tokens (issue 15, findings 1 and 2)."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.utils import timezone

from conftest import PASSWORD
from kalrav.accounts import twofactor
from kalrav.api import tokens
from kalrav.api.models import ApiToken
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member


def _token(member, role=None, days=None):
    return tokens.create_token(
        member, Actor(user=member.user), name="script", role=role or member.role, days=days
    )


def _auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


# --- finding 1: leaving a workspace through a token ----------------------------------------


def test_a_read_only_token_cannot_remove_its_own_users_membership(client, members, workspace):
    manager = members["manager"]
    _, narrow = _token(manager, role="client")
    kept, _ = _token(manager)
    response = client.delete(
        f"/api/v1/workspaces/{workspace.slug}/members/{manager.pk}", **_auth(narrow)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Member.objects.get(pk=manager.pk).role == "manager"
    assert ApiToken.objects.get(pk=kept.pk).revoked_at is None


def test_a_token_with_its_users_whole_role_may_leave(client, members, workspace):
    editor = members["editor"]
    _, token = _token(editor)
    response = client.delete(
        f"/api/v1/workspaces/{workspace.slug}/members/{editor.pk}", **_auth(token)
    )
    assert response.status_code == 204
    assert not Member.objects.filter(pk=editor.pk).exists()


# --- finding 2: tokens come from signed-in sessions ----------------------------------------


def test_a_token_cannot_create_or_renew_tokens(client, members, workspace):
    owner = members["owner"]
    record, token = _token(owner)
    url = f"/api/v1/workspaces/{workspace.slug}/tokens"
    response = _post_json(client, url, {"name": "child", "role": "client"}, **_auth(token))
    assert response.status_code == 403
    assert "signed-in session" in response.json()["message"]
    assert ApiToken.objects.count() == 1
    renewed = client.post(f"{url}/{record.pk}/renew", **_auth(token))
    assert renewed.status_code == 403
    assert ApiToken.objects.get(pk=record.pk).expires_at == record.expires_at


def test_a_session_creates_tokens_that_expire_after_90_days_by_default(client, members, workspace):
    client.force_login(members["editor"].user)
    url = f"/api/v1/workspaces/{workspace.slug}/tokens"
    response = _post_json(client, url, {"name": "report", "role": "editor"})
    assert response.status_code == 201, response.content
    record = ApiToken.objects.get()
    assert abs(record.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    page = client.get(f"/w/{workspace.slug}/settings/tokens/").content.decode()
    assert "Expires" in page

    client.post(f"/w/{workspace.slug}/settings/tokens/", {"name": "web", "role": "editor"})
    made_on_the_page = ApiToken.objects.get(name="web")
    assert made_on_the_page.expires_at is not None
    lifetime = made_on_the_page.expires_at - made_on_the_page.created_at
    assert abs(lifetime - timedelta(days=90)) < timedelta(seconds=1)


def test_a_session_renews_a_token_for_another_90_days(client, members, workspace):
    editor = members["editor"]
    record, token = _token(editor, days=3)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client.force_login(editor.user)
        response = client.post(f"/w/{workspace.slug}/settings/tokens/{record.pk}/renew/")
        assert response.status_code == 302
        assert response["Location"] == f"/w/{workspace.slug}/settings/tokens/"
        record.refresh_from_db()
        assert abs(record.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert client.get(f"/api/v1/workspaces/{workspace.slug}", **_auth(token)).status_code == 200


def test_a_two_factor_user_needs_a_two_factor_session_to_create_tokens(client, members, workspace):
    owner = members["owner"]
    secret = twofactor.new_secret()
    assert twofactor.confirm(owner.user, secret, pyotp.TOTP(secret).now())
    owner.user.totp_last_step = 0
    owner.user.save(update_fields=["totp_last_step"])

    client.force_login(owner.user)  # a session that never gave a code
    page = client.post(f"/w/{workspace.slug}/settings/tokens/", {"name": "x", "role": "client"})
    assert page.status_code == 403
    api = _post_json(
        client, f"/api/v1/workspaces/{workspace.slug}/tokens", {"name": "x", "role": "client"}
    )
    assert api.status_code == 403
    assert not ApiToken.objects.exists()

    client.logout()
    client.post("/accounts/signin/", {"email": owner.user.email, "password": PASSWORD})
    client.post("/accounts/signin/verify/", {"code": pyotp.TOTP(secret).now()})
    page = client.post(f"/w/{workspace.slug}/settings/tokens/", {"name": "x", "role": "client"})
    assert page.status_code == 200
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("change", ["password", "two_factor_on", "two_factor_reset"])
def test_tokens_stop_when_the_password_or_two_factor_changes(client, members, workspace, change):
    user = members["editor"].user
    if change == "two_factor_reset":
        secret = twofactor.new_secret()
        twofactor.confirm(user, secret, pyotp.TOTP(secret).now())
    _, token = _token(members["editor"])
    url = f"/api/v1/workspaces/{workspace.slug}"
    assert client.get(url, **_auth(token)).status_code == 200
    # Saving the person for another reason leaves their tokens alone.
    user.first_name = "Eddie"
    user.save()
    assert client.get(url, **_auth(token)).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        if change == "password":
            user.set_password("a new long passphrase")
            user.save()
        elif change == "two_factor_on":
            secret = twofactor.new_secret()
            twofactor.confirm(user, secret, pyotp.TOTP(secret).now())
        else:
            twofactor.disable(user)
        assert client.get(url, **_auth(token)).status_code == 401
        client.force_login(user)
        listed = client.get(f"/w/{workspace.slug}/settings/tokens/").content.decode()
        assert "Stopped" in listed


def test_a_password_reset_stops_tokens(client, members, workspace):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = members["agent"].user
    _, token = _token(members["agent"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        form_page = client.get(link, follow=True)
        client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        )
        user.refresh_from_db()
        assert user.check_password("a brand new passphrase")
        assert client.get(f"/api/v1/workspaces/{workspace.slug}", **_auth(token)).status_code == 401
