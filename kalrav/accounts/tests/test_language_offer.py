"""Sign-in offers the browser's language once when it differs from the saved one."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, make_user
from kalrav.accounts.models import User


@pytest.fixture
def person(db) -> User:
    return make_user("aris@example.test", first_name="Aris", language="en")


def _signin(client, person, accept: str):
    return client.post(
        "/accounts/signin/",
        {"email": person.email, "password": PASSWORD, "next": "/accounts/settings/"},
        HTTP_ACCEPT_LANGUAGE=accept,
    )


def test_a_browser_in_another_language_is_offered_the_switch(client, person):
    _signin(client, person, "el-GR,el;q=0.9,en;q=0.5")
    page = client.get("/accounts/settings/").content.decode()
    assert "language-offer" in page
    # The switch is labelled in the language it offers; keeping the saved one in the saved one.
    assert "Ελληνικά" in page and 'value="el"' in page
    assert "Keep English" in page
    client.post("/i18n/language/", {"language": "el", "next": "/"})
    person.refresh_from_db()
    assert person.language == "el"
    assert "language-offer" not in client.get("/accounts/settings/").content.decode()


def test_keeping_the_saved_language_is_remembered(client, person):
    _signin(client, person, "bn,en;q=0.5")
    assert "language-offer" in client.get("/accounts/settings/").content.decode()
    response = client.post("/i18n/language/", {"language": "en", "next": "/"})
    assert response.cookies["kalrav_language_kept"].value == "bn"
    person.refresh_from_db()
    assert person.language == "en"
    client.post("/accounts/signout/")
    _signin(client, person, "bn,en;q=0.5")
    assert "language-offer" not in client.get("/accounts/settings/").content.decode()


@pytest.mark.parametrize("accept", ["en-GB,en;q=0.9", "fr-FR,de;q=0.8", ""])
def test_no_offer_when_the_browser_asks_for_the_same_or_an_unknown_language(client, person, accept):
    _signin(client, person, accept)
    assert "language-offer" not in client.get("/accounts/settings/").content.decode()
