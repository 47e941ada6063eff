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
