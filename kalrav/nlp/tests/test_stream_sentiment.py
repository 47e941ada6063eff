"""The stream sentiment model: the C featurizer and int8 linear model of kalrav.nlp.stream."""

import numpy as np
import pytest

from kalrav.nlp.evaluation import LABELS, macro_f1
from kalrav.nlp.stream import sentiment as stream_sentiment

from .conftest import shared

if stream_sentiment._sentiment is None:
    pytest.skip(
        "kalrav.nlp.stream._sentiment is not built (scripts/build_native.py _sentiment)",
        allow_module_level=True,
    )

DOMAINS = ["en", "es", "fr", "de", "it", "pt", "hi-Latn", None]


@pytest.fixture(scope="module", params=["commercial", "all"])
def model(request):
    return stream_sentiment.get_stream_sentiment(request.param)


def predict(model, texts, domains):
    table = sorted(set(domains), key=str)
    codes = np.array([table.index(d) for d in domains], dtype=np.int32)
    return model.predict(texts, codes, table)


@pytest.mark.parametrize(
    ("text", "domain", "expected"),
    [
        ("I absolutely love this, best customer service ever! 😍", "en", "positive"),
        ("Worst experience ever. Terrible, rude staff and a broken product 😡", "en", "negative"),
        ("Me encanta, muchas gracias por todo, sois geniales ❤️", "es", "positive"),
        ("Qué asco de servicio, nunca más compro aquí", "es", "negative"),
        ("J'adore ce produit, merci beaucoup, c'est génial !", "fr", "positive"),
        ("Das ist wirklich schlecht, ich bin total enttäuscht", "de", "negative"),
        ("Adoro questo posto, bellissimo e bravi tutti!", "it", "positive"),
        ("Que ódio, péssimo atendimento, horrível", "pt", "negative"),
        ("I love it, wonderful, thank you so much! 😍", None, "positive"),
        ("I hate it, awful, the worst 😡", None, "negative"),
    ],
)
def test_clear_examples(model, text, domain, expected):
    classes, scores = predict(model, [text], [domain])
    assert model.classes[classes[0]] == expected
    assert (scores[0] > 0) == (expected == "positive")


def test_empty_batch(model):
    classes, scores = model.predict([], np.zeros(0, dtype=np.int32), DOMAINS)
    assert classes.dtype == np.int32 and scores.dtype == np.float32
    assert classes.size == scores.size == 0


def test_empty_and_odd_texts_get_an_answer(model):
    texts = ["", " ", "😂😂😂😂😂", "@someone http://example.com", "!!!???", "١٢٣ ४५६", "\x00"]
    classes, scores = predict(model, texts, ["en"] * len(texts))
    assert set(classes.tolist()) <= {0, 1, 2}
    assert np.all(np.abs(scores) <= 1)


def test_cleaning_matches_for_features():
    from kalrav.nlp.textprep import for_features

    text = "Sooooo HAPPY!!!!! today 😂😂😂😂 @bob https://x.co/a #love don't 12345x &amp; ok…"
    assert stream_sentiment._sentiment.tokens(text) == for_features(text).split()


def test_features_give_the_served_scores(model):
    """What training fits (the exposed features, scored with numpy) is what serving computes."""
    texts = [
        "I absolutely love this! 😍 #great",
        "Qué asco de servicio, nunca más",
        "yeh movie bahut achhi thi yaar",
        "",
        "Das ist wirklich schlecht 😡😡",
    ]
    domains = ["en", "es", "hi-Latn", "fr", None]
    features = stream_sentiment.extract(texts, domains, model.spec, model.lexicon)
    decision = model.decision_from_features(features)
    z = np.column_stack((np.zeros(len(texts)), decision))
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    classes, scores = predict(model, texts, domains)
    assert classes.tolist() == probs.argmax(axis=1).tolist()
    np.testing.assert_allclose(scores, probs[:, 2] - probs[:, 0], atol=1e-6)


def test_unknown_language_uses_shared_features_only(model):
    texts = ["I love it, thank you! 😍"]
    known = stream_sentiment.extract(texts, ["en"], model.spec, model.lexicon)
    unknown = stream_sentiment.extract(texts, [None], model.spec, model.lexicon)
    assert unknown.columns.size * 2 == known.columns.size
    assert set(unknown.columns.tolist()) <= set(known.columns.tolist())


def test_held_out_macro_f1(model):
    """The test splits (never trained on) score what the metadata says, above a floor."""
    datasets = pytest.importorskip("nlp_training.datasets")
    data_dir = shared("sentiment")
    recorded = model.metadata["held_out"]
    trained = []
    for source in datasets.SOURCES:
        [item] = datasets.prepare(data_dir, [source])
        rows = item.test
        classes, _ = predict(model, [r.text for r in rows], [r.domain for r in rows])
        figure = macro_f1([r.label for r in rows], [model.classes[k] for k in classes], LABELS)
        assert figure == pytest.approx(recorded[source.name]["macro_f1"], abs=0.002)
        if recorded[source.name]["trained_on"]:
            trained.append(figure)
            assert figure > 0.3, source.name
    assert np.mean(trained) > 0.56


def test_hashes_are_those_the_weights_were_trained_with():
    """Shipped weights are indexed by these: a change needs a new FORMAT and retraining."""
    keys = np.frombuffer(stream_sentiment._sentiment.token_keys(["hello", "😍"]), np.uint64)
    assert [hex(k) for k in keys] == ["0x16fe05a1c75bcd0f", "0x37839ac9c470a498"]
    spec = stream_sentiment.FeatureSpec(bits=18, bigrams=True, affix=3)
    empty = stream_sentiment.LexiconTable.empty()
    features = stream_sentiment.extract(["Hello wonderful world 😍"], ["en"], spec, empty)
    assert features.columns[:6].tolist() == [191245, 110135, 253894, 208345, 106622, 190020]
