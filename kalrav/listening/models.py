"""What listening keeps: monitors (saved queries), the sources mentions come from, the mentions
themselves (deduplicated, with language and sentiment) and which monitors each one matched."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.inbox.models import Conversation
from kalrav.workspaces.models import Workspace


class MonitorKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    # Counted beside the brand's own monitors for share of voice.
    COMPETITOR = "competitor", _("Competitor")


class Monitor(models.Model):
    """A saved query (see `kalrav.listening.query`) every collected mention is matched against."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(_("name"), max_length=120)
    query = models.TextField(_("query"))
    kind = models.CharField(
        _("type"), max_length=12, choices=MonitorKind.choices, default=MonitorKind.BRAND
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    FEED = "feed", _("RSS or Atom feed")
    BLUESKY = "bluesky", _("Bluesky stream")
    MASTODON = "mastodon", _("Mastodon stream")
    # A connected channel's network searched for the monitors' words (ListeningSource).
    NETWORK = "network", _("Network search")


class SourceState(models.TextChoices):
    OK = "ok", _("Working")
    FAILING = "failing", _("Failing")
    PAUSED = "paused", _("Paused")


class SourceErrorKind(models.TextChoices):
    """Why a source's last fetch failed, stable across languages; the label is the sentence the
    sources page shows, and `Source.last_error` keeps the raw detail (often English, from the
    network or the connector) beside it."""

    UNREACHABLE = "unreachable", _("The address could not be reached.")
    TIMEOUT = "timeout", _("The address took too long to answer.")
    REFUSED = "refused", _("The address refused the request.")
    SERVER_ERROR = "server_error", _("The site answered with an error of its own.")
    BLOCKED = "blocked", _("This address is not allowed (private or not http/https).")
    NOT_A_FEED = "not_a_feed", _("This is not an RSS or Atom feed.")
    TOO_LARGE = "too_large", _("The feed is larger than 5 MB.")
    RATE_LIMITED = "rate_limited", _("The network asked Kalrav to slow down; it will try later.")
    AUTH = "auth", _("The network no longer accepts the channel's sign-in; reconnect it.")
    CHANNEL_DOWN = "channel_down", _("The channel is not working; see the channels page.")
    CANNOT_SEARCH = "cannot_search", _("This network cannot search.")
    NO_STREAM = "no_stream", _("This network has no public stream.")
    OTHER = "other", _("Fetching failed.")


class Source(models.Model):
    """Where mentions come from, with its health: a feed fetched with conditional GET, or a
    channel's network searched or streamed. Failures back off per source."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="listening_sources"
    )
    kind = models.CharField(_("type"), max_length=12, choices=SourceKind.choices)
    url = models.URLField(_("address"), max_length=1000, blank=True)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="listening_sources"
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=SourceState.choices, default=SourceState.OK
    )
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True)
    failures = models.PositiveIntegerField(default=0)
    # Why the last fetch failed (translated on the page) and the raw detail behind it.
    error_kind = models.CharField(max_length=16, choices=SourceErrorKind.choices, blank=True)
    last_error = models.TextField(blank=True)
    # A worker holds the source until then, so two workers never fetch it at once.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Per-network search position (newest id or cursor seen per monitor), so a search asks
    # only for what is new.
    cursor = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "url"],
                condition=~models.Q(url=""),
                name="listening_one_source_per_url",
            ),
            models.UniqueConstraint(
                fields=["workspace", "kind", "channel"],
                condition=models.Q(channel__isnull=False),
                name="listening_one_source_per_channel_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url or str(self.channel or self.kind)


class Mention(models.Model):
    """One collected post or article, once per workspace however many sources carried it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="mentions")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions"
    )
    network = models.CharField(max_length=32, default="web")
    remote_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    # sha256 of the normalised URL: one mention per address.
    url_key = models.CharField(max_length=64)
    # sha256 of the normalised text and author: the same text from the same author (a repost,
    # a feed and a search both carrying it) within a window is one mention.
    text_key = models.CharField(max_length=64, db_index=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    author_reach = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    # As kalrav.inbox.models.Message.sentiment: "positive", "neutral" or "negative".
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    # The slower model's reading, made when a person opens the mention; blank until then.
    quality_sentiment = models.CharField(max_length=8, blank=True)
    published_at = models.DateTimeField(db_index=True)
    collected_at = models.DateTimeField(default=timezone.now)
    is_read = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "url_key"], name="listening_mention_url")
        ]
        indexes = [
            models.Index(fields=["workspace", "published_at"], name="mentions_by_time"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:60] or self.url

    @property
    def shown_sentiment(self) -> str:
        return self.quality_sentiment or self.sentiment


class MentionMatch(models.Model):
    """A mention matched by a monitor. Language, sentiment and time are copied here so
    dashboards count per monitor without joining mentions."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="matches")
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="matches")
    published_at = models.DateTimeField()
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "mention"], name="listening_match_once")
        ]
        indexes = [
            models.Index(fields=["monitor", "published_at"], name="matches_by_time"),
            models.Index(
                fields=["monitor", "sentiment", "published_at"], name="matches_by_sentiment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}:{self.mention_id}"


from kalrav.listening.alerts.models import Alert, AlertDelivery, AlertNotice, AlertRule  # noqa: E402,F401
