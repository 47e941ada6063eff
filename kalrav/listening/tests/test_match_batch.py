"""`Matcher.match_batch` gives, for every post, exactly what `Matcher.match` gives.

The property tests mix the scripts and the traps of folding (composed and decomposed accents,
Greek tonos and final sigma, Indic viramas, nuktas and two-part vowel signs, joiners, marks out
of canonical order, multi-character case folds, emoji beyond the tables, links, hashtags,
handles) and draw queries from the texts' own words with every operator.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalrav.listening.query import Matcher, Post, batch, parse
from kalrav.listening.query.tree import (
    And,
    Field,
    Hashtag,
    Mention,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
)
from kalrav.listening.query.words import hashtags, mentions, words

compiled = pytest.mark.skipif(not batch.available(), reason="_scan is not built")

PIECES = [
    # English and Latin, composed and decomposed; multi-character and odd case folds
    *(
        "tea",
        "Tea",
        "TEA",
        "cup",
        "chai",
        "teapot",
        "a",
        "ss",
        "Straße",
        "\ufb01le",
        "\u0130stanbul",
    ),
    *(
        "café",
        "cafe\u0301",
        "naïve",
        "nai\u0308ve",
        "Ångström",
        "A\u030angstrom",
        "\u212a",
        "\u017f",
    ),
    # Greek with and without tonos, capitals, final sigma, decomposed
    *("καφές", "ΚΑΦΕΣ", "καφεσ", "καφε\u0301ς", "Καλημέρα", "μέρα", "ΐ", "ι\u0308\u0301"),
    # Bengali: virama conjuncts, joiners, the two-part vowel sign composed and in two parts
    *("কর্মসংস্থান", "কর্ম", "র\u200d্যাব", "র্যাব", "হিন্\u200cদি", "ভালোবাসা", "ভাল\u09c7\u09beবাসা"),
    *("চা", "বাগান", "\u09c7", "\u09be", "\u09d7"),
    # Hindi: nukta precomposed and not, one that composes (न + ़), marks out of order
    *("हिन्दी", "ज़ंजीर", "\u095bंजीर", "\u0929", "न\u093c", "क्\u093c", "क\u093c्", "हूँ", "ज्यादा"),
    # Gujarati
    *("શ્રેષ્ઠ", "તમારું", "કામ", "\u0abc"),
    # Hangul, syllables and jamo
    *("한국", "\u1100\u1161", "\u1161"),
    # marks and joiners alone, emoji, flag tags beyond the tables, a lone surrogate-free oddity
    *("\u0301", "\u0345", "\u200d", "\u200c", "😀", "👍🏽", "🏴\U000e0067\U000e0062\U000e007f"),
    # links, hashtags, handles
    *("https://example.com/tea", "http://x.gr/καφές", "www.test.com", "HTTPS://Up.com/x"),
    *("http://", "www.", "#chai", "#Chai", "#ভালোবাসা", "&#x", "a#b", "#", "##tea", "#καφές"),
    *("@kal", "@Kal.bsky.social", "mail@x.com"),
    # separators
    *(" ", " ", " ", "-", "।", ".", "\n", "\u00a0", "_", "'", ","),
]
LANGS = ["", "en", "hi", "hi-Latn", "bn", "gu", "el", "EN-us", "-x"]
AUTHORS = ["", "kal", "@Kal", "@@kal", "Καλ", "user1", "İ"]
URLS = [
    "",
    "https://news.example.com/a",
    "https://example.com:8443/News/1",
    "http://www.example.com/news",
    "https://example.com.evil.net/a",
    "http://localhost/news/1",
    "https://ΚΑΦΕ.gr/x",
    "HTTP://WWW.Example.COM/News//",
    "ftp+x.y-z://example.com/news/2",
    "example.com/news",
    "1http://news.example.com/a",
    "/news",
    "http://:80/x",
    "www.www.example.com",
    "http://a..example.com/",
    "https://com",
]

texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
posts = st.lists(
    st.tuples(
        texts,
        st.sampled_from(LANGS),
        st.sampled_from(AUTHORS),
        st.sampled_from(URLS),
        st.lists(st.sampled_from(["#Chai", "tea", "ভালোবাসা", "#"]), max_size=2),
    ),
    min_size=1,
    max_size=8,
)


def per_post(matcher: Matcher, rows, with_tags: bool = True) -> list:
    return [
        matcher.match(Post(t, lang, a, u, tags if with_tags else ()))
        for t, lang, a, u, tags in rows
    ]


def batched(matcher: Matcher, rows, with_tags: bool = True) -> list:
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 5
    return matcher.match_batch(*columns[:4], columns[4] if with_tags else None)


def trees(rows) -> st.SearchStrategy[Node]:
    """Query trees over the posts' own words, tags and handles, with every operator."""
    vocabulary = sorted({w for row in rows for w in words(row[0])} | {"tea", "καφες", "চা"})
    sequences = [words(row[0]) for row in rows if len(words(row[0])) >= 2]
    tags = sorted({t for row in rows for t in hashtags(row[0])} | {"chai", ""})
    handles = sorted({h for row in rows for h in mentions(row[0])} | {"kal"})
    word = st.sampled_from(vocabulary)

    def wildcard(text: str) -> st.SearchStrategy[Wildcard]:
        cut = st.integers(0, len(text))
        return st.one_of(
            cut.map(lambda n: Wildcard(text[:n] + "*")),
            cut.map(lambda n: Wildcard("*" + text[n:])),
            cut.map(lambda n: Wildcard(text[:n] + "?" + text[n + 1 :])),
        )

    phrase = (
        st.sampled_from(sequences).flatmap(
            lambda found: st.integers(0, len(found) - 2).map(
                lambda n: Phrase(tuple(found[n : n + 2 + n % 2]))
            )
        )
        if sequences
        else word.map(lambda w: Phrase((w, w)))
    )
    positional = st.recursive(
        st.one_of(word.map(Term), word.flatmap(wildcard), phrase),
        lambda inner: st.lists(inner, min_size=2, max_size=3).map(lambda o: Or(tuple(o))),
        max_leaves=3,
    )
    near = st.builds(Near, positional, positional, st.integers(0, 4), st.booleans())
    field = st.one_of(
        st.sampled_from(["en", "hi", "bn", "el", "gu", "hi-latn", "en-us", ""]).map(
            lambda v: Field("lang", v)
        ),
        st.sampled_from(["kal", "καλ", "user1", "i̇", ""]).map(lambda v: Field("author", v)),
        st.sampled_from(
            ["example.com", "news.example.com", "com", "localhost", "καφε.gr", "www.example.com"]
        ).map(lambda v: Field("site", v)),
        st.sampled_from(
            ["example.com/news", "localhost/news", "example.com:8443/news", "", "/news", ":80"]
        ).map(lambda v: Field("url", v)),
    )
    leaf = st.one_of(
        word.map(Term),
        word.flatmap(wildcard),
        phrase,
        near,
        st.sampled_from(tags).map(Hashtag),
        st.sampled_from(handles).map(Mention),
        field,
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda o: And(tuple(o))),
            st.lists(inner, min_size=2, max_size=3).map(lambda o: Or(tuple(o))),
        ),
        max_leaves=6,
    )


