"""Compile the .po catalogues to .mo with polib, so no GNU gettext is needed to run Kalrav.

English is the source language: its catalogue is filled with msgstr = msgid, so all five stay
complete and a missing translation elsewhere stands out.
"""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "kalrav" / "locale"

for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
    catalogue = polib.pofile(str(po_path), wrapwidth=0)
    if po_path.parts[-3] == "en":
        for entry in catalogue:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            else:
                entry.msgstr = entry.msgid
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        catalogue.save()
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{po_path.relative_to(LOCALE)}: {catalogue.percent_translated()}% translated")
