"""A person corrects the sentiment the model gave an incoming message.

The message keeps the new sentiment and who set it; the conversation follows its newest
incoming message (as ingestion does); and the correction is kept (`record_correction`, one row per
message) for `kalrav nlp train --corrections` to learn from. A complaint newly recognised as negative moves up as ingestion would have put
it; a message that turns out not to be negative gives back the high priority ingestion gave it,
unless another message in the conversation is still negative.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.accounts.models import User
from kalrav.inbox.corrections.models import SENTIMENT_LABELS, SentimentCorrection
from kalrav.inbox.models import Conversation, Direction, Message, Priority
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Perm


@transaction.atomic
def correct_sentiment(member: Member, actor: Actor, message_id: int, label: str) -> Message:
    if not member.can(Perm.INBOX_SENTIMENT):
        raise PermissionDenied(_("Your role does not allow this."))
    if label not in SENTIMENT_LABELS:
        raise ValidationError({"sentiment": _("Choose negative, neutral or positive.")})
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .get(pk=message_id, conversation__workspace_id=member.workspace_id)
    )
    if message.direction != Direction.IN:
        raise ValidationError({"sentiment": _("Only messages we received have a sentiment.")})
    if not message.text.strip():
        raise ValidationError({"sentiment": _("This message has no text to judge.")})
    previous = message.sentiment
    if previous == label and message.sentiment_corrected_by_id is not None:
        return message
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    message.sentiment = label
    # The model's score described its own guess; a person's label has none.
    message.sentiment_score = None
    message.sentiment_corrected_by = actor.user
    message.sentiment_corrected_at = timezone.now()
    message.save(
        update_fields=[
            "sentiment",
            "sentiment_score",
            "sentiment_corrected_by",
            "sentiment_corrected_at",
        ]
    )
    before = audit.snapshot(conversation, ("sentiment", "priority"))
    newest = conversation.messages.filter(direction=Direction.IN).order_by("-created_at", "-pk")
    latest = newest.first()
    if latest is not None and latest.pk == message.pk:
        conversation.sentiment, conversation.sentiment_score = label, None
    if label == "negative" and conversation.priority < Priority.HIGH:
        conversation.priority = Priority.HIGH
    elif (
        previous == "negative"
        and label != "negative"
        and conversation.priority == Priority.HIGH
        and not newest.filter(sentiment="negative").exists()
    ):
        conversation.priority = Priority.NORMAL
    conversation.save(update_fields=["sentiment", "sentiment_score", "priority"])
    changes = {
        "message": [None, message.pk],
        "message_sentiment": [previous or None, label],
        **audit.diff(before, audit.snapshot(conversation, ("sentiment", "priority"))),
    }
    audit.record(member.workspace, actor, "conversation.sentiment", conversation, changes)
    record_correction(
        workspace=member.workspace,
        text=message.text,
        language=message.language,
        label=label,
        previous_label=previous if previous in SENTIMENT_LABELS else "",
        source=f"inbox.message:{message.pk}",
        user=actor.user,
    )
    return message


# The fields compared for a correction's audit entry.
FIELDS = ("text", "language", "label", "previous_label", "corrected_by")


@transaction.atomic
def record_correction(
    *,
    workspace: Workspace,
    text: str,
    language: str,
    label: str,
    previous_label: str,
    source: str,
    user: User | None,
) -> SentimentCorrection:
    """Keep a person's sentiment for a text (`source` names what was corrected, for example
    "inbox.message:123"); correcting the same source again updates the row. Raises ValueError
    for a label that is not negative, neutral or positive, or an empty text or source."""
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
