from django.conf.locale.en import formats as django_en

from kalrav.formats import iso

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
DATE_INPUT_FORMATS = iso.DATE_INPUT_FORMATS + django_en.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = iso.DATETIME_INPUT_FORMATS + django_en.DATETIME_INPUT_FORMATS
