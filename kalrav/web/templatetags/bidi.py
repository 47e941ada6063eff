"""`{{ name|isolate }}`: text from a network or a user, isolated from the text around it.

A right-to-left override (U+202E) or an isolate character in a name, handle or message can
reorder what a reader sees around it ("invoice.exe" showing as "exe.eciovni", a reply seeming to
come from someone else). `<bdi>` contains the text's own direction; use it for inline pieces and
`dir="auto"` on an element that holds only such text. Not for attributes, `<option>` or
`<title>`, which take no markup.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def isolate(value: object) -> SafeString | str:
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", value)
