import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalrav.listening.query import Matcher, Post, parse
from kalrav.listening.query.anchors import anchors
from kalrav.listening.query.evaluate import Seen, compile_query

from .conftest import shared


def matches(query: str, post: Post | str) -> bool:
    post = Post(post) if isinstance(post, str) else post
    return Matcher({"m": parse(query)}).match(post) == ["m"]


@pytest.mark.parametrize(
    ("query", "post", "expected"),
    [
        ("tea", "Tea time!", True),
        ("tea", "teapot", False),
        ("tea AND cup", "a cup of tea", True),
        ("tea cup", "a glass of tea", False),
        ("tea OR chai", "masala chai", True),
        ("tea NOT coffee", "tea and coffee", False),
        ("tea NOT coffee", "tea and cake", True),
        ("(tea OR chai) cup", "chai in a cup", True),
        ('"masala chai"', "Masala-chai, please", True),
        ('"masala chai"', "chai masala", False),
        ("tea*", "teapots", True),
        ("tea*", "tea", True),
        ("tea*", "steam", False),
        ("t?a", "toa", True),
        ("t?a", "ta", False),
        ("*pot", "teapot", True),
        ("tea NEAR/2 cup", "tea in a cup", True),  # two words between
        ("tea NEAR/1 cup", "tea in a cup", False),
        ("tea NEAR/2 cup", "cup of tea", True),
        ("tea NEAR/2f cup", "cup of tea", False),
        ("tea NEAR/0f cup", "tea cup", True),
        ('"masala chai" NEAR/1 cup', "a cup of masala chai", True),
        ("(tea OR chai) NEAR/1 cup*", "chai in cups", True),
        ("tea NEAR/3 tea", "tea", False),  # one word is not near itself
        ("#chai", "love #Chai", True),
        ("#chai", "love chai", False),
        ("chai", "love #chai", True),  # a word matches its hashtag too
        ("@kalrav", "thanks @Kalrav!", True),
        ("@kalrav.bsky.social", "cc @kalrav.bsky.social.", True),
        ("@kalrav", "mail kalrav@example.com", False),
        ("example", "see https://example.com/tea", False),  # links are not words
        ("tea lang:hi", Post("tea", lang="hi-Latn"), True),
        ("tea lang:hi-latn", Post("tea", lang="hi"), False),
        ("tea NOT lang:en", Post("tea", lang="en"), False),
        ("author:kalrav", Post("x", author="@Kalrav"), True),
        ("site:example.com", Post("x", url="https://news.example.com/a"), True),
        ("site:example.com", Post("x", url="https://example.com.evil.net/a"), False),
        ("url:example.com/news", Post("x", url="http://www.example.com/News/1"), True),
        ("site:example.com", Post("x", url="https://example.com:8443/a"), True),
        ("site:ample.com", Post("x", url="https://example.com/a"), False),
        ("url:localhost/news", Post("x", url="http://localhost/news/1"), True),
        ("url:localhost:8080/news", Post("x", url="http://localhost:8080/news"), True),
        ("url:example.com/news", Post("x", url="https://example.com/blog"), False),
        ("url:example.com/news", Post("x", url="https://example.com.evil.net/news"), False),
        ("#chai", Post("x", hashtags=["#Chai"]), True),
        ("@kalrav", Post("x", mentions=["Kalrav"]), True),
        # Bengali: a word with its vowel sign and virama is one word, not its first letters.
        ("কর্মসংস্থান", "তারা নিজেরাই নিজেদের কর্মসংস্থান করে নিচ্ছে !", True),
        ("কর্ম", "তারা নিজেদের কর্মসংস্থান করে", False),
        ("কর্ম*", "তারা নিজেদের কর্মসংস্থান করে", True),
        ("চা NEAR/1 বাগান", "চা-এর বাগান", True),
        ("র‍্যাব", "র‍্যাব এসেছে", True),  # with the zero-width joiner
        ("চা", "চা\u200d আর", True),  # a joiner at the edge of a word is not part of it
        ("র\u200d্যাব", "র্যাব", True),  # with and without the joiner: the same word
        ("হিন্দি", "হিন্\u200cদি", True),
        ("#ভালোবাসা", "সবাইকে #ভালোবাসা।", True),
        # Hindi: the danda ends a sentence, not a word; matras and nukta stay.
        ("हिन्दी", "इसलिए हिन्दी ट्विट ज्यादा करता हूँ।", True),
        ("हिन", "इसलिए हिन्दी ट्विट", False),
        ('"ज़ंजीर बदली"', "ज़ंजीर बदली जा रही थी", True),
        ("हूँ", "ज्यादा करता हूँ।", True),
        # Gujarati.
        ("શ્રેષ્ઠ", "તમારું કામ શ્રેષ્ઠ છે.", True),
        ("શ્રે", "તમારું કામ શ્રેષ્ઠ છે.", False),
        ("તમારું NEAR/1f શ્રેષ્ઠ", "તમારું કામ શ્રેષ્ઠ છે.", True),
        # Greek: accents and case do not matter, with or without tonos, final sigma too.
        ("καφές", "ΘΕΛΩ ΚΑΦΕ ΚΑΙ ΚΑΦΕΣ", True),
        ("καφες", "Ο καφές μου", True),
        ("ΚΑΦΈΣ", "ο καφεσ", True),
        ("καφ*", "ΚΑΦΕΤΕΡΙΑ", True),
        ('"καλή μέρα"', "Καλημέρα", False),
        ("Βουλή", "#Βουλή: Κοινή Συνεδρίαση", True),
    ],
)
def test_matching(query, post, expected):
    assert matches(query, post) is expected


