from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.inbox.forms import InboxSettingsForm


class ReportRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        if start and end and (end - start).days > 366:
            self.add_error("end", _("Choose at most a year."))
        return data


class TeamEditForm(InboxSettingsForm):
    """A team's name, hand-off ways, targets and own calendar (hours and holidays as on the
    workspace's response-targets page)."""

    name = forms.CharField(label=_("Team name"), max_length=80)
    email = forms.EmailField(label=_("Hand-off email"), required=False)
    handoff_endpoint = forms.ChoiceField(
        label=_("Helpdesk webhook"),
        required=False,
        help_text=_(
            "Hand-offs are also posted, signed, to this endpoint; its answer may carry the ticket. Add endpoints under Settings → Webhooks."
        ),
    )
    members = forms.MultipleChoiceField(
        label=_("Members"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "They are told when a conversation of the team with nobody assigned misses a target."
        ),
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_("Empty: the workspace's. Such as Europe/Athens."),
    )

    field_order = [
        "name",
        "email",
        "handoff_endpoint",
        "members",
        "first_response_minutes",
        "resolution_minutes",
        "time_zone",
        "business_hours",
        "holidays",
    ]

    def __init__(self, *args, endpoints, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handoff_endpoint"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(str(e.pk), str(e)) for e in endpoints],
        ]
        self.fields["members"].choices = [  # type: ignore[attr-defined]
            (str(m.user_id), m.user.display_name) for m in people
        ]
        self.fields["business_hours"].help_text = _(
            "One line per day, as mon 09:00-18:00. Empty: the workspace's hours."
        )
        self.fields["holidays"].help_text = _(
            "One date per line (YYYY-MM-DD), added to the workspace's holidays."
        )

    def clean_time_zone(self) -> str:
        from django.core.exceptions import ValidationError

        from kalrav.inbox.teams import check_zone

        try:
            return check_zone(self.cleaned_data["time_zone"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["time_zone"]) from None
