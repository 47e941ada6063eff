"""How Kalrav's words become Matrix event contents, and how room events come back as items."""

from __future__ import annotations

import pytest

from kalrav.connectors.networks.matrix.content import (
    formatted_body,
    mentioned_users,
    permalink,
    text_content,
    transaction_id,
)
from kalrav.connectors.networks.matrix.mapping import mentions, without_reply_fallback


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ('a < b & "c"', "a &lt; b &amp; &quot;c&quot;"),
        ("line one\nline two", "line one<br/>line two"),
        (
            "Menu: https://example.test/menu?a=1&b=2.",
            'Menu: <a href="https://example.test/menu?a=1&amp;b=2">https://example.test/menu?a=1&amp;b=2</a>.',
        ),
        (
            "(see https://example.test/x)",
            '(see <a href="https://example.test/x">https://example.test/x</a>)',
        ),
        (
            "https://example.test/@asha:example.org",
            '<a href="https://example.test/@asha:example.org">https://example.test/@asha:example.org</a>',
        ),
        (
            "ask @asha:example.org!",
            'ask <a href="https://matrix.to/#/@asha:example.org">@asha:example.org</a>!',
        ),
        ("mail me: tea@example.org", "mail me: tea@example.org"),
    ],
)
def test_formatted_body(text, html):
    assert formatted_body(text) == html


def test_mentions_are_the_user_ids_in_the_text_once_each():
    text = "@asha:example.org and @ravi:matrix.example.org:8448 and @asha:example.org"
    assert mentioned_users(text) == ["@asha:example.org", "@ravi:matrix.example.org:8448"]
    assert text_content("no one")["m.mentions"] == {}  # an empty m.mentions pings nobody


def test_transaction_ids_follow_the_key_and_the_part():
    first = transaction_id("variant/42 ✓", 0)
    assert first == transaction_id("variant/42 ✓", 0)
    assert first != transaction_id("variant/42 ✓", 1) != transaction_id("variant/43", 1)
    assert first.replace(".", "").isalnum()  # safe in a URL path


def test_permalinks_escape_the_sigils():
    assert permalink("!r:ex.org", "$e/1") == "https://matrix.to/#/%21r%3Aex.org/%24e%2F1"


def test_reply_fallback_lines_are_dropped():
    body = "> <@a:ex.org> What tea?\n> second line\n\nDarjeeling"
    assert without_reply_fallback(body) == "Darjeeling"
    assert without_reply_fallback("> not a fallback if alone") == ""
    assert without_reply_fallback("plain > text") == "plain > text"


def test_intentional_mentions_overrule_the_body():
    me = "@brand:ex.org"
    assert mentions({"body": "hi", "m.mentions": {"user_ids": [me]}}, me)
    assert not mentions({"body": f"quoting {me}", "m.mentions": {}}, me)
    assert mentions({"body": f"hey {me}"}, me)  # older clients
