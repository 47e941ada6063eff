import pytest
from django.utils import translation

from kalrav.listening.query import QuerySyntaxError, parse
from kalrav.listening.query.tree import (
    And,
    Field,
    Hashtag,
    Mention,
    Near,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("tea AND cup", And((Term("tea"), Term("cup")))),
        ("tea cup", And((Term("tea"), Term("cup")))),  # implicit AND
        ("tea OR chai", Or((Term("tea"), Term("chai")))),
        ("tea NOT coffee", And((Term("tea"), Not(Term("coffee"))))),
        ("tea cup OR chai", Or((And((Term("tea"), Term("cup"))), Term("chai")))),
        ("tea (cup OR chai)", And((Term("tea"), Or((Term("cup"), Term("chai")))))),
        ("a AND (b AND c)", And((Term("a"), Term("b"), Term("c")))),  # flattened
        ("((tea))", Term("tea")),
        ('"Masala Chai"', Phrase(("masala", "chai"))),
        ('"tea"', Term("tea")),
        ("e-mail", Phrase(("e", "mail"))),
        ("Tea*", Wildcard("tea*")),
        ("t?a", Wildcard("t?a")),
        ("te**", Wildcard("te*")),
        ("tea NEAR/3 cup", Near(Term("tea"), Term("cup"), 3)),
        ("tea NEAR/0f cup", Near(Term("tea"), Term("cup"), 0, ordered=True)),
        (
            '(tea OR "masala chai") NEAR/2 cup*',
            Near(Or((Term("tea"), Phrase(("masala", "chai")))), Wildcard("cup*"), 2),
        ),
        ("NOT a NEAR/2 b c", And((Not(Near(Term("a"), Term("b"), 2)), Term("c")))),
        ("lang:BN", Field("lang", "bn")),
        ("author:@Kalrav", Field("author", "kalrav")),
        ("site:https://www.Example.com/", Field("site", "example.com")),
        ("url:http://www.example.com/News/", Field("url", "example.com/news")),
        ("#Chai", Hashtag("chai")),
        ("@Kalrav.bsky.social", Mention("kalrav.bsky.social")),
        ("and or not near", And(tuple(Term(w) for w in ("and", "or", "not", "near")))),
        ("NEARBY ANDROID", And((Term("nearby"), Term("android")))),
        # Indic words stay whole: vowel signs, viramas and the zero-width joiner belong to them.
        ("চা-বাগান", Phrase(("চা", "বাগান"))),
        ("কর্মসংস্থান", Term("কর্মসংস্থান")),
        ("র\u200d্যাব", Term("র্যাব")),  # the joiner is folded away, the word stays whole
        ("हिन्दी OR ગુજરાતી", Or((Term("हिन्दी"), Term("ગુજરાતી")))),
        ("#ভালোবাসা", Hashtag("ভালোবাসা")),
        # Greek: case and accents folded, final sigma too.
        ("ΚΑΦΈΣ", Term("καφεσ")),
        ('"Καλή ΜΈΡΑ"', Phrase(("καλη", "μερα"))),
    ],
)
def test_operators(query, tree):
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "offset", "says"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("tea AND", 7, "ends"),
        ("tea OR OR chai", 7, "OR needs"),
        ("AND tea", 0, "AND needs"),
        ("(tea OR chai", 0, "never closed"),
        ("tea) chai", 3, "closes nothing"),
        ("tea ()", 5, "missing before"),
        ('tea "masala chai', 4, "quotation mark"),
        ('tea ""', 4, "no words"),
        ("tea NEAR cup", 4, "distance"),
        ("tea NEAR/x cup", 4, "distance"),
        ("tea NEAR/101 cup", 4, "at most 100"),
        ("tea NEAR/2 lang:en", 11, "NEAR joins"),
        ("#tea NEAR/2 cup", 0, "NEAR joins"),
        ("(a NEAR/2 b) NEAR/3 c", 0, "NEAR joins"),
        ("a NEAR/2 b NEAR/3 c", 11, "Only two sides"),
        ("tea foo:bar", 4, "Unknown field"),
        ("tea lang:", 9, "after the colon"),
        ("tea lang:english-language", 9, "language code"),
        ("site:example.com/news", 5, "domain"),
        ("author:@", 7, "handle"),
        ("url:https://", 4, "address"),
        ("tea *", 4, "two letters"),
        ("tea ?*", 4, "two letters"),
        ("tea-*", 0, "inside one word"),
        ("# tea", 0, "hashtag"),
        ("@ tea", 0, "mention"),
        ("tea !!!", 4, "no letters"),
        ("NOT tea", 0, "almost every post"),
        ("NOT tea NOT cup", 0, "almost every post"),
        ("tea OR NOT coffee", 0, "almost every post"),
        ("চা AND (", 8, "ends"),
        ("καφές OR )", 9, "OR needs"),
        ("(a AND)", 6, "AND needs"),
    ],
)
def test_errors_point_at_the_place(query, offset, says):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.offset == offset
    assert says in caught.value.message
    assert caught.value.query == query


def test_the_caret_sits_under_the_problem_in_indic_text():
    # "কর্মসংস্থান" is 11 code points but 5 letters on screen; the caret counts letters.
    with pytest.raises(QuerySyntaxError) as caught:
        parse("কর্মসংস্থান )")
    query_line, caret_line = caught.value.pointer().split("\n")
    assert query_line == "কর্মসংস্থান )"
    assert caret_line == " " * 6 + "^"
    assert str(caught.value).startswith("This parenthesis closes nothing.\n")


def test_errors_are_translated():
    with translation.override("el"), pytest.raises(QuerySyntaxError) as caught:
        parse("(tea")
    assert caught.value.message != "This parenthesis is never closed."
    assert "παρένθεση" in caught.value.message
