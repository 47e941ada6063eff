"""What the sandbox network holds, as a real network's servers would: accounts, the posts they
made, and what its simulated audience wrote to them. Nothing here belongs to Kalrav's own
records (channels, variants, messages); those are kept by the services as for any network."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SandboxAccount(models.Model):
    # The account's name on the sandbox: one per connected channel ("channel-17"), so two
    # workspaces never share one.
    key = models.CharField(max_length=64, unique=True)
    handle = models.CharField(max_length=120)
    # While on, every request to this account fails as a real network's outage does.
    outage = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.handle


class SandboxPost(models.Model):
    """A post the account made: a top-level post, or a reply (parent_remote_id set)."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="posts")
    remote_id = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    # The key the client sent. The sandbox does not deduplicate on it (a repeat is a second
    # post, as on the weakest real network); it only lets a client look an earlier post up.
    idempotency_key = models.CharField(max_length=200, blank=True)
    parent_remote_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "idempotency_key"], name="sandbox_post_key")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.remote_id


class SandboxItem(models.Model):
    """What the simulated audience wrote: a reply to one of the account's posts or a mention.
    Its id orders the account's feed, which is what an inbox cursor remembers."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="items")
    remote_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16)  # "reply" or "mention"
    author_handle = models.CharField(max_length=120)
    author_name = models.CharField(max_length=120)
    text = models.TextField()
    language = models.CharField(max_length=16, blank=True)
    parent_remote_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.remote_id