@compiled
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_batch_matches_as_each_post_does(data):
    rows = data.draw(posts)
    drawn = data.draw(st.lists(trees(rows), max_size=6))
    matcher = Matcher(dict(enumerate(drawn)))
    assert batched(matcher, rows) == per_post(matcher, rows)


TOKENS = [
    "AND",
    "OR",
    "NOT",
    "NEAR/1",
    "NEAR/2f",
    "NEAR/0",
    "(",
    ")",
    "lang:hi",
    "site:example.com",
]


def _parsed(text):
    try:
        return parse(text)
    except ValueError:
        return None


@compiled
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parsed_queries_match_in_a_batch_as_each_post_does(data):
    rows = data.draw(posts)
    pool = sorted({w for row in rows for w in words(row[0])} | {"tea"})
    token = st.one_of(
        st.sampled_from(TOKENS),
        st.sampled_from(pool),
        st.sampled_from(pool).map(lambda w: w[:2] + "*"),
        st.sampled_from(pool).map(lambda w: f"#{w}"),
        st.lists(st.sampled_from(pool), min_size=2, max_size=3).map(
            lambda found: '"' + " ".join(found) + '"'
        ),
    )
    queries = data.draw(
        st.lists(st.lists(token, min_size=1, max_size=7).map(" ".join), min_size=1, max_size=5)
    )
    drawn = [tree for tree in map(_parsed, queries) if tree is not None]
    matcher = Matcher(dict(enumerate(drawn)))
    assert batched(matcher, rows, with_tags=False) == per_post(matcher, rows, with_tags=False)


