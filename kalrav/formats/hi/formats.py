from kalrav.formats import iso

# Hindi uses the 12-hour clock; "A" is पूर्वाह्न/अपराह्न from Kalrav's catalogue (Django's says
# "बजे" for PM, which drops the half of the day).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F Y, g:i A"
SHORT_DATETIME_FORMAT = "j F Y, g:i A"
DATE_INPUT_FORMATS = [*iso.DATE_INPUT_FORMATS, "%d-%m-%Y", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = [*iso.DATETIME_INPUT_FORMATS, "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M"]
