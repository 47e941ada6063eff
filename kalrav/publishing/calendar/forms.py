"""The calendar page's forms: its filters, the CSV import and the workspace's publishing settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.publishing.calendar.grid import VIEWS
from kalrav.publishing.models import VariantState


class CalendarFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    date = forms.DateField(required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *VariantState.choices],
    )

    def __init__(self, *args, channels, campaigns, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All channels"))] + [  # type: ignore[attr-defined]
            (str(c.pk), c.name) for c in channels
        ]
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [  # type: ignore[attr-defined]
            (c, c) for c in campaigns
        ]
        self.fields["tag"].choices = [("", _("All tags"))] + [(t, t) for t in tags]  # type: ignore[attr-defined]
        for name in ("channel", "campaign", "tag", "state"):
            self.fields[name].widget.attrs["data-autosubmit"] = ""


class PublishingSettingsForm(forms.Form):
    require_approval = forms.BooleanField(
        label=_("Require approval before anything is scheduled"), required=False
    )
    reapprove_after_edit = forms.BooleanField(
        label=_("Ask for approval again after a last-minute edit"), required=False
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
