"""Outgoing webhooks: a workspace's endpoints and every delivery made to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import Workspace


class Event(models.TextChoices):
    MESSAGE_RECEIVED = "message.received", _("A message arrived")
    CONVERSATION_ASSIGNED = "conversation.assigned", _("A conversation was assigned")
    CONVERSATION_RESOLVED = "conversation.resolved", _("A conversation was resolved")
    SLA_BREACHED = "sla.breached", _("A response-time target was missed")
    HANDOFF_CREATED = "handoff.created", _("A conversation was handed off to a team")
    LISTENING_ALERT = "listening.alert", _("A listening alert fired")


class Endpoint(models.Model):
    """A URL that receives the workspace's events, signed with the endpoint's secret."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    # Fernet-encrypted (kalrav.crypto): Kalrav must read it back to sign each delivery.
    secret = models.TextField()
    secret_hint = models.CharField(
        max_length=12, blank=True, help_text="the secret's last characters"
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event: str) -> bool:
        return self.enabled and event in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RETRYING = "retrying", _("Failed, will retry")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event sent (or being sent) to one endpoint; the fields of its latest attempt."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    event_id = models.UUIDField(default=uuid.uuid4, help_text="the same on every retry")
    # Sent as Kalrav-Delivery: the same on every retry of this delivery, and unlike the row's id
    # never the same in two installations, so a receiver may dedupe by it.
    delivery_id = models.UUIDField(default=uuid.uuid4)
    # Until when one worker holds the right to send this delivery (delivery.claim).
    claimed_until = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # A function (dotted path) told of each attempt's outcome: a hand-off reads its ticket here.
    callback = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="hooks_delivery_recent")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.state})"
