"""The "problems" view: open complaints, kept in sight until they are solved.

A conversation is a problem while it is not resolved (or spam) and any of these holds: its
latest message reads negative, someone tagged it "complaint" (by hand or by a routing rule),
or its priority is high or urgent. Negative messages start at high priority (see ingest), so
a complaint stays a problem even after a later "thank you" until someone resolves it.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from kalrav.inbox.models import Conversation, ConversationState, Priority

SLUG = "problems"
COMPLAINT_TAG = "complaint"
OPEN_STATES = (ConversationState.NEW, ConversationState.OPEN, ConversationState.PENDING)
COUNT_CAP = 1000
# The count in the navigation shows on every page; a few seconds' delay costs nothing there.
NAV_CACHE_SECONDS = 15


def condition() -> Q:
    # Tags are a JSON list: the quoted tag matches it whole ("complaint", not "complaints").
    return (
        Q(sentiment="negative")
        | Q(priority__gte=Priority.HIGH)
        | Q(tags__icontains=f'"{COMPLAINT_TAG}"')
    )


def only_problems(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return conversations.filter(condition()).exclude(
        state__in=[ConversationState.RESOLVED, ConversationState.SPAM]
    )


def count(workspace_id: int, *, fresh: bool = False) -> int:
    """Open problems in the workspace, counted up to COUNT_CAP."""
    key = f"inbox:problems:{workspace_id}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    found = (
        only_problems(Conversation.objects.filter(workspace_id=workspace_id))
        .values("id")[:COUNT_CAP]
        .count()
    )
    cache.set(key, found, NAV_CACHE_SECONDS)
    return found
