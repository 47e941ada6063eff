"""Facets: links, mentions and hashtags at UTF-8 byte offsets, as the Bluesky app would make them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.networks.bluesky.facets import detect_facets, is_valid_domain

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


def resolver(handle: str) -> str | None:
    return None if handle.startswith("nobody") else f"did:plc:{handle.split('.')[0]}"


def sliced(text: str, facet: dict) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def test_facets_in_bengali_text_slice_exact_bytes():
    text = f"নতুন চা {FAMILY} এসেছে! https://cha.example.org/নতুন?x=1. #চা #নতুন_স্বাদ @rina.bsky.social"
    facets = detect_facets(text, resolver)
    assert [(f["features"][0]["$type"].split("#")[1], sliced(text, f)) for f in facets] == [
        ("link", "https://cha.example.org/নতুন?x=1"),
        ("tag", "#চা"),
        ("tag", "#নতুন_স্বাদ"),
        ("mention", "@rina.bsky.social"),
    ]
    assert facets[0]["features"][0]["uri"] == "https://cha.example.org/নতুন?x=1"
    assert facets[1]["features"][0]["tag"] == "চা"
    assert facets[3]["features"][0]["did"] == "did:plc:rina"


def test_bare_domain_links_need_a_real_top_level_domain():
    text = "see kalrav.org and kalrav.notatld, or (https://εμπορικό.gr/σελίδα)"
    facets = detect_facets(text)
    assert [f["features"][0]["uri"] for f in facets] == [
        "https://kalrav.org",
        "https://εμπορικό.gr/σελίδα",
    ]
    assert sliced(text, facets[1]) == "https://εμπορικό.gr/σελίδα"


def test_mentions_need_a_resolvable_handle():
    text = "@nobody.bsky.social @someone.bsky.social @not_a_handle"
    assert detect_facets(text) == []  # without a resolver no DID, so no mention facet
    (facet,) = detect_facets(text, resolver)
    assert sliced(text, facet) == "@someone.bsky.social"


def test_tags_drop_trailing_punctuation_and_reject_numbers_only_and_overlong():
    text = "#मुंबई, #2024 #" + "a" * 65 + " #Ελλάδα!"
    tags = [f["features"][0]["tag"] for f in detect_facets(text)]
    assert tags == ["मुंबई", "Ελλάδα"]


def test_domain_check():
    assert is_valid_domain("alice.bsky.social") and is_valid_domain("news.co.in")
    assert not is_valid_domain("localhost") and not is_valid_domain("foo.invalidtld")


WORD = st.lists(st.sampled_from([*"abcকখগমাি্নदेवΩωλ", FAMILY]), min_size=1, max_size=5).map("".join)
TAG_BODY = st.text(
    alphabet=st.sampled_from(list("abcকখগমাি্নदेवΩωλ_")), min_size=1, max_size=12
).filter(
    # A trailing "_" is punctuation (Pc), which the official client strips from a tag.
    lambda body: any(char.isalpha() for char in body) and not body.endswith("_")
)
LINK = st.from_regex(r"https://[a-z]{1,8}\.(com|org|in)/[a-zA-Z0-9কখ]{0,10}", fullmatch=True)
HANDLE = st.from_regex(r"[a-z][a-z0-9]{0,10}\.bsky\.social", fullmatch=True)
TOKEN = st.one_of(
    WORD.map(lambda word: ("word", word)),
    LINK.map(lambda link: ("link", link)),
    TAG_BODY.map(lambda body: ("tag", "#" + body)),
    HANDLE.map(lambda handle: ("mention", "@" + handle)),
)


@given(st.lists(TOKEN, max_size=12))
def test_facet_byte_ranges_slice_exactly_the_link_mention_or_tag(tokens):
    text = " ".join(token for _kind, token in tokens)
    expected = [(kind, token) for kind, token in tokens if kind != "word"]
    facets = detect_facets(text, resolver)
    found = [(f["features"][0]["$type"].split("#")[1], sliced(text, f)) for f in facets]
    assert found == expected
    for facet in facets:
        feature = facet["features"][0]
        if "tag" in feature:
            assert "#" + feature["tag"] == sliced(text, facet)
        if "uri" in feature:
            assert feature["uri"] == sliced(text, facet)