EXAMPLES = [
    ("কর্মসংস্থান", "তারা নিজেরাই নিজেদের কর্মসংস্থান করে নিচ্ছে !", "bn", True),
    ("কর্ম", "তারা নিজেদের কর্মসংস্থান করে", "bn", False),
    ("কর্ম*", "তারা নিজেদের কর্মসংস্থান করে", "bn", True),
    ("চা NEAR/1 বাগান", "চা-এর বাগান", "bn", True),
    ("র‍্যাব", "র্যাব এসেছে", "bn", True),
    ("হিন্দি", "হিন্\u200cদি", "bn", True),
    ("#ভালোবাসা", "সবাইকে #ভালোবাসা।", "bn", True),
    ("হিন্দী", "इसलिए हिन्दी ट्विट ज्यादा करता हूँ।", "hi", False),
    ("हिन्दी", "इसलिए हिन्दी ट्विट ज्यादा करता हूँ।", "hi", True),
    ("हिन", "इसलिए हिन्दी ट्विट", "hi", False),
    ('"ज़ंजीर बदली"', "ज़ंजीर बदली जा रही थी", "hi", True),
    ("हूँ lang:hi", "ज्यादा करता हूँ।", "hi-Latn", True),
    ("શ્રેષ્ઠ", "તમારું કામ શ્રેષ્ઠ છે.", "gu", True),
    ("શ્રે", "તમારું કામ શ્રેષ્ઠ છે.", "gu", False),
    ("તમારું NEAR/1f શ્રેષ્ઠ", "તમારું કામ શ્રેષ્ઠ છે.", "gu", True),
    ("καφές", "ΘΕΛΩ ΚΑΦΕ ΚΑΙ ΚΑΦΕΣ", "el", True),
    ("ΚΑΦΈΣ", "ο καφεσ", "el", True),
    ("καφ*", "ΚΑΦΕΤΕΡΙΑ", "el", True),
    ('"καλή μέρα"', "Καλημέρα", "el", False),
    ("Βουλή", "#Βουλή: Κοινή Συνεδρίαση", "el", True),
    ("tea NOT coffee", "tea and coffee", "en", False),
    ('"masala chai"', "Masala-chai, please", "en", True),
    ("t?a", "toa", "en", True),
    ("tea NEAR/2f cup", "cup of tea", "en", False),
    ("example", "see https://example.com/tea", "en", False),
    ("@kalrav", "thanks @Kalrav!", "en", True),
    ("cafe", "Café au lait", "en", True),
]


@compiled
@pytest.mark.parametrize(("query", "text", "lang", "expected"), EXAMPLES)
def test_examples_in_five_languages_are_matched_in_c(query, text, lang, expected):
    matcher = Matcher({"m": parse(query)})
    assert matcher.match_batch([text], [lang], ["someone"], [""]) == [["m"] if expected else []]
    # the text was read by _scan, not handed back to the per-post path
    engine = matcher.batch_matcher().engine
    assert engine.run([text], [lang], ["someone"], [""], b"")[1] == []


def test_without_scan_the_batch_is_matched_post_by_post(monkeypatch):
    monkeypatch.setattr(batch, "_scan", None)
    matcher = Matcher({"tea": parse("tea"), "greek": parse("καφες lang:el")})
    found = matcher.match_batch(
        ["Tea!", "ΚΑΦΕΣ", "no"], ["en", "el", "en"], ["", "", ""], ["", "", ""]
    )
    assert found == [["tea"], ["greek"], []]
    assert matcher._batch is None


def test_empty_batch_and_no_monitors():
    assert Matcher({"tea": parse("tea")}).match_batch([], [], [], []) == []
    assert Matcher({}).match_batch(["tea", "cup"], ["en", "en"], ["a", "b"], ["", ""]) == [[], []]


def test_monitors_without_an_anchor_are_evaluated_for_every_post():
    # the parser refuses `tea OR NOT cup`; a tree may still say it
    either = Or((Term("tea"), Not(Term("cup"))))
    matcher = Matcher({"either": either, "pot": parse("cake OR *pot")})
    assert matcher.always == [0, 1]
    rows = [("tea", "en", "", "", ()), ("cup", "en", "", "", ()), ("a teapot", "", "", "", ())]
    assert batched(matcher, rows) == per_post(matcher, rows) == [["either"], [], ["either", "pot"]]


def test_a_long_batch_is_matched_in_chunks_in_order():
    matcher = Matcher({n: parse(f"word{n} OR #tag{n}") for n in range(40)})
    rows = [(f"word{n % 50} #tag{n % 7}", "", "", "", ()) for n in range(700)]
    assert batched(matcher, rows) == per_post(matcher, rows)


@pytest.mark.parametrize("compiled_path", [True, False])
def test_columns_of_other_lengths_are_refused(monkeypatch, compiled_path):
    if not compiled_path:
        monkeypatch.setattr(batch, "_scan", None)
    with pytest.raises(ValueError, match="one value per post"):
        Matcher({"tea": parse("tea")}).match_batch(["tea"], [], ["a"], [""])


def test_given_hashtags_count_as_the_post_s_own():
    matcher = Matcher({"chai": parse("#chai")})
    assert matcher.match_batch(["x", "y"], ["", ""], ["", ""], ["", ""], [["#Chai"], []]) == [
        ["chai"],
        [],
    ]


@compiled
@settings(max_examples=500, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_scan_cuts_the_words_that_words_cuts(batch_texts):
    engine = Matcher({"tea": parse("tea")}).batch_matcher().engine
    blank = [""] * len(batch_texts)
    _, given_back = engine.run(batch_texts, blank, blank, blank, b"")
    for index, text in enumerate(batch_texts):
        if index not in given_back:
            assert engine.words(index) == words(text)
