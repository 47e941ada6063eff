from django.conf.locale.bn import formats as django_bn

from kalrav.formats import iso

# Bengali reads the full month name and the 12-hour clock with its own AM/PM words.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F Y, g:i A"
SHORT_DATETIME_FORMAT = "j F Y, g:i A"
DATE_INPUT_FORMATS = iso.DATE_INPUT_FORMATS + django_bn.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = iso.DATETIME_INPUT_FORMATS + django_bn.DATETIME_INPUT_FORMATS

# Kalrav's own named styles (templates use them as `|date:"WEEKDAY_DATE_FORMAT"`; Django's
# get_format reads any name a format module defines), so no page hard-codes a pattern that is
# right in one language only: Greek months after a day are genitive, Indian languages read the
# 12-hour clock.
WEEKDAY_DATE_FORMAT = "l j F"
WEEKDAY_DATETIME_FORMAT = "l j F Y, g:i A"
SHORT_WEEKDAY_DATETIME_FORMAT = "D j F, g:i A"
SHORT_WEEKDAY_DATE_YEAR_TIME_FORMAT = "D j F Y, g:i A"
DAY_MONTH_FORMAT = "j F"

# Indian grouping, as CLDR writes numbers in bn: 12,34,567 (lakh and crore), not 1,234,567.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)
