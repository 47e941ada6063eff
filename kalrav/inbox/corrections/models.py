"""People's corrections of a message's sentiment, kept so that `kalrav nlp train --corrections`
can learn from them. The table was the nlp app's until the model moved here (inbox migration
0011 renamed it and kept its rows).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SENTIMENT_LABELS = ("negative", "neutral", "positive")
SENTIMENT_CHOICES = [
    ("negative", _("negative")),
    ("neutral", _("neutral")),
    ("positive", _("positive")),
]


class SentimentCorrection(models.Model):
    """A person's sentiment for one text in a workspace. One row per (workspace, source): a
    later correction of the same message replaces the earlier one."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="sentiment_corrections"
    )
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    label = models.CharField(_("sentiment"), max_length=8, choices=SENTIMENT_CHOICES)
    previous_label = models.CharField(
        _("previous sentiment"), max_length=8, choices=SENTIMENT_CHOICES, blank=True
    )
    # What was corrected, as "<app>.<model>:<pk>" ("inbox.message:123"): the key for updates.
    source = models.CharField(_("source"), max_length=120)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source"], name="sentiment_correction_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.previous_label or '?'} → {self.label}"
