from django.conf.locale.en import formats as django_en

from kalrav.formats import iso

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
DATE_INPUT_FORMATS = iso.DATE_INPUT_FORMATS + django_en.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = iso.DATETIME_INPUT_FORMATS + django_en.DATETIME_INPUT_FORMATS

# Kalrav's own named styles (templates use them as `|date:"WEEKDAY_DATE_FORMAT"`; Django's
# get_format reads any name a format module defines), so no page hard-codes a pattern that is
# right in one language only: Greek months after a day are genitive, Indian languages read the
# 12-hour clock.
WEEKDAY_DATE_FORMAT = "l j F"
WEEKDAY_DATETIME_FORMAT = "l j F Y, H:i"
SHORT_WEEKDAY_DATETIME_FORMAT = "D j M, H:i"
SHORT_WEEKDAY_DATE_YEAR_TIME_FORMAT = "D j M Y, H:i"
DAY_MONTH_FORMAT = "j F"
