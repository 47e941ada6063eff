from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.inbox.corrections.models import SentimentCorrection  # noqa: F401 - loads it with the app
from kalrav.inbox.sla.calendar import BusinessCalendar
from kalrav.workspaces.models import Workspace


class InboxSettings(models.Model):
    """The workspace's response-time target and business hours (empty hours: always open)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="inbox_settings"
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), default=15
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), default=24 * 60
    )
    business_hours = models.JSONField(
        default=dict, blank=True, help_text='{"mon": [["09:00", "18:00"]], ...}'
    )
    holidays = models.JSONField(default=list, blank=True, help_text='["2026-12-25", ...]')

    def __str__(self) -> str:
        return f"Inbox settings of {self.workspace}"

    @classmethod
    def for_workspace(cls, workspace_id: int) -> InboxSettings:
        """The workspace's settings, created with the defaults on first use."""
        settings, _created = cls.objects.select_related("workspace").get_or_create(
            workspace_id=workspace_id
        )
        return settings

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_settings(
            self.workspace.time_zone, self.business_hours, self.holidays
        )


class Team(models.Model):
    """A department a conversation can be handed to: support, sales, billing, PR…"""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("hand-off email"), blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), default=15
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), default=24 * 60
    )
    # The team's own calendar (kalrav.inbox.sla.targets): empty hours and zone mean the workspace's;
    # its holidays add to the workspace's.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    business_hours = models.JSONField(default=dict, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="inbox_teams", verbose_name=_("members")
    )
    handoff_endpoint = models.ForeignKey(
        "hooks.Endpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        verbose_name=_("helpdesk webhook"),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_name_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


class ConversationState(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    SPAM = "spam", _("Spam")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Conversation(models.Model):
    """One thread on one channel: a comment and its replies, a mention, or a direct-message
    exchange with one person. What the team works on: state, assignee, team, priority, tags."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    root_remote_id = models.CharField(
        max_length=255, help_text="the network's id of the thread's first item"
    )
    kind = models.CharField(_("type"), max_length=20)
    author_remote_id = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    excerpt = models.CharField(max_length=280, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ConversationState.choices, default=ConversationState.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    tags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(
        null=True, blank=True, help_text="target, in business hours"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(
        null=True, blank=True, help_text="target, in business hours"
    )
    # Set once, by the first run of the breach check that finds the target missed.
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # Measured when the answer or resolution happens, so the report aggregates in SQL.
    first_response_business_minutes = models.FloatField(null=True, blank=True)
    first_response_wall_minutes = models.FloatField(null=True, blank=True)
    resolution_business_minutes = models.FloatField(null=True, blank=True)
    resolution_wall_minutes = models.FloatField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    unread = models.BooleanField(default=True)
    # A mention listening found on the web (a news site, a blog, a forum) or on a network with no
    # channel here: the channel only holds it, so nothing is ever sent through the channel's
    # connector; the team answers on the source site and marks it answered.
    answer_on_source = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "root_remote_id"], name="one_conversation_per_thread"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "state", "-last_message_at"], name="inbox_ws_state_time"
            ),
            models.Index(fields=["workspace", "assignee", "state"], name="inbox_ws_assignee"),
            # The default order of the list: urgent first, then newest.
            models.Index(
                fields=["workspace", "-priority", "-last_message_at"], name="inbox_ws_priority_time"
            ),
            # "Time left to answer" order.
            models.Index(fields=["workspace", "first_response_due"], name="inbox_ws_due"),
            # The to-do list, the inbox's default, in its two orders (kalrav.inbox.ordering),
            # ending with the id as the orders do. The condition must stay the view's filter.
            models.Index(
                fields=["workspace", "-priority", "-last_message_at", "-id"],
                condition=models.Q(state__in=["new", "open", "pending"]),
                name="inbox_todo_priority_time",
            ),
            models.Index(
                fields=["workspace", "first_response_due", "-priority", "-last_message_at", "-id"],
                condition=models.Q(state__in=["new", "open", "pending"]),
                name="inbox_todo_due",
            ),
            # The breach check, every minute: only conversations still waiting are indexed.
            models.Index(
                fields=["first_response_due"],
                condition=models.Q(first_response_at=None, first_response_breached_at=None),
                name="inbox_first_response_waiting",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=models.Q(resolved_at=None, resolution_breached_at=None),
                name="inbox_resolution_waiting",
            ),
            # The response-time report: conversations received in a date range.
            models.Index(fields=["workspace", "received_at"], name="inbox_ws_received"),
        ]

    def __str__(self) -> str:
        return f"{self.author_handle or self.author_name}: {self.excerpt[:40]}"

    def link(self) -> str:
        """Where the conversation opens in Kalrav: for emails, hand-offs and outgoing webhooks."""
        return f"{settings.BASE_URL}/w/{self.workspace.slug}/inbox/{self.pk}/"


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class Delivery(models.TextChoices):
    RECEIVED = "received", _("Received")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One item in a conversation, stored once per network id however it arrived."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.RECEIVED)
    author_remote_id = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    # Room for a listening mention's source address (Mention.url, up to 1000) and then some:
    # a cut address opens the wrong page.
    url = models.URLField(max_length=2000, blank=True)
    parent_remote_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(help_text="when the network says it was written")
    received_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(
        max_length=10, default="poll", help_text="poll, stream, webhook or kalrav"
    )
    language = models.CharField(max_length=8, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    # A person's correction of the model's sentiment (see kalrav.inbox.corrections).
    sentiment_corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sentiment_corrected_at = models.DateTimeField(null=True, blank=True)
    # Likes, hiding and deletion on the network (kalrav.inbox.work.moderation). `moderation_pending`
    # names the action sent to the network and not answered yet.
    liked_at = models.DateTimeField(null=True, blank=True)
    like_remote_id = models.CharField(max_length=255, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    moderation_pending = models.CharField(max_length=8, blank=True)
    moderation_error = models.TextField(blank=True)
    # The idempotency key of an outgoing reply: random, stored when the reply is written and
    # before any send, so no other installation (or this one after a restore) makes the same one.
    send_key = models.CharField(max_length=64, blank=True)
    # Until when one worker holds the right to send this reply or moderation action (see
    # kalrav.inbox.work.sending): set by one conditional UPDATE, so two workers never both send.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_id"],
                condition=~models.Q(remote_id=""),
                name="one_message_per_remote_id",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class SendAttempt(models.Model):
    """One try at sending a reply or a moderation action, written before the network is called:
    an attempt left `running` by a dead worker shows that its outcome is unknown."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SENT = "sent", _("Sent")
        REJECTED = "rejected", _("Rejected by the network")
        TRANSIENT = "transient", _("Temporary error")
        UNKNOWN = "unknown", _("Outcome unknown")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="send_attempts")
    action = models.CharField(max_length=8, help_text="reply, like, unlike, hide, unhide, delete")
    key = models.CharField(max_length=100)
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error_type = models.CharField(max_length=60, blank=True)
    error_text = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of {self.message_id}: {self.outcome}"


class Note(models.Model):
    """An internal note on a conversation, never sent to the network."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class SavedReply(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(
        _("text"), help_text=_("Variables: {first_name}, {name}, {handle}, {ticket}.")
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class InboxCursor(models.Model):
    """Where polling, and the stream, of a channel's inbox continue next time."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="inbox_cursor")
    value = models.TextField(blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    # Where the channel's stream resumes (a firehose sequence, a /sync token); apart from `value`,
    # which is the polling position and means something else to the network.
    stream_position = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.value[:40]}"


class RoutingRule(models.Model):
    """An ordered rule: when a new conversation matches every condition set, take the actions.

    Conditions (empty means "any"): keywords (any of them, case-insensitive), languages,
    sentiments, networks, kinds. Actions: team, assignee, priority, tags, a hand-off email to
    the team, and an automatic reply sent only outside business hours."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="routing_rules")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=True)
    stop = models.BooleanField(_("stop after this rule"), default=False)
    keywords = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    sentiments = models.JSONField(default=list, blank=True)
    networks = models.JSONField(default=list, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    handoff = models.BooleanField(_("email the team"), default=False)
    auto_reply = models.TextField(_("automatic reply outside business hours"), blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A member's named filters, sort and search for the inbox list; private unless shared
    with the workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    shared = models.BooleanField(_("shared with the workspace"), default=False)
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "owner", "name"], name="inbox_view_name_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name


class InboxNotification(models.Model):
    """Something in the inbox a member must see, such as a note that mentions them."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mentioned in a note")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_notifications"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="notifications"
    )
    note = models.ForeignKey(
        Note, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MENTION)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "workspace", "read_at"], name="inbox_unread_notifications")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class Handoff(models.Model):
    """A conversation handed to a team's department, by email or to its helpdesk's webhook,
    with the ticket the helpdesk answered with so the community manager can follow up."""

    class Via(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Helpdesk webhook")

    class State(models.TextChoices):
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        SENT = "sent", _("Handed off")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoffs"
    )
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="handoffs")
    team_name = models.CharField(max_length=80, help_text="kept if the team is deleted")
    via = models.CharField(max_length=8, choices=Via.choices)
    target = models.CharField(max_length=500, help_text="the email address or the webhook's URL")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENDING)
    reason = models.CharField(max_length=200, blank=True, help_text="the rule, or who handed off")
    delivery = models.ForeignKey(
        "hooks.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_id = models.CharField(max_length=120, blank=True)
    ticket_url = models.URLField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.conversation_id} → {self.team_name} ({self.via})"
