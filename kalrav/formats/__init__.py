"""Kalrav's own date formats, one module per language (FORMAT_MODULE_PATH), read before Django's.

One style everywhere: day, month by name, year ("7 Dec 2026, 18:30" and its translations), so no
page says "12/07/2026" for 7 December. Date inputs get ISO values first, as `<input type=date>`
shows nothing for any other. Month and weekday names come from the catalogues; `names.py` lists
the ones Kalrav's catalogues supply (Gujarati) or correct (Hindi).
"""
