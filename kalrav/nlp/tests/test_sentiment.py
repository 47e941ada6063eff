import pytest

from kalrav.nlp.sentiment import get_model


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I absolutely love this, best customer service ever! 😍", "positive"),
        ("Worst experience ever. Terrible, rude staff and a broken product 😡", "negative"),
        ("Me encanta, muchas gracias por todo, sois geniales ❤️", "positive"),
        ("Qué asco de servicio, nunca más compro aquí", "negative"),
        ("J'adore ce produit, merci beaucoup, c'est génial !", "positive"),
        ("Das ist wirklich schlecht, ich bin total enttäuscht", "negative"),
        ("Adoro questo posto, bellissimo e bravi tutti!", "positive"),
        ("Que ódio, péssimo atendimento, horrível", "negative"),
    ],
)
def test_clear_examples(classify, text, expected):
    [result] = classify([text])
    assert result.sentiment == expected
    assert (result.sentiment_score > 0) == (expected == "positive")


def test_score_is_signed_probability(classify):
    results = classify(["I love it, wonderful! 😍", "I hate it, awful 😡", ""])
    assert all(-1 <= r.sentiment_score <= 1 for r in results)
    assert results[0].sentiment_score > 0.3 > -0.3 > results[1].sentiment_score


def test_empty_and_long_texts_get_an_answer(classify):
    empty, long = classify(["", "great " * 500_000])
    assert empty.language == "und" and empty.sentiment in {"negative", "neutral", "positive"}
    assert long.sentiment == "positive"


def test_batch_order_does_not_change_answers(classify):
    texts = ["Terrible service", "Amazing, thank you!", "The shop opens at nine."]
    forward = classify(texts)
    backward = classify(texts[::-1])[::-1]
    assert forward == backward


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("यह फिल्म बहुत अच्छी है, मज़ा आ गया", "positive"),
        ("বাজে সার্ভিস, টাকা নষ্ট, আর কখনো কিনব না", "negative"),
    ],
)
def test_research_model_reads_devanagari_hindi_and_bengali(text, expected):
    model = get_model("all")
    language = "hi" if "\u0900" <= text[0] <= "\u097f" else "bn"
    assert model.predict([text], [language])[0].label == expected
