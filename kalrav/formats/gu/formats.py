"""Gujarati: Django ships no formats (nor month names) for it; the names come from Kalrav's
catalogue (see kalrav/formats/names.py)."""

from kalrav.formats import iso

DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F Y, g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j F Y"
SHORT_DATETIME_FORMAT = "j F Y, g:i A"
FIRST_DAY_OF_WEEK = 0  # Sunday, as calendars in Gujarat print it
DATE_INPUT_FORMATS = [*iso.DATE_INPUT_FORMATS, "%d-%m-%Y", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = [*iso.DATETIME_INPUT_FORMATS, "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
