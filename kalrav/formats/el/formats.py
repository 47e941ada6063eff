from django.conf.locale.el import formats as django_el

from kalrav.formats import iso

# "E" is the genitive month name Greek needs after a day ("7 Δεκεμβρίου 2026").
DATE_FORMAT = "j E Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
DATE_INPUT_FORMATS = iso.DATE_INPUT_FORMATS + django_el.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = iso.DATETIME_INPUT_FORMATS + django_el.DATETIME_INPUT_FORMATS
