"""Pages and fragments of the inbox's daily work: bulk actions on the list, saved views and
their sidebar, mention suggestions and my mentions, the presence line and collision-checked
replies, and the buttons under each message that like, hide or delete it on its network (with
htmx they answer with the message's action bar, without it with a redirect back)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.connectors.base import Moderation
from kalrav.inbox.forms import ReplyForm
from kalrav.inbox.models import (
    Conversation,
    Delivery,
    Direction,
    InboxNotification,
    Message,
    SavedReply,
)
from kalrav.inbox.work import bulk, mentions, moderation, presence, replies, saved_views
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# The form's buttons: each names an action and the field that holds its value, or a fixed value.
BUTTONS = {
    "assign": ("assign", "assignee"),
    "state": ("state", "state"),
    "tag": ("tag", "tag"),
    "priority": ("priority", "priority"),
}
QUICK = {"resolve": ("state", "resolved"), "spam": ("state", "spam")}


def _back(request: HttpRequest, member: Member) -> HttpResponse:
    target = request.POST.get("next", "")
    list_url = reverse("inbox:list", kwargs={"ws": member.workspace.slug})
    if not (
        target.startswith(list_url)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        target = list_url
    return redirect(target)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def bulk_action(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    button = request.POST.get("action", "")
    if button == "mine":
        action, value = "assign", str(member.user_id)
    elif button in QUICK:
        action, value = QUICK[button]
    elif button in BUTTONS:
        action, field = BUTTONS[button]
        value = request.POST.get(field, "")
    else:
        action, value = button, ""
    try:
        changed = bulk.bulk_update(
            member, Actor(user=request.user), request.POST.getlist("ids"), action, value
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, bulk.done_message(action, value, len(changed)))
    return _back(request, member)


def _list(member: Member, query: str = "") -> HttpResponse:
    url = reverse("inbox:list", kwargs={"ws": member.workspace.slug})
    return redirect(f"{url}?{query}" if query else url)


@workspace_view(Perm.INBOX_VIEW)
def views(request: WorkspaceRequest) -> HttpResponse:
    """GET: the sidebar (htmx refreshes it; the page's URL says which filters are on screen).
    POST: save the filters on screen as a view."""
    member: Member = request.member
    if request.method == "POST":
        filters = saved_views.clean_filters(request.POST.get("query", ""))
        try:
            saved = saved_views.save_view(
                member,
                Actor(user=request.user),
                name=request.POST.get("name", ""),
                filters=filters,
                shared=request.POST.get("shared") == "on",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _list(member, saved_views.querystring(filters))
        messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
        return _list(member, saved_views.querystring(saved.filters))
    current = getattr(request, "htmx", None) and request.htmx.current_url
    return render(request, "inbox/_views_sidebar.html", {"current_url": current or ""})


def _change(request: WorkspaceRequest, view_id: int, action) -> HttpResponse:
    member: Member = request.member
    try:
        done = action(member, Actor(user=request.user))
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return _list(member, request.POST.get("query", ""))


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def view_change(request: WorkspaceRequest, view_id: int) -> HttpResponse:
    name = request.POST.get("name")
    shared = request.POST.get("shared") == "on" if "shared_shown" in request.POST else None

    def change(member, actor):
        saved_views.change_view(member, actor, view_id, name=name, shared=shared)
        return _("View saved.")

    return _change(request, view_id, change)


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def view_delete(request: WorkspaceRequest, view_id: int) -> HttpResponse:
    def delete(member, actor):
        saved_views.delete_view(member, actor, view_id)
        return _("View deleted.")

    return _change(request, view_id, delete)


LISTED = 100


@workspace_view(Perm.INBOX_VIEW)
def suggestions(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    found = mentions.suggest(member.workspace_id, request.GET.get("q", "")[:80])
    return render(request, "inbox/_mention_suggestions.html", {"people": found})


@workspace_view(Perm.INBOX_VIEW)
def notifications(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    rows = InboxNotification.objects.filter(
        user=member.user, workspace=member.workspace
    ).select_related("conversation", "actor")[:LISTED]
    return render(request, "inbox/notifications.html", {"rows": rows, "nav": "inbox"})


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def reply_guard(data) -> dict:
    """What the reply form says it had seen, and whether the sender confirmed anyway."""
    return {"seen_out_id": _number(data.get("seen_out")), "confirm": data.get("confirm") == "1"}


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def ping(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """Called by the open conversation page every few seconds: records that this member is here
    (and typing, if so) and answers with who else is, and whether someone replied meanwhile."""
    member: Member = request.member
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


def tell_reply_outcome(request: HttpRequest, sent: Message) -> None:
    """The toast says where the reply is when the page comes back (a fast worker may have sent
    it, or the network refused it, already), so it never contradicts the state beside it."""
    sent.refresh_from_db(fields=["delivery", "error"])
    if sent.delivery == Delivery.SENT:
        messages.success(request, _("Reply sent."))
    elif sent.delivery == Delivery.FAILED:
        messages.error(
            request,
            _("The reply was not sent: %(error)s")
            % {"error": gettext(sent.error) if sent.error else ""},
        )
    else:
        messages.success(request, _("Reply queued; it shows as sent once the network accepts it."))


def reply_htmx(
    request: WorkspaceRequest, conversation_id: int, text: str, guard: dict
) -> HttpResponse:
    """Send a reply from the page without losing what was typed: on success the page reloads;
    on a collision or a refused text the form comes back with the text and the reason."""
    member: Member = request.member
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    collision = None
    errors: list[str] = []
    try:
        sent = replies.reply(member, Actor(user=request.user), conversation.pk, text, **guard)
    except presence.ReplyCollision as refused:
        collision = refused
    except ValidationError as refused:
        errors = refused.messages
    else:
        tell_reply_outcome(request, sent)
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


ASKED = {
    Moderation.LIKE: gettext_lazy("Like sent to the network."),
    Moderation.UNLIKE: gettext_lazy("Taking the like back."),
    Moderation.HIDE: gettext_lazy("Hiding the reply on the network."),
    Moderation.UNHIDE: gettext_lazy("Showing the reply again."),
    Moderation.DELETE: gettext_lazy("Deleting the message on the network."),
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


def _act(request: WorkspaceRequest, message_id: int, action: Moderation) -> HttpResponse:
    member: Member = request.member
    found = _message(member, message_id)
    refused = ""
    try:
        moderation.request(member, Actor(user=request.user), found.pk, action)
    except ValidationError as error:
        refused = " ".join(error.messages)
    if request.htmx:
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
    def view(request: WorkspaceRequest, message_id: int) -> HttpResponse:
        return _act(request, message_id, action)

    view.__name__ = view.__qualname__ = f"message_{action.value}"
    return view


like = _post(Moderation.LIKE, moderation.NEEDS[Moderation.LIKE])
unlike = _post(Moderation.UNLIKE, moderation.NEEDS[Moderation.UNLIKE])
hide = _post(Moderation.HIDE, moderation.NEEDS[Moderation.HIDE])
unhide = _post(Moderation.UNHIDE, moderation.NEEDS[Moderation.UNHIDE])
delete = _post(Moderation.DELETE, moderation.NEEDS[Moderation.DELETE])


@workspace_view(Perm.INBOX_VIEW)
def actions(request: WorkspaceRequest, message_id: int) -> HttpResponse:
    """The action bar alone, which polls itself while the network has not answered."""
    member: Member = request.member
    return _bar(request, _message(member, message_id))
