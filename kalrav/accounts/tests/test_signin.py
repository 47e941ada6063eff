from __future__ import annotations

import re

import pyotp
import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conftest import PASSWORD, make_user
from kalrav.accounts import twofactor
from kalrav.accounts.models import User


@pytest.fixture
def person(db) -> User:
    return make_user("mitali@example.test", first_name="Mitali", language="bn")


def _signin(client, email, password, **extra):
    return client.post("/accounts/signin/", {"email": email, "password": password, **extra})


def test_signin_and_signout(client, person):
    response = _signin(client, "MITALI@example.test", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    # The interface follows the person's own language from the first page.
    assert response.cookies["django_language"].value == "bn"
    response = client.post("/accounts/signout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_is_refused_without_saying_which_part(client, person):
    response = _signin(client, person.email, "not the password")
    assert response.status_code == 400
    assert "The email or password is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signout_needs_post(client, person):
    client.force_login(person)
    assert client.get("/accounts/signout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_next_is_followed_only_on_this_site(client, person):
    assert (
        _signin(client, person.email, PASSWORD, next="/accounts/settings/")["Location"]
        == "/accounts/settings/"
    )
    client.post("/accounts/signout/")
    assert _signin(client, person.email, PASSWORD, next="https://evil.example/")["Location"] == "/"


def test_signin_is_rate_limited_per_account(client, person, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        assert _signin(client, person.email, "wrong").status_code == 400
    # Even the right password is refused while the account is locked.
    response = _signin(client, person.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_expires(client, person, settings):
    settings.SIGNIN_LOCKOUT_SECONDS = 2
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        _signin(client, person.email, "wrong")
    assert _signin(client, person.email, PASSWORD).status_code == 429
    import time

    time.sleep(2.2)
    assert _signin(client, person.email, PASSWORD).status_code == 302


def test_unknown_accounts_count_too(client, db, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        _signin(client, "nobody@example.test", "guess")
    assert _signin(client, "nobody@example.test", "guess").status_code == 429


# --- two-factor ------------------------------------------------------------------------------


def _next_code(secret: str) -> str:
    """The code of the next time step: setting up consumed the current one."""
    return pyotp.TOTP(secret).at(timezone.now().timestamp() + 30)


def _enable_totp(client, person) -> str:
    client.force_login(person)
    client.get("/accounts/two-factor/")
    secret = client.session["kalrav_totp_setup"]
    response = client.post("/accounts/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    client.post("/accounts/signout/")
    return secret


def test_totp_setup_rejects_a_wrong_code_and_changes_nothing(client, person):
    client.force_login(person)
    client.get("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/", {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    person.refresh_from_db()
    assert not person.has_two_factor
    assert person.totp_secret == ""


def test_totp_secret_is_encrypted_at_rest(client, person):
    secret = _enable_totp(client, person)
    person.refresh_from_db()
    assert person.has_two_factor
    assert secret not in person.totp_secret


def test_signin_with_totp(client, person):
    secret = _enable_totp(client, person)
    response = _signin(client, person.email, PASSWORD)
    assert response["Location"].startswith("/accounts/signin/verify/")
    assert "_auth_user_id" not in client.session, "the password alone must not sign in"
    response = client.post("/accounts/signin/verify/", {"code": "123456"})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/signin/verify/", {"code": _next_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_a_totp_code_works_only_once(client, person):
    secret = _enable_totp(client, person)
    code = _next_code(secret)
    _signin(client, person.email, PASSWORD)
    assert client.post("/accounts/signin/verify/", {"code": code}).status_code == 302
    client.post("/accounts/signout/")
    _signin(client, person.email, PASSWORD)
    client.cookies["django_language"] = "en"  # the person reads Bengali; the check reads English
    response = client.post("/accounts/signin/verify/", {"code": code})
    assert response.status_code == 400
    assert "already used" in response.content.decode()


def test_pending_two_factor_signin_expires(client, person):
    secret = _enable_totp(client, person)
    _signin(client, person.email, PASSWORD)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=10)):
        response = client.post("/accounts/signin/verify/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signin/"
    assert "_auth_user_id" not in client.session


def test_disabling_totp_needs_password_and_code(client, person):
    secret = _enable_totp(client, person)
    person.refresh_from_db()
    client.force_login(person)
    assert (
        client.post(
            "/accounts/two-factor/disable/", {"password": "wrong", "code": _next_code(secret)}
        ).status_code
        == 400
    )
    person.refresh_from_db()
    assert person.has_two_factor
    response = client.post(
        "/accounts/two-factor/disable/", {"password": PASSWORD, "code": _next_code(secret)}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.has_two_factor


def test_totp_accepts_one_step_of_drift(person):
    secret = twofactor.new_secret()
    previous = pyotp.TOTP(secret).at(timezone.now().timestamp() - 30)
    assert twofactor.verify_for_setup(secret, previous)
    assert not twofactor.verify_for_setup(
        secret, pyotp.TOTP(secret).at(timezone.now().timestamp() - 120)
    )


# --- password reset --------------------------------------------------------------------------


def test_password_reset_by_email(client, person):
    response = client.post("/accounts/password/reset/", {"email": person.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_path = response.redirect_chain[-1][0]
    response = client.post(
        form_path,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a brand new passphrase")


def test_password_reset_does_not_reveal_accounts(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


# --- language ----------------------------------------------------------------------------------


def test_language_switch_is_remembered_for_the_person(client, person):
    client.force_login(person)
    response = client.post("/i18n/language/", {"language": "gu", "next": "/accounts/settings/"})
    assert response["Location"] == "/accounts/settings/"
    person.refresh_from_db()
    assert person.language == "gu"
    page = client.get("/accounts/settings/")
    assert page.headers["Content-Language"] == "gu"


def test_unknown_language_is_ignored(client, person):
    client.force_login(person)
    client.post("/i18n/language/", {"language": "xx"})
    person.refresh_from_db()
    assert person.language == "bn"
