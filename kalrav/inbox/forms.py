from __future__ import annotations

from django import forms
from django.conf import settings
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
    # The languages Kalrav is made for; the detector's other codes still show as a chip on the row.
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("All languages")), *settings.LANGUAGES],
    )
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
        self._choose(
            "state",
            [("", _("To do (new, open, pending)")), *ConversationState.choices, ("all", _("All"))],
        )
        self._choose("assignee", [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))])
        self._choose("channel", [("", _("All channels")), *[(str(c.pk), c.name) for c in channels]])

    def _choose(self, name: str, choices: list) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


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
