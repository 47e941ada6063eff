"""Posts, the variant of each post per channel, the media they carry, approvals and publish attempts.

Times are stored in UTC; the calendar shows them in the workspace's time zone. A variant's state
changes only through the services (see states.py for the allowed moves).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.connectors.base import MediaItem, MediaKind
from kalrav.workspaces.models import Workspace


class WorkspacePublishingSettings(models.Model):
    """How a workspace publishes; kept here so the Workspace model stays the workspaces app's."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="publishing_settings"
    )
    require_approval = models.BooleanField(
        _("require approval"),
        default=False,
        help_text=_("Nothing is scheduled before a manager or client approves it."),
    )
    reapprove_after_edit = models.BooleanField(
        _("ask again after a last-minute edit"),
        default=True,
        help_text=_("Editing an approved or scheduled variant sends it back for approval."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Publishing settings of {self.workspace}"


def _upload_to(instance: MediaAsset, filename: str) -> str:
    # A random name: paths must not be guessable, and the uploader's file name is kept apart.
    extension = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "image/gif": "gif",
        "video/mp4": "mp4",
        "video/quicktime": "mov",
        "video/webm": "webm",
    }.get(instance.mime_type, "bin")
    return f"publishing/{instance.workspace_id}/{uuid.uuid4().hex}.{extension}"


class MediaAsset(models.Model):
    """An image or video in a workspace's library, reusable across posts; its type is read from its
    content at upload, never from its name."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media_assets")
    file = models.FileField(_("file"), upload_to=_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    kind = models.CharField(
        _("kind"), max_length=8, choices=[(k.value, k.value) for k in MediaKind]
    )
    mime_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds, when known")
    alt_text = models.TextField(_("alternative text"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name or f"media {self.pk}"

    def as_item(self) -> MediaItem:
        return MediaItem(
            kind=MediaKind(self.kind),
            mime_type=self.mime_type,
            size=self.size,
            width=self.width,
            height=self.height,
            duration=self.duration,
            alt_text=self.alt_text,
            source=self.file.name or "",
        )


class Post(models.Model):
    """One idea on the calendar; each channel gets its own Variant of it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("master copy"), blank=True)
    campaign = models.CharField(_("campaign"), max_length=120, blank=True, db_index=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    notes = models.TextField(_("internal notes"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title or self.text[:60] or f"post {self.pk}"


class VariantState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    DELETING = "deleting", _("Deleting from the network")
    DELETED = "deleted", _("Deleted from the network")


def new_idempotency_key() -> str:
    return f"kalrav-{uuid.uuid4().hex}"


class Variant(models.Model):
    """The post as it goes to one channel. `idempotency_key` is made once, when the variant is
    created, and never changes: every publishing attempt sends the same key, so a network (or
    our reconciliation) can recognise a retry of the same post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="variants")
    text = models.TextField(_("text"), blank=True)
    media = models.ManyToManyField(MediaAsset, through="VariantMedia", related_name="variants")
    options = models.JSONField(default=dict, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=VariantState.choices, default=VariantState.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=64, unique=True, default=new_idempotency_key, editable=False
    )
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    # The rest of the network's reference (thread parts, album messages, room…): what a later
    # delete or edit must name.
    remote_extra = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The publisher's lease: a worker claims a due variant by setting these in one conditional
    # UPDATE; another worker may take it over only after the lease expires.
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="the network's own words")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_variant_per_channel")
        ]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="variant_due")]

    def __str__(self) -> str:
        return f"{self.post} → {self.channel.name}"

    @property
    def editable(self) -> bool:
        return self.state not in (
            VariantState.PUBLISHING,
            VariantState.PUBLISHED,
            VariantState.DELETING,
            VariantState.DELETED,
        )

    def ordered_media(self) -> list[MediaAsset]:
        return [
            link.asset for link in self.media_links.select_related("asset").order_by("position")
        ]


class VariantMedia(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="media_links")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "asset"], name="asset_once_per_variant")
        ]

    def __str__(self) -> str:
        return f"media {self.asset_id} at {self.position} of variant {self.variant_id}"


class ApprovalRequest(models.Model):
    """One round of approval for a variant: who asked and why, who decided what and why."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        WITHDRAWN = "withdrawn", _("Withdrawn by an edit")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="approvals")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_comment = models.TextField(_("reply"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"approval of {self.variant_id}: {self.decision or 'open'}"


class Attempt(models.Model):
    """One try to publish a variant, written by the publisher and kept for audit."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        PUBLISHED = "published", _("Published")
        TRANSIENT = "transient", _("Temporary error")
        RATE_LIMITED = "rate_limited", _("Rate limited")
        REJECTED = "rejected", _("Rejected by the network")
        AUTH_EXPIRED = "auth_expired", _("Channel needs reconnecting")
        UNKNOWN = "unknown", _("Outcome unknown")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="attempts")
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    error_type = models.CharField(max_length=64, blank=True)
    error_text = models.TextField(blank=True, help_text="the network's own words")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"attempt on {self.variant_id}: {self.outcome}"


class Notification(models.Model):
    """Something a person must see in Kalrav, such as a variant that failed to publish. Kept
    minimal: the calendar counts the unread ones and opening the post marks them read."""

    class Kind(models.TextChoices):
        PUBLISH_FAILED = "publish_failed", _("Publishing failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publishing_notifications"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    text = models.TextField(help_text="the network's own words")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "workspace", "read_at"], name="unread_notes")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


# Queue slots and recurring series live in their own module; imported here so Django registers them.
from kalrav.publishing.queues.models import Occurrence, QueueSlot, Recurrence  # noqa: E402, F401


def _rendition_upload_to(instance: MediaRendition, filename: str) -> str:
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.mime_type, "bin"
    )
    return f"publishing/{instance.asset.workspace_id}/renditions/{uuid.uuid4().hex}.{extension}"


class MediaRendition(models.Model):
    """A copy of an image made to one network's rules (smaller, or in a format it takes), made
    once and reused. `rule_key` names the rules it satisfies, so a network whose limits change
    gets a new rendition rather than a wrong one."""

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="renditions")
    network = models.CharField(max_length=40)
    rule_key = models.CharField(max_length=64)
    file = models.FileField(upload_to=_rendition_upload_to, max_length=255)
    mime_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "rule_key"], name="one_rendition_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.width}×{self.height} {self.mime_type} of media {self.asset_id}"

    def as_item(self) -> MediaItem:
        return MediaItem(
            kind=MediaKind.IMAGE,
            mime_type=self.mime_type,
            size=self.size,
            width=self.width,
            height=self.height,
            alt_text=self.asset.alt_text,
            source=self.file.name or "",
        )
