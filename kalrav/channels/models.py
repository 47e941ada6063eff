from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import Workspace


class ChannelState(models.TextChoices):
    CHECKING = "checking", _("Checking")
    UNVERIFIED = "unverified", _("Saved, not verified")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    FAILING = "failing", _("Failing")


class LiveChannels(models.Manager["Channel"]):
    """Channels still in use. A removed channel that has history (published posts,
    conversations) is archived instead of deleted, and disappears from every list, form, poller
    and stream; its posts and conversations still show it, since following a foreign key uses
    the unfiltered base manager."""

    def get_queryset(self) -> models.QuerySet[Channel]:
        return super().get_queryset().filter(archived_at=None)


class AllChannels(models.Manager["Channel"]):
    """Archived channels included, for history."""


class Channel(models.Model):
    """One connected account, page, group or channel on a network.

    Secret settings live only in `credentials`, encrypted (Fernet); they are never rendered,
    logged or exported. `config` holds the non-secret ones (server address, chat id).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    config = models.JSONField(default=dict, blank=True)
    credentials = models.TextField(blank=True, help_text="encrypted JSON of the secret settings")
    remote_id = models.CharField(max_length=255, blank=True)
    handle = models.CharField(_("handle"), max_length=255, blank=True)
    url = models.URLField(max_length=500, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ChannelState.choices, default=ChannelState.CHECKING
    )
    state_detail = models.TextField(
        _("detail"), blank=True, help_text="the network's own words for the last problem"
    )
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    credentials_renewed_at = models.DateTimeField(null=True, blank=True)
    # When the network stops honouring the credentials unless someone signs in again (Meta's
    # 60-day user token); shown ahead on the channel's page and emailed to whoever connected it.
    credentials_expire_at = models.DateTimeField(null=True, blank=True)
    # Which of those emails went out, as "<days ahead>:<expiry>", so each is sent once per expiry.
    expiry_notices = models.JSONField(default=list, blank=True)
    # Since the first failure after the last success: how long the inbox has not heard the channel.
    unheard_since = models.DateTimeField(null=True, blank=True)
    # A failing channel is checked again by itself (kalrav.channels.probing), with a wait that
    # doubles after each failed check.
    probe_attempts = models.PositiveIntegerField(default=0)
    next_probe_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveChannels()
    everything = AllChannels()

    class Meta:
        ordering = ["network", "name"]
        base_manager_name = "everything"
        indexes = [models.Index(fields=["workspace", "state"], name="channel_ws_state")]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"

    @property
    def can_work(self) -> bool:
        if self.state == ChannelState.RATE_LIMITED:
            return self.rate_limited_until is not None and self.rate_limited_until <= timezone.now()
        return self.state == ChannelState.ACTIVE

    @property
    def is_demo(self) -> bool:
        """A channel the demo made (kalrav.demo): it stands for an account, never calls the
        network, and publishing to it is held with the reason."""
        return bool(self.config.get("demo"))


class ChannelRateBudget(models.Model):
    """What the network last said is left of one of its rate limits for this channel (see
    connectors.base.RateBudgetReporter); one row per limit, overwritten after each use."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="rate_budgets")
    name = models.CharField(max_length=120)
    remaining = models.PositiveIntegerField()
    limit = models.PositiveIntegerField()
    resets_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "name"], name="channel_rate_budget_once")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.remaining}/{self.limit}"

    @property
    def window_over(self) -> bool:
        """The window has started again since the network said it: the budget is whole."""
        return self.resets_at is not None and self.resets_at <= timezone.now()

    @property
    def left(self) -> int:
        return self.limit if self.window_over else min(self.remaining, self.limit)

    @property
    def low(self) -> int:
        """Below this the bar shows a warning: a tenth of the limit."""
        return max(self.limit // 10, 1)
