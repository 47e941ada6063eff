"""How long a sign-in lasts (issue 15, finding 9): 12 hours, or 14 days when the person asks to be
remembered, counted from the sign-in whatever happens after; and an optional idle limit."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.utils import timezone

from conftest import PASSWORD
from kalrav.accounts import twofactor


def _signin(client, user, **extra):
    response = client.post(
        "/accounts/signin/", {"email": user.email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 302
    return response


def _signed_in(client) -> bool:
    response = client.get("/accounts/settings/")
    return response.status_code == 200


@pytest.fixture
def person(members):
    return members["editor"].user


def test_a_sign_in_lasts_12_hours_however_busy(client, person, workspace):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _signin(client, person)
        # Activity (each request writes the session) must not stretch the limit.
        for _hour in range(11):
            clock.shift(timedelta(hours=1))
            assert _signed_in(client)
            client.get(f"/w/{workspace.slug}/settings/brand/")
        clock.shift(timedelta(minutes=59))
        assert _signed_in(client)
        clock.shift(timedelta(minutes=2))
        assert not _signed_in(client)


def test_remember_me_keeps_the_sign_in_for_14_days(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        response = _signin(client, person, remember="on")
        cookie = response.cookies["sessionid"]
        assert 14 * 24 * 3600 - 5 <= int(cookie["max-age"]) <= 14 * 24 * 3600
        clock.shift(timedelta(days=13, hours=23))
        assert _signed_in(client)
        clock.shift(timedelta(hours=2))
        assert not _signed_in(client)


def test_without_remember_me_the_cookie_says_12_hours(client, person):
    response = _signin(client, person)
    assert 12 * 3600 - 5 <= int(response.cookies["sessionid"]["max-age"]) <= 12 * 3600


def test_the_sign_in_page_offers_remember_me(client, db):
    page = client.get("/accounts/signin/").content.decode()
    assert 'name="remember"' in page
    assert "14 days" in page


def test_an_idle_session_ends_when_the_setting_asks(client, person, settings):
    settings.SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _signin(client, person, remember="on")
        clock.shift(timedelta(minutes=29))
        assert _signed_in(client)
        clock.shift(timedelta(minutes=29))
        assert _signed_in(client), "each request counts as activity"
        clock.shift(timedelta(minutes=31))
        assert not _signed_in(client)


def test_no_idle_limit_by_default(client, person, settings):
    assert settings.SESSION_IDLE_MINUTES == 0
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _signin(client, person)
        clock.shift(timedelta(hours=5))
        assert _signed_in(client)


def test_remember_me_survives_the_two_factor_step(client, person):
    secret = twofactor.new_secret()
    assert twofactor.confirm(person, secret, pyotp.TOTP(secret).now())
    _signin(client, person, remember="on")
    next_code = pyotp.TOTP(secret).at(timezone.now().timestamp() + 30)
    response = client.post("/accounts/signin/verify/", {"code": next_code})
    assert response.status_code == 302
    assert 14 * 24 * 3600 - 5 <= int(response.cookies["sessionid"]["max-age"]) <= 14 * 24 * 3600
