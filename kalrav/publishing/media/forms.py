"""The media library's forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MediaUploadForm(forms.Form):
    file = forms.FileField(label=_("Image or video"))
    alt_text = forms.CharField(
        label=_("Alternative text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Describe the image for people who cannot see it; networks show this to screen readers."
        ),
    )


class AltTextForm(forms.Form):
    alt_text = forms.CharField(
        label=_("Alternative text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
