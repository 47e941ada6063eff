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
