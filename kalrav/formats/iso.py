"""The ISO forms every language accepts first: `<input type=date>` and `datetime-local` send
them, and a widget without its own format renders a value with the first entry."""

DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
