"""Forms of teams and routing: a new team, a team's own targets and calendar, a routing rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.inbox.forms import SENTIMENTS
from kalrav.inbox.models import Priority
from kalrav.inbox.sla.forms import InboxSettingsForm
from kalrav.inbox.teams.services import check_zone


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

        try:
            return check_zone(self.cleaned_data["time_zone"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["time_zone"]) from None


LANGUAGE_CHOICES = [
    ("en", "English"),
    ("bn", "বাংলা"),
    ("hi", "हिन्दी"),
    ("gu", "ગુજરાતી"),
    ("el", "Ελληνικά"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ar", "العربية"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
]


class TeamForm(forms.Form):
    name = forms.CharField(
        label=_("Team name"), max_length=80, help_text=_("Such as Support, Sales, Billing or PR.")
    )
    email = forms.EmailField(
        label=_("Hand-off email"),
        required=False,
        help_text=_("Where the team receives conversations handed to it."),
    )
    first_response_minutes = forms.IntegerField(
        label=_("First response target (minutes)"), min_value=1, max_value=7 * 24 * 60, initial=15
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution target (minutes)"),
        min_value=1,
        max_value=90 * 24 * 60,
        initial=24 * 60,
        required=False,
    )


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=120)
    keywords = forms.CharField(
        label=_("Words in the message"),
        required=False,
        help_text=_("Any of these, separated by commas, such as refund, late, broken."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        required=False,
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    sentiments = forms.MultipleChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=SENTIMENTS[1:],
        widget=forms.CheckboxSelectMultiple,
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"), required=False, widget=forms.CheckboxSelectMultiple
    )
    team = forms.ChoiceField(label=_("Hand to team"), required=False)
    priority = forms.ChoiceField(label=_("Set priority"), required=False)
    tags = forms.CharField(label=_("Add tags"), required=False, help_text=_("Separated by commas."))
    handoff = forms.BooleanField(
        label=_("Hand off to the team"),
        required=False,
        help_text=_("By email and to its helpdesk webhook, whichever the team has."),
    )
    auto_reply = forms.CharField(
        label=_("Automatic reply outside business hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stop = forms.BooleanField(label=_("Stop after this rule"), required=False)

    def __init__(self, *args, teams, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["networks"].choices = networks  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", "—"), *[(str(t.pk), t.name) for t in teams]]  # type: ignore[attr-defined]
        self.fields["priority"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(str(v), label) for v, label in Priority.choices],
        ]

    def clean(self):
        data = super().clean() or {}
        data["keywords"] = [w.strip() for w in data.get("keywords", "").split(",") if w.strip()]
        data["tags"] = [t.strip().lower() for t in data.get("tags", "").split(",") if t.strip()]
        if data.get("handoff") and not data.get("team"):
            self.add_error("team", _("Choose the team to hand off to."))
        return data
