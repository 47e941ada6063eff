"""The inbox list: which conversations the filters select, in which order, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from kalrav.inbox import ordering
from kalrav.inbox.forms import (
    InboxFilterForm,
)
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
)
from kalrav.inbox.search import search
from kalrav.inbox.work import problems
from kalrav.workspaces.models import Member

TODO = [ConversationState.NEW, ConversationState.OPEN, ConversationState.PENDING]
# Counting a million rows on every page is waste: past 999, "999+" says enough.
COUNT_CAP = 1000
# The count beside "Inbox" in the navigation shows on every page; a few seconds late is fine.
NAV_CACHE_SECONDS = 15

PAGE_SIZE = 50


def new_count(workspace_id: int, *, fresh: bool = False) -> int:
    """Conversations nobody has opened since their last message and still to do: the one
    meaning of "new" on every page (the navigation, the inbox's heading and each view)."""
    key = f"inbox:new:{workspace_id}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    rows = Conversation.objects.filter(workspace_id=workspace_id, unread=True, state__in=TODO)
    # Unordered: the model's default order sorted every to-do row first (400 ms at a million).
    found = rows.order_by().values("id")[:COUNT_CAP].count()
    cache.set(key, found, NAV_CACHE_SECONDS)
    return found


@dataclass
class RowsPage:
    """One page of the list without counting the whole result: an inbox with a million
    conversations would spend most of each request on COUNT(*)."""

    object_list: list
    number: int
    has_next: bool

    @classmethod
    def of(cls, rows, number: str | None) -> RowsPage:
        page = int(number) if number and number.isdigit() and int(number) > 0 else 1
        start = (page - 1) * PAGE_SIZE
        found = list(rows[start : start + PAGE_SIZE + 1])
        return cls(found[:PAGE_SIZE], page, len(found) > PAGE_SIZE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def filtered(member: Member, form: InboxFilterForm):
    conversations = Conversation.objects.filter(workspace=member.workspace).select_related(
        "channel", "assignee"
    )
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    if state == "":
        conversations = conversations.filter(state__in=TODO)
    elif state != "all":
        conversations = conversations.filter(state=state)
    if data.get("assignee") == "me":
        conversations = conversations.filter(assignee=member.user)
    elif data.get("assignee") == "none":
        conversations = conversations.filter(assignee=None)
    if data.get("channel"):
        conversations = conversations.filter(channel_id=data["channel"])
    if data.get("sentiment"):
        conversations = conversations.filter(sentiment=data["sentiment"])
    if data.get("language"):
        conversations = conversations.filter(language=data["language"])
    if data.get("q"):
        conversations = search(conversations, data["q"])
    if data.get("view") == problems.SLUG:
        conversations = problems.only_problems(conversations)
    # Negative and urgent first: a complaint left waiting costs the most.
    return ordering.order(conversations, data.get("sort"))
