"""The buttons under each message that like, hide or delete it on its network. With htmx each
answers with the message's action bar; without it, with a redirect back to the conversation."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kalrav.connectors.base import Moderation
from kalrav.inbox import moderation
from kalrav.inbox.models import Message
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

ASKED = {
    Moderation.LIKE: _("Like sent to the network."),
    Moderation.UNLIKE: _("Taking the like back."),
    Moderation.HIDE: _("Hiding the reply on the network."),
    Moderation.UNHIDE: _("Showing the reply again."),
    Moderation.DELETE: _("Deleting the message on the network."),
}


def _message(member: Member, message_id: int) -> Message:
    return get_object_or_404(
        Message.objects.select_related("conversation", "channel"),
        pk=message_id,
        conversation__workspace=member.workspace,
    )


def _bar(request: HttpRequest, message: Message, refused: str = "") -> HttpResponse:
    allowed = moderation.available([message], message.channel)[message.pk]
    context = {
        "m": message,
        "actions": moderation.next_actions(message, allowed),
        "refused": refused,
    }
    return render(request, "inbox/_message_actions.html", context)


def _act(request: HttpRequest, message_id: int, action: Moderation) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    found = _message(member, message_id)
    refused = ""
    try:
        moderation.request(member, Actor(user=request.user), found.pk, action)
    except ValidationError as error:
        refused = " ".join(error.messages)
    if request.htmx:  # type: ignore[attr-defined]
        return _bar(request, _message(member, message_id), refused)
    if refused:
        messages.error(request, refused)
    else:
        messages.success(request, str(ASKED[action]))
    return redirect(
        "inbox:conversation", ws=member.workspace.slug, conversation_id=found.conversation_id
    )


def _post(action: Moderation, perm: Perm) -> Callable[..., HttpResponse]:
    @require_POST
    @workspace_view(perm)
    def view(request: HttpRequest, message_id: int) -> HttpResponse:
        return _act(request, message_id, action)

    view.__name__ = view.__qualname__ = f"message_{action.value}"
    return view


like = _post(Moderation.LIKE, moderation.NEEDS[Moderation.LIKE])
unlike = _post(Moderation.UNLIKE, moderation.NEEDS[Moderation.UNLIKE])
hide = _post(Moderation.HIDE, moderation.NEEDS[Moderation.HIDE])
unhide = _post(Moderation.UNHIDE, moderation.NEEDS[Moderation.UNHIDE])
delete = _post(Moderation.DELETE, moderation.NEEDS[Moderation.DELETE])


@workspace_view(Perm.INBOX_VIEW)
def actions(request: HttpRequest, message_id: int) -> HttpResponse:
    """The action bar alone, which polls itself while the network has not answered."""
    member: Member = request.member  # type: ignore[attr-defined]
    return _bar(request, _message(member, message_id))
