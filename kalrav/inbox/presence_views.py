"""The conversation page's presence line ("Ravi is viewing this") and replies that check for a
colleague's reply sent meanwhile."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.inbox import mentions, presence, services
from kalrav.inbox.forms import ReplyForm
from kalrav.inbox.models import Conversation, Direction, SavedReply
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def reply_guard(data) -> dict:
    """What the reply form says it had seen, and whether the sender confirmed anyway."""
    return {"seen_out_id": _number(data.get("seen_out")), "confirm": data.get("confirm") == "1"}


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def ping(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Called by the open conversation page every few seconds: records that this member is here
    (and typing, if so) and answers with who else is, and whether someone replied meanwhile."""
    member: Member = request.member  # type: ignore[attr-defined]
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    if request.POST.get("leave") == "1":
        presence.leave(conversation.pk, member.user_id)
        return HttpResponse(status=204)
    presence.touch(
        conversation.pk,
        member.user_id,
        member.user.display_name,
        typing=request.POST.get("typing") == "1",
    )
    # Opening the conversation is how its mentions are seen; this is the page's first request.
    mentions.mark_read(member.user_id, conversation.pk)
    seen = _number(request.POST.get("seen_out"))
    replied = []
    if seen is not None:
        replied = list(
            conversation.messages.filter(direction=Direction.OUT, pk__gt=seen)
            .exclude(sent_by_id=member.user_id)
            .select_related("sent_by")
        )
    context = {"others": presence.others(member, conversation.pk), "replied": replied}
    return render(request, "inbox/_presence.html", context)


def reply_htmx(request: HttpRequest, conversation_id: int, text: str, guard: dict) -> HttpResponse:
    """Send a reply from the page without losing what was typed: on success the page reloads;
    on a collision or a refused text the form comes back with the text and the reason."""
    member: Member = request.member  # type: ignore[attr-defined]
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    collision = None
    errors: list[str] = []
    try:
        services.reply(member, Actor(user=request.user), conversation.pk, text, **guard)
    except presence.ReplyCollision as refused:
        collision = refused
    except ValidationError as refused:
        errors = refused.messages
    else:
        messages.success(request, _("Reply queued; it shows as sent once the network accepts it."))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse(
            "inbox:conversation",
            kwargs={"ws": member.workspace.slug, "conversation_id": conversation.pk},
        )
        return response
    context = {
        "conversation": conversation,
        "reply_form": ReplyForm(initial={"text": text}),
        "saved_replies": SavedReply.objects.filter(workspace=member.workspace),
        "collision": collision,
        "reply_errors": errors,
        # After a collision the sender has now seen the newer replies: sending again goes out.
        "seen_out": presence.last_outgoing_id(conversation) if collision else guard["seen_out_id"],
    }
    return render(request, "inbox/_reply_form.html", context)
