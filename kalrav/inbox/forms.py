from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.inbox.models import ConversationState

SENTIMENTS = [
    ("", _("Any sentiment")),
    ("negative", _("Negative")),
    ("neutral", _("Neutral")),
    ("positive", _("Positive")),
]


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Search messages and people")}
        ),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=SENTIMENTS)
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("Priority, then newest")), ("due", _("Time left to answer"))],
    )
    # A built-in view the filters narrow further ("problems": open complaints).
    view = forms.ChoiceField(
        required=False, choices=[("", ""), ("problems", "problems")], widget=forms.HiddenInput
    )

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            ("", _("To do (new, open, pending)")),
            *ConversationState.choices,
            ("all", _("All")),
        ]  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
        ]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [
            ("", _("All channels")),
            *[(str(c.pk), c.name) for c in channels],
        ]  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Variables: {first_name}, {name}, {handle}, {ticket}."),
    )


class InboxSettingsForm(forms.Form):
    first_response_minutes = forms.IntegerField(
        label=_("First response target (minutes)"), min_value=1, max_value=7 * 24 * 60
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution target (minutes)"),
        min_value=1,
        max_value=90 * 24 * 60,
        initial=24 * 60,
        required=False,
        help_text=_("From the first message to resolved, in business hours."),
    )
    business_hours = forms.CharField(
        label=_("Business hours"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 7, "placeholder": "mon 09:00-18:00\ntue 09:00-13:00, 14:00-18:00"}
        ),
        help_text=_(
            "One line per day: mon … sun, then one or more opening times. Empty: targets count every minute."
        ),
    )
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-25"}),
        help_text=_("One date per line (YYYY-MM-DD); targets do not count these days."),
    )

    def clean_business_hours(self) -> dict:
        from datetime import time

        from kalrav.inbox.sla import DAYS

        hours: dict[str, list[list[str]]] = {}
        for number, line in enumerate(self.cleaned_data["business_hours"].splitlines(), start=1):
            if not line.strip():
                continue
            day, _sep, rest = line.strip().partition(" ")
            day = day.lower()[:3]
            if day not in DAYS or not rest.strip():
                raise forms.ValidationError(
                    _("Line %(n)d: start with a day (mon … sun), then times such as 09:00-18:00.")
                    % {"n": number}
                )
            windows = []
            for chunk in rest.split(","):
                start, _dash, end = chunk.strip().partition("-")
                try:
                    opens, closes = (
                        time.fromisoformat(start.strip()),
                        time.fromisoformat(end.strip()),
                    )
                except ValueError:
                    raise forms.ValidationError(
                        _("Line %(n)d: write times as 09:00-18:00.") % {"n": number}
                    ) from None
                if closes != time(0) and closes <= opens:
                    raise forms.ValidationError(
                        _("Line %(n)d: a window must close after it opens.") % {"n": number}
                    )
                windows.append([opens.strftime("%H:%M"), closes.strftime("%H:%M")])
            hours.setdefault(day, []).extend(windows)
        return hours

    def clean_holidays(self) -> list[str]:
        from datetime import date

        days = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            if line.strip():
                try:
                    days.append(date.fromisoformat(line.strip()).isoformat())
                except ValueError:
                    raise forms.ValidationError(
                        _("Line %(n)d: write a date as 2026-12-25.") % {"n": number}
                    ) from None
        return sorted(set(days))


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
        from kalrav.inbox.models import Priority

        super().__init__(*args, **kwargs)
        self.fields["networks"].choices = networks  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", "—"), *[(str(t.pk), t.name) for t in teams]]  # type: ignore[attr-defined]
        self.fields["priority"].choices = [
            ("", "—"),
            *[(str(v), label) for v, label in Priority.choices],
        ]  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        data["keywords"] = [w.strip() for w in data.get("keywords", "").split(",") if w.strip()]
        data["tags"] = [t.strip().lower() for t in data.get("tags", "").split(",") if t.strip()]
        if data.get("handoff") and not data.get("team"):
            self.add_error("team", _("Choose the team to hand off to."))
        return data
