"""People's corrections of a text's sentiment, kept so that `kalrav nlp train --corrections`
can learn from them.

This module is imported while Django loads the app's models (see `models/__init__.py`), so it
imports nothing heavy: no language detector, no numpy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
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
        app_label = "nlp"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source"], name="sentiment_correction_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.previous_label or '?'} → {self.label}"


FIELDS = ("text", "language", "label", "previous_label", "corrected_by")


@transaction.atomic
def record_correction(
    *,
    workspace: Any,
    text: str,
    language: str,
    label: str,
    previous_label: str,
    source: str,
    user: Any,
) -> SentimentCorrection:
    """Keep a person's sentiment for a text (`source` names what was corrected, for example
    "inbox.message:123"); correcting the same source again updates the row. Raises ValueError
    for a label that is not negative, neutral or positive, or an empty text or source."""
    from kalrav.workspaces import audit

    if label not in SENTIMENT_LABELS:
        raise ValueError(
            f"sentiment label must be one of {', '.join(SENTIMENT_LABELS)}, not {label!r}"
        )
    if previous_label and previous_label not in SENTIMENT_LABELS:
        raise ValueError(
            "previous sentiment label must be empty or one of "
            f"{', '.join(SENTIMENT_LABELS)}, not {previous_label!r}"
        )
    if not text or not text.strip():
        raise ValueError("a sentiment correction needs the text it corrects")
    source = (source or "").strip()
    if not source or len(source) > 120:
        raise ValueError("a sentiment correction needs a source of 1 to 120 characters")
    language = (language or "")[:16]

    existing = (
        SentimentCorrection.objects.select_for_update()
        .filter(workspace=workspace, source=source)
        .first()
    )
    values = {
        "text": text,
        "language": language,
        "label": label,
        "previous_label": previous_label or "",
        "corrected_by": user,
    }
    if existing is None:
        correction = SentimentCorrection.objects.create(
            workspace=workspace, source=source, **values
        )
        changes = {name: [None, audit._plain(value)] for name, value in values.items()}
        changes.pop("text")  # the text is in the row; the audit log need not copy messages
    else:
        before = audit.snapshot(existing, FIELDS)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.created_at = timezone.now()
        existing.save()
        correction = existing
        changes = audit.diff(before, audit.snapshot(existing, FIELDS))
        changes.pop("text", None)
    actor = audit.Actor(user=user) if user is not None else audit.SYSTEM
    audit.record(workspace, actor, "sentiment.correct", correction, changes)
    return correction
