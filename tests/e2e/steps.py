"""Steps several browser tests take the same way."""

from __future__ import annotations

from conftest import PASSWORD


def sign_in(page, live_server, user) -> None:
    """Sign in on Kalrav's own page as `user` (whose password is the tests' PASSWORD)."""
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/signin/" not in url)  # any language
