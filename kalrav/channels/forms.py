from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import SettingsField


class ChannelForm(forms.Form):
    """The connect (or reconnect) form, built from the fields the connector declares."""

    name = forms.CharField(
        label=_("Name in Kalrav"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the account's handle."),
    )

    def __init__(
        self, *args, fields: tuple[SettingsField, ...], reconnecting: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        for field in fields:
            widget: forms.Widget
            if field.secret:
                widget = forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False)
            elif field.kind == "url":
                widget = forms.URLInput()
            else:
                widget = forms.TextInput()
            help_text = field.help_text
            if field.secret and reconnecting:
                help_text = _("Leave empty to keep the saved one.")
            # A secret left empty on reconnecting keeps the saved one, so it is optional there.
            required = field.required and not (field.secret and reconnecting)
            common: dict[str, Any] = {
                "label": str(field.label),
                "required": required,
                "widget": widget,
                "help_text": str(help_text),
                "error_messages": {"invalid": _("Enter a full address starting with https://")},
            }
            if field.kind == "url":
                self.fields[field.name] = forms.URLField(assume_scheme="https", **common)
            else:
                self.fields[field.name] = forms.CharField(**common)
        if reconnecting:
            del self.fields["name"]
