"""Correcting an incoming message's sentiment from the conversation page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.inbox.corrections.services import correct_sentiment
from kalrav.inbox.models import Message
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


@require_POST
@workspace_view(Perm.INBOX_SENTIMENT)
def sentiment(request: WorkspaceRequest, conversation_id: int, message_id: int) -> HttpResponse:
    member: Member = request.member
    message = get_object_or_404(
        Message,
        pk=message_id,
        conversation_id=conversation_id,
        conversation__workspace=member.workspace,
    )
    try:
        correct_sentiment(
            member, Actor(user=request.user), message.pk, request.POST.get("sentiment", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Sentiment corrected. Kalrav learns from your correction."))
    url = reverse(
        "inbox:conversation",
        kwargs={"ws": member.workspace.slug, "conversation_id": conversation_id},
    )
    return redirect(f"{url}#message-{message.pk}")
