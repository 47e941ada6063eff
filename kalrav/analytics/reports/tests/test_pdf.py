"""Reports as PDF pages a person would read: a cover with the brand, totals, charts with bars
and a line, tables; and text in Bengali, Devanagari, Gujarati and Greek drawn by Kalrav's own
fonts and shaped (a conjunct is one glyph cluster, not the letters side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from kalrav.analytics.reports import documents
from kalrav.analytics.reports.charts import BAR, LINE
from kalrav.analytics.reports.figures import Period, compute
from kalrav.analytics.reports.tests import sample
from kalrav.analytics.reports.tests.pdf_checks import (
    count_colour,
    fonts_by_character,
    ink_width,
    pages,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(documents.pdf_unavailable()), reason="WeasyPrint cannot load here"),
]

LANGUAGES = ("en", "bn", "hi", "gu", "el")
# Each script's text from the sample posts, and the font that must draw it.
SCRIPTS = {
    "bn": ("সন্ধ্যার চা ক্ষমা", "Kalrav-Bengali"),
    "hi": ("शाम की चाय क्षमा", "Kalrav-Devanagari"),
    "gu": ("સાંજની ચા ક્ષમા", "Kalrav-Gujarati"),
    "el": ("Τσάι στις έξι", "Kalrav-Greek"),
}
# A conjunct and the same letters kept apart by a zero-width non-joiner: shaped text draws the
# two differently (the conjunct is narrower); unshaped text draws them the same.
CONJUNCTS = {"bn": "ক্ষ", "hi": "क्ष", "gu": "ક્ષ"}
ZWNJ = "\u200c"


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@pytest.fixture
def figures(workspace):
    sample.build(workspace)
    return compute(workspace, Period(sample.FIRST, sample.LAST, workspace.time_zone))


BLOCKS = {
    "Kalrav-Bengali": (0x0980, 0x09FF),
    "Kalrav-Devanagari": (0x0900, 0x097F),
    "Kalrav-Gujarati": (0x0A80, 0x0AFF),
    "Kalrav-Greek": (0x0370, 0x03FF),
}


def _scripts_problems(data: bytes) -> list[str]:
    """What is wrong with the PDF's text in each script: a letter drawn by a font other than
    Kalrav's (a system font, or a font without it: boxes), or a script missing altogether.
    (The text layer maps a conjunct's glyph to some of its letters only, so each letter found
    is checked, and each script must show most of its sample's letters.)"""
    drawn = fonts_by_character(data)
    problems = []
    for font, (low, high) in BLOCKS.items():
        for character, used in drawn.items():
            if low <= ord(character) <= high and not all(n.startswith(font) for n in used):
                problems.append(f"{character!r} drawn by {sorted(used)}, not {font}")
    for text, _font in SCRIPTS.values():
        letters = set(text.replace(" ", ""))
        if len(letters & set(drawn)) < 0.7 * len(letters):
            problems.append(f"{text!r} is not in the PDF")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_opens_as_pages_with_charts_and_every_script_in_our_fonts(
    figures, language, tmp_path
):
    data = documents.pdf(figures, language)
    out = Path("/tmp/kalrav-report-png") / language
    out.mkdir(parents=True, exist_ok=True)
    images = pages(data, out)
    assert len(images) >= 3, "cover, totals and charts, tables"
    # The charts: blue bars and a green line, drawn over a good part of a page each.
    assert count_colour(images[1], _hex(BAR)) > 5000
    assert (
        count_colour(images[1], _hex(LINE), tolerance=30)
        + count_colour(images[2], _hex(LINE), tolerance=30)
        > 500
    )
    assert _scripts_problems(data) == []
    with translation.override(language):
        text = "".join(fonts_by_character(data))
    assert figures.workspace.name.replace(" ", "")[:4] in text


def test_the_check_finds_boxes_when_a_script_has_no_font(figures, monkeypatch):
    """The font check above can fail: without the Bengali font, Bengali is drawn by something
    else (a system font, or boxes), and the check says so."""
    without = tuple(f for f in documents.SCRIPT_FONTS if f[0] != "Kalrav Bengali")
    monkeypatch.setattr(documents, "SCRIPT_FONTS", without)
    monkeypatch.setattr(documents, "FONT_STACK", ", ".join(f"'{f}'" for f, _ in without))
    documents.font_faces.cache_clear()
    try:
        problems = _scripts_problems(documents.pdf(figures, "en"))
    finally:
        documents.font_faces.cache_clear()
    assert any("Kalrav-Bengali" in p for p in problems)
    assert not any("Kalrav-Devanagari" in p for p in problems)


def _text_pdf(text: str) -> bytes:
    from weasyprint import HTML

    page = (
        f"<style>{documents.font_faces()} @page {{ size: 120mm 30mm; margin: 5mm }}"
        f"body {{ font-family: {documents.FONT_STACK}; font-size: 28pt }}</style><p>{text}</p>"
    )
    return HTML(string=page).write_pdf()


@pytest.mark.parametrize("language", sorted(CONJUNCTS))
def test_conjuncts_are_shaped_not_letters_side_by_side(language):
    conjunct = CONJUNCTS[language]
    shaped = pages(_text_pdf(conjunct))[0]
    apart = pages(_text_pdf(conjunct.replace("\u094d", "\u094d" + ZWNJ)
                            .replace("\u09cd", "\u09cd" + ZWNJ)
                            .replace("\u0acd", "\u0acd" + ZWNJ)))[0]  # fmt: skip
    assert ink_width(shaped) > 0
    assert ink_width(shaped) < ink_width(apart), "the conjunct should be narrower than its parts"
