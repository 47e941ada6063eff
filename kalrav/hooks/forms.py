from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.hooks.models import Event


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Kalrav POSTs signed JSON here. Addresses in private networks are refused."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None: the endpoint only receives hand-offs of teams that chose it."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
