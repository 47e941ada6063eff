"""The alert rule form: what to watch on which monitor, and where to send it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.channels.models import Channel
from kalrav.connectors import registry
from kalrav.connectors.base import Publisher
from kalrav.listening.alerts.models import AlertRule
from kalrav.listening.models import Monitor
from kalrav.workspaces.models import Workspace


def _can_post(network: str) -> bool:
    try:
        return issubclass(registry.get(network), Publisher)
    except registry.UnknownNetwork:
        return False


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "monitor",
            "kind",
            "min_count",
            "negative_share",
            "cooldown_minutes",
            "notify_in_app",
            "emails",
            "notify_webhook",
            "room",
        ]
        widgets = {"emails": forms.TextInput()}
        help_texts = {
            "min_count": gettext_lazy(
                "Spike and negative share: mentions in the window (10 or 60 minutes); new term: "
                "uses in an hour. A monitor with less than a week of history has no seasonal "
                "baseline yet: a spike then fires as soon as the window holds this many mentions."
            ),
            "negative_share": gettext_lazy("For a negative share: from 0 to 1 (0.4 is 40%)."),
            "cooldown_minutes": gettext_lazy("One alert per episode: none again before this."),
            "emails": gettext_lazy("Separated by commas."),
            "notify_webhook": gettext_lazy(
                "Sent as the “listening.alert” event to the workspace's webhook endpoints that ask for it."
            ),
            "room": gettext_lazy(
                "A team's Telegram group or Matrix room connected as a channel: Kalrav posts the alert there. Never choose a public account."
            ),
        }

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        monitor = self.fields["monitor"]
        room = self.fields["room"]
        assert isinstance(monitor, forms.ModelChoiceField)
        assert isinstance(room, forms.ModelChoiceField)
        monitor.queryset = Monitor.objects.filter(workspace=workspace)
        rooms = [c.pk for c in Channel.objects.filter(workspace=workspace) if _can_post(c.network)]
        room.queryset = Channel.objects.filter(pk__in=rooms)
        self.fields["negative_share"].widget.attrs.update(min="0", max="1", step="0.05")

    def clean_emails(self) -> str:
        emails = self.cleaned_data["emails"]
        for address in [e.strip() for e in emails.replace(";", ",").split(",") if e.strip()]:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is not an email address.") % {"address": address}
                ) from None
        return emails

    def clean_negative_share(self) -> float:
        share = self.cleaned_data["negative_share"]
        if not 0 < share < 1:
            raise ValidationError(_("Give a share between 0 and 1."))
        return share

    def clean_min_count(self) -> int:
        count = self.cleaned_data["min_count"]
        if count < 3:
            raise ValidationError(_("At least 3: fewer mentions are not an episode."))
        return count
