"""The five catalogues are complete: every string translated, nothing fuzzy, every placeholder and
tag kept, and the compiled .mo files match their .po sources."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "kalrav" / "locale"
LANGUAGES = ["en", "bn", "hi", "gu", "el"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdfg]|%\([a-z_]+\)\.\d[fg]|%\([a-z_]+\)0\dX|<[^>]+>")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    catalogue = _catalogue(language)
    assert len(catalogue) > 200
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}: {untranslated[:5]}"
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_tags_survive_translation(language):
    for entry in _catalogue(language).translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == expected, (language, entry.msgid, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_source(language):
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in _catalogue(language).translated_entries()
    }
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    built = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in compiled if e.msgid
    }
    assert built == source, "run `python scripts/compile_messages.py` after editing a .po file"


def test_non_english_catalogues_are_not_english_copies():
    for language in ["bn", "hi", "gu", "el"]:
        catalogue = _catalogue(language)
        copies = [
            e.msgid
            for e in catalogue.translated_entries()
            if e.msgstr == e.msgid and len(e.msgid) > 12 and "%" not in e.msgid
        ]
        assert len(copies) <= 3, (language, copies)


@pytest.mark.parametrize("language", LANGUAGES)
def test_durations_read_as_the_language_writes_them(language):
    from datetime import timedelta

    from django.utils import timezone, translation
    from django.utils.timesince import timesince

    with translation.override(language):
        text = timesince(timezone.now() - timedelta(hours=13, minutes=7))
    # Django's own Bengali catalogue joins the parts with "," and no space.
    assert re.fullmatch(r"13\xa0\S+, 7\xa0\S+", text), text
