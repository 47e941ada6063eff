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

# Kalrav's own named styles (templates use them as `|date:"WEEKDAY_DATE_FORMAT"`; Django's
# get_format reads any name a format module defines), so no page hard-codes a pattern that is
# right in one language only: Greek months after a day are genitive, Indian languages read the
# 12-hour clock.
WEEKDAY_DATE_FORMAT = "l j F"
WEEKDAY_DATETIME_FORMAT = "l j F Y, g:i A"
SHORT_WEEKDAY_DATETIME_FORMAT = "D j F, g:i A"
SHORT_WEEKDAY_DATE_YEAR_TIME_FORMAT = "D j F Y, g:i A"
DAY_MONTH_FORMAT = "j F"

# Indian grouping, as CLDR writes numbers in gu: 12,34,567 (lakh and crore), not 1,234,567.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)
