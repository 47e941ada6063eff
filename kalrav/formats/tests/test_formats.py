"""Dates read the same unambiguous way in all five languages: day, month by name, year; Hindi
and Gujarati names from Kalrav's catalogue; date inputs always get ISO values."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import number_format

from kalrav.inbox.sla.forms import ReportRangeForm

EVENING = datetime(2026, 12, 7, 18, 0, tzinfo=ZoneInfo("UTC"))
MORNING = datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("UTC"))

# What a person reads for 7 December 2026 at 18:00, in the page's usual formats.
EXPECTED = {
    "en": "7 Dec 2026, 18:00",
    "bn": "7 ডিসেম্বর 2026, 6:00 অপরাহ্ন",
    "hi": "7 दिसंबर 2026, 6:00 अपराह्न",
    "gu": "7 ડિસેમ્બર 2026, 6:00 PM",
    "el": "7 Δεκ 2026, 18:00",
}
DATES = {
    "en": "7 Dec 2026",
    "bn": "7 ডিসেম্বর 2026",
    "hi": "7 दिसंबर 2026",
    "gu": "7 ડિસેમ્બર 2026",
    "el": "7 Δεκεμβρίου 2026",
}
MONDAYS = {"en": "Monday", "bn": "সোমবার", "hi": "सोमवार", "gu": "સોમવાર", "el": "Δευτέρα"}


def _render(language: str, source: str, when) -> str:
    with translation.override(language):
        # Django's Bengali spells some vowel signs decomposed: compare what a reader sees.
        return unicodedata.normalize("NFC", Template(source).render(Context({"when": when})))


@pytest.mark.parametrize("language", list(EXPECTED))
def test_date_and_time_read_the_same_way_in_every_language(language):
    assert (
        _render(language, '{{ when|date:"SHORT_DATETIME_FORMAT" }}', EVENING) == EXPECTED[language]
    )
    # The long form differs only in Greek, where the month takes the genitive after a day.
    long_form = f"{DATES[language]}, {EXPECTED[language].split(', ')[1]}"
    assert _render(language, '{{ when|date:"DATETIME_FORMAT" }}', EVENING) == long_form
    assert _render(language, "{{ when }}", EVENING) == long_form
    assert _render(language, '{{ when|date:"DATE_FORMAT" }}', EVENING) == DATES[language]
    assert _render(language, '{{ when|date:"SHORT_DATE_FORMAT" }}', EVENING).startswith("7 ")
    assert _render(language, '{{ when|date:"l" }}', EVENING) == MONDAYS[language]
    # Never the ambiguous day/month numbers ("12/07/2026" for 7 December).
    for source in (
        '{{ when|date:"SHORT_DATE_FORMAT" }}',
        '{{ when|date:"SHORT_DATETIME_FORMAT" }}',
    ):
        assert not re.search(r"\d+[/.-]\d+[/.-]\d+", _render(language, source, EVENING))


def test_hindi_spells_months_right_and_says_which_half_of_the_day():
    evening = _render("hi", '{{ when|date:"SHORT_DATETIME_FORMAT" }}', EVENING)
    morning = _render("hi", '{{ when|date:"SHORT_DATETIME_FORMAT" }}', MORNING)
    assert "दिसंबर" in evening
    assert "दिसमबर" not in evening
    assert "बजे" not in evening
    assert evening.endswith("6:00 अपराह्न")
    assert morning.endswith("9:30 पूर्वाह्न")
    assert _render("hi", '{{ when|date:"F" }}', date(2026, 2, 1)) == "फ़रवरी"


def test_gujarati_has_its_own_month_and_weekday_names():
    assert _render("gu", '{{ when|date:"l j F Y" }}', EVENING) == "સોમવાર 7 ડિસેમ્બર 2026"
    assert _render("gu", '{{ when|date:"D j M" }}', EVENING) == "સોમ 7 ડિસે"
    assert _render("gu", '{{ when|date:"F" }}', date(2026, 1, 1)) == "જાન્યુઆરી"


@pytest.mark.parametrize("language", list(EXPECTED))
def test_date_inputs_get_iso_values(language):
    with translation.override(language):
        html = str(ReportRangeForm(initial={"start": date(2026, 12, 7)})["start"])
        bound = ReportRangeForm({"start": "2026-12-01", "end": "2026-12-07"})
        assert bound.is_valid(), bound.errors
    assert 'value="2026-12-07"' in html


# Kalrav's named styles, for 7 December 2026 at 18:00: Greek months after a day are genitive,
# the Indian languages read the 12-hour clock.
STYLES = {
    "en": ("Monday 7 December", "Monday 7 December 2026, 18:00", "Mon 7 Dec, 18:00"),
    "el": ("Δευτέρα 7 Δεκεμβρίου", "Δευτέρα 7 Δεκεμβρίου 2026, 18:00", "Δευ 7 Δεκ, 18:00"),
    "hi": ("सोमवार 7 दिसंबर", "सोमवार 7 दिसंबर 2026, 6:00 अपराह्न", None),
}


@pytest.mark.parametrize("language", sorted(STYLES))
def test_named_styles_read_right_in_each_language(language):
    day, full, short = STYLES[language]
    template = Template(
        '{{ d|date:"WEEKDAY_DATE_FORMAT" }}|{{ d|date:"WEEKDAY_DATETIME_FORMAT" }}'
        '|{{ d|date:"SHORT_WEEKDAY_DATETIME_FORMAT" }}'
    )
    with translation.override(language):
        found = template.render(Context({"d": EVENING.replace(tzinfo=None)})).split("|")
    assert found[0] == day
    assert found[1] == full
    if short is not None:
        assert found[2] == short


@pytest.mark.parametrize("language", ["en", "bn", "hi", "gu", "el"])
def test_every_language_defines_every_named_style(language):
    module = import_module(f"kalrav.formats.{language}.formats")
    for name in (
        "WEEKDAY_DATE_FORMAT",
        "WEEKDAY_DATETIME_FORMAT",
        "SHORT_WEEKDAY_DATETIME_FORMAT",
        "SHORT_WEEKDAY_DATE_YEAR_TIME_FORMAT",
        "DAY_MONTH_FORMAT",
    ):
        assert getattr(module, name, None), f"{language} lacks {name}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1,234,567.89"),
        ("bn", "12,34,567.89"),
        ("hi", "12,34,567.89"),
        ("gu", "12,34,567.89"),
        ("el", "1.234.567,89"),
    ],
)
def test_large_figures_are_grouped_as_each_language_writes_them(language, expected):
    """Analytics and reports group their figures: Indian languages by lakh and crore."""
    with translation.override(language):
        assert number_format(1234567.891, 2, force_grouping=True) == expected
