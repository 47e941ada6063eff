"""Suggesting members while a note is typed, and the list of notes that mention me."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kalrav.inbox import mentions
from kalrav.inbox.models import InboxNotification
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

LISTED = 100


@workspace_view(Perm.INBOX_VIEW)
def suggestions(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    found = mentions.suggest(member.workspace_id, request.GET.get("q", "")[:80])
    return render(request, "inbox/_mention_suggestions.html", {"people": found})


@workspace_view(Perm.INBOX_VIEW)
def notifications(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    rows = InboxNotification.objects.filter(
        user=member.user, workspace=member.workspace
    ).select_related("conversation", "actor")[:LISTED]
    return render(request, "inbox/notifications.html", {"rows": rows, "nav": "inbox"})
