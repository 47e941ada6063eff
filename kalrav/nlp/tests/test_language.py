import time

import pytest

from kalrav.nlp.textprep import SCRIPTS

from .conftest import shared

# The five seed articles and the language each is written in (read by a person, not a model).
SEEDS = {
    "000_9af3f142e6bdb187.txt": ("bn", "Beng"),
    "001_9587d286c381675c.txt": ("bn", "Beng"),
    "002_4611a73e7e7ee7fd.txt": ("el", "Grek"),
    "003_26683527fcd65826.txt": ("hi", "Deva"),
    "004_293c287315c4b823.txt": ("gu", "Gujr"),
}


def article_paragraphs(text: str, script: str) -> list[str]:
    """Paragraphs written in the article's language: the scraped pages also hold stray lines
    such as "Anonim" or a Russian video title, which are not the article's text."""
    pattern = SCRIPTS[script]
    kept = []
    for paragraph in text.split("\n\n"):
        letters = sum(1 for ch in paragraph if ch.isalpha())
        if letters and len(pattern.findall(paragraph)) / letters >= 0.5:
            kept.append(paragraph)
    return kept


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_articles_paragraph_by_paragraph(identifier, name):
    language, script = SEEDS[name]
    paragraphs = article_paragraphs(shared("seeds", name).read_text(encoding="utf-8"), script)
    assert len(paragraphs) >= 15
    results = identifier.detect_batch(paragraphs)
    wrong = [
        (p[:60], r.language)
        for p, r in zip(paragraphs, results, strict=True)
        if r.language != language
    ]
    assert wrong == []
    assert all(0.5 <= r.confidence <= 1 for r in results)


@pytest.mark.parametrize(
    "text",
    [
        "yaar ye movie bahut achhi thi, main dobara dekhunga",
        "kya bakwas service hai, mera paisa barbaad ho gaya",
        "bhai kal match dekhne chaloge kya? tickets mil gaye hain",
        "mujhe nahi pata tha ki aap log itni jaldi reply karte ho, shukriya",
    ],
)
def test_romanized_hindi_is_hindi(identifier, text):
    result = identifier.detect(text)
    assert (result.language, result.script) == ("hi", "Latn")
    assert result.confidence > 0.5


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Thanks for the quick reply, the new update works great on my phone.", "en"),
        ("Gracias por responder tan rápido, la actualización funciona muy bien.", "es"),
        ("Merci pour votre réponse rapide, la mise à jour fonctionne très bien.", "fr"),
        ("Danke für die schnelle Antwort, das Update funktioniert auf meinem Handy.", "de"),
        ("ধন্যবাদ, আপনাদের সেবা খুব ভালো লেগেছে", "bn"),
        ("आपकी सेवा बहुत अच्छी है, धन्यवाद", "hi"),
    ],
)
def test_plain_posts(identifier, text, language):
    assert identifier.detect(text).language == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "😍😍🔥",
        "👍🏽",
        "https://example.com/a?b=c",
        "@brand https://t.co/xyz 🙏",
        "12345 !!! ???",
    ],
)
def test_texts_without_words_are_unknown(identifier, text):
    result = identifier.detect(text)
    assert (result.language, result.confidence) == ("und", 0.0)


def test_very_long_input_reads_the_beginning(identifier):
    text = "This product broke after two days and support never answered. " * 20_000
    started = time.perf_counter()
    result = identifier.detect(text)
    assert result.language == "en"
    assert time.perf_counter() - started < 2
