from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.inbox import listing
from kalrav.inbox.forms import (
    InboxFilterForm,
    NoteForm,
    ReplyForm,
    SavedReplyForm,
)
from kalrav.inbox.intake.unheard import unheard_channels
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    SavedReply,
    Team,
)
from kalrav.inbox.sla import targets
from kalrav.inbox.work import conversations, replies
from kalrav.inbox.work import views as work_views
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


@workspace_view(Perm.INBOX_VIEW)
def inbox(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    channels = Channel.objects.filter(workspace=member.workspace)
    form = InboxFilterForm(request.GET or None, channels=channels)
    page = listing.RowsPage.of(listing.filtered(member, form), request.GET.get("page"))
    targets.mark_rows(page.object_list)  # time left, warnings and missed targets
    unread = listing.new_count(member.workspace_id, fresh=True)
    context = {
        "form": form,
        "page": page,
        "unread": unread,
        "has_channels": channels.exists(),
        "unheard": unheard_channels(member.workspace),
        "nav": "inbox",
        "now": timezone.now(),
    }
    template = "inbox/_rows.html" if request.htmx else "inbox/inbox.html"
    return render(request, template, context)


@workspace_view(Perm.INBOX_VIEW)
def conversation(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(
        Conversation.objects.select_related("channel", "assignee", "team"),
        pk=conversation_id,
        workspace=member.workspace,
    )
    conversations.mark_read(member, found.pk)
    earlier = (
        Conversation.objects.filter(
            workspace=member.workspace, author_remote_id=found.author_remote_id
        ).exclude(pk=found.pk)[:10]
        if found.author_remote_id
        else []
    )
    context = {
        "conversation": found,
        "thread": found.messages.select_related("sent_by"),
        "notes": found.notes.select_related("author"),
        "earlier": earlier,
        "reply_form": ReplyForm(),
        "note_form": NoteForm(),
        "saved_replies": SavedReply.objects.filter(workspace=member.workspace),
        "people": Member.objects.filter(workspace=member.workspace).select_related("user"),
        "teams": Team.objects.filter(workspace=member.workspace),
        "states": ConversationState.choices,
        "first_response": conversations.first_response_minutes(found),
        "source_url": (
            found.messages.exclude(url="").values_list("url", flat=True).first()
            if found.answer_on_source
            else ""
        ),
        "nav": "inbox",
    }
    return render(request, "inbox/conversation.html", context)


def _back(member: Member, conversation_id: int) -> HttpResponse:
    return redirect("inbox:conversation", ws=member.workspace.slug, conversation_id=conversation_id)


def _act(request: WorkspaceRequest, conversation_id: int, action, done: str) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    try:
        action(member, Actor(user=request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return _back(member, conversation_id)


def _id_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def assign(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    assignee, team = (
        _id_or_none(request.POST.get("assignee")),
        _id_or_none(request.POST.get("team")),
    )
    return _act(
        request,
        conversation_id,
        lambda m, a: conversations.assign(
            m, a, conversation_id, assignee_id=assignee, team_id=team
        ),
        _("Assignment saved."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def answered(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    return _act(
        request,
        conversation_id,
        lambda m, a: conversations.mark_answered_on_source(m, a, conversation_id),
        _("Marked answered on the source site."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def state(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    value = request.POST.get("state", "")
    return _act(
        request,
        conversation_id,
        lambda m, a: conversations.set_state(m, a, conversation_id, value),
        _("State changed."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def tags(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    values = request.POST.get("tags", "").split(",")
    return _act(
        request,
        conversation_id,
        lambda m, a: conversations.set_tags(m, a, conversation_id, values),
        _("Tags saved."),
    )


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def note(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _act(
        request,
        conversation_id,
        lambda m, a: conversations.add_note(m, a, conversation_id, text),
        _("Note added."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def reply(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    guard = work_views.reply_guard(request.POST)
    if request.htmx:
        return work_views.reply_htmx(request, conversation_id, text, guard)
    member: Member = request.member
    get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    try:
        sent = replies.reply(member, Actor(user=request.user), conversation_id, text, **guard)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        work_views.tell_reply_outcome(request, sent)
    return _back(member, conversation_id)


@workspace_view(Perm.INBOX_VIEW)
def saved_reply_text(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """The reply box filled with a saved reply (htmx swaps it in when one is chosen); with none
    chosen, an empty box."""
    member: Member = request.member
    found = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    chosen = request.GET.get("saved", "")
    text = ""
    if chosen:
        saved = get_object_or_404(
            SavedReply, pk=int(chosen) if chosen.isdigit() else 0, workspace=member.workspace
        )
        text = replies.fill_saved_reply(saved, found, ticket=request.GET.get("ticket", ""))
    return render(
        request, "inbox/_reply_field.html", {"reply_form": ReplyForm(initial={"text": text})}
    )


@workspace_view(Perm.INBOX_VIEW)
def saved_replies(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST":
        if not member.can(Perm.INBOX_REPLY):
            raise PermissionDenied
        if form.is_valid():
            replies.save_reply_template(member, Actor(user=request.user), **form.cleaned_data)
            messages.success(request, _("Saved reply added."))
            return redirect("inbox:saved-replies", ws=member.workspace.slug)
    context = {
        "form": form,
        "replies": SavedReply.objects.filter(workspace=member.workspace),
        "nav": "inbox",
    }
    return render(request, "inbox/saved_replies.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def saved_reply_delete(request: WorkspaceRequest, reply_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(SavedReply, pk=reply_id, workspace=member.workspace)
    replies.delete_reply_template(member, Actor(user=request.user), reply_id)
    messages.success(request, _("Saved reply deleted."))
    return redirect("inbox:saved-replies", ws=member.workspace.slug)