def test_monitors_are_matched_together_and_returned_in_order():
    matcher = Matcher(
        {
            "tea": parse("tea"),
            "pots": parse("cake OR *pot"),  # no anchor: evaluated for every post
            "hindi": parse("lang:hi"),
            "greek": parse("καφες"),
        }
    )
    assert matcher.match(Post("tea and coffee")) == ["tea"]
    assert matcher.match(Post("a teapot, καφές", lang="hi")) == ["pots", "hindi", "greek"]
    assert matcher.always == [1]


VOCABULARY = ["tea", "cup", "chai", "কর্ম", "কর্মসংস্থান", "हिन्दी", "καφές", "ΚΑΦΕΣ", "teapot"]
query_text = st.lists(
    st.sampled_from(
        [
            *VOCABULARY,
            *("AND", "OR", "NOT", "NEAR/1", "NEAR/2f", "(", ")", "te*", "#chai", "@kal"),
            *("lang:hi", "site:example.com", '"tea cup"', "καφ?σ"),
        ]
    ),
    min_size=1,
    max_size=8,
).map(" ".join)
post = st.builds(
    Post,
    text=st.lists(st.sampled_from([*VOCABULARY, "#chai", "@kal", "।", "."]), max_size=10).map(
        " ".join
    ),
    lang=st.sampled_from(["", "hi", "en"]),
    url=st.sampled_from(["", "https://news.example.com/x", "https://other.net/"]),
)


def _valid(text):
    try:
        return parse(text)
    except ValueError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(query_text.map(_valid).filter(bool), min_size=1, max_size=6), st.lists(post))
def test_the_prefilter_never_hides_a_match(trees, posts):
    matcher = Matcher(dict(enumerate(trees)))
    exact = [compile_query(tree) for tree in trees]
    for one in posts:
        seen = Seen(one)
        assert matcher.match(one) == [index for index, test in enumerate(exact) if test(seen)]


def test_anchors_pick_the_selective_side():
    assert anchors(parse("lang:hi tea")) == {("word", "tea")}
    assert anchors(parse("tea OR #chai")) == {("word", "tea"), ("tag", "chai")}
    assert anchors(parse("tea OR *pot")) is None
    assert anchors(parse('"a masala chai" NEAR/2 te*')) == {("word", "masala")}
    assert anchors(parse("url:example.com/news")) == {("site", "example.com")}


def _texts(name: str, limit: int) -> list[str]:
    with shared("sentiment", name).open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line, _ in zip(handle, range(limit), strict=False)]


@pytest.mark.parametrize("name", ["bn-blp23.jsonl", "hi-tweets.jsonl", "gu-gsa.jsonl"])
def test_real_indic_words_match_whole_and_only_whole(name):
    checked = 0
    for text in _texts(name, 300):
        spaced = set(text.split())
        for word in spaced:
            # A word written between spaces that ends in a vowel sign or virama: its bare
            # letters are another word, which must not match it.
            if not word.isprintable() or unicodedata.category(word[-1])[0] != "M":
                continue
            if not all(char.isalnum() or unicodedata.category(char)[0] == "M" for char in word):
                continue
            assert matches(word, text), (word, text)
            stem = word.rstrip("".join(c for c in word if unicodedata.category(c)[0] == "M"))
            if stem and stem not in spaced and not any(w.startswith(stem + " ") for w in spaced):
                assert not matches(stem, text), (stem, text)
            checked += 1
    assert checked > 100


def test_real_greek_matches_without_accents_and_in_capitals():
    checked = 0
    for text in _texts("el-sentimp21.jsonl", 200):
        bare = "".join(
            char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)
        )
        for word in text.split()[:5]:
            if word.isalpha():
                assert matches(word, bare.upper()), (word, text)
                assert matches(word.upper(), text), (word, text)
                checked += 1
    assert checked > 100


def test_a_post_is_evaluated_only_against_monitors_it_shows_a_word_of():
    monitors = {number: parse(f"brand{number} OR #tag{number}") for number in range(5000)}
    monitors["wild"] = parse("brand42*")
    matcher = Matcher(monitors)
    seen = Seen(Post("news about brand42 and brand4200 #tag7"))
    assert matcher.candidates(seen) == {42, 4200, 7, 5000}
    assert matcher.match_seen(seen) == [7, 42, 4200, "wild"]
