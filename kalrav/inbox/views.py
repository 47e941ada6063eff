from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.channels.services import networks as channel_networks
from kalrav.inbox import ordering, presence_views, problems, services, targets
from kalrav.inbox.forms import (
    InboxFilterForm,
    InboxSettingsForm,
    NoteForm,
    ReplyForm,
    RuleForm,
    SavedReplyForm,
    TeamForm,
)
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    InboxSettings,
    RoutingRule,
    SavedReply,
    Team,
)
from kalrav.inbox.search import search
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

TODO = [ConversationState.NEW, ConversationState.OPEN, ConversationState.PENDING]
PAGE_SIZE = 50
UNREAD_CAP = 1000


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


def _filtered(member: Member, form: InboxFilterForm):
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
    if data.get("q"):
        conversations = search(conversations, data["q"])
    if data.get("view") == problems.SLUG:
        conversations = problems.only_problems(conversations)
    # Negative and urgent first: a complaint left waiting costs the most.
    return ordering.order(conversations, data.get("sort"))


@workspace_view(Perm.INBOX_VIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    channels = Channel.objects.filter(workspace=member.workspace)
    form = InboxFilterForm(request.GET or None, channels=channels)
    page = RowsPage.of(_filtered(member, form), request.GET.get("page"))
    targets.mark_rows(page.object_list)  # time left, warnings and missed targets
    # Counting a million rows on every refresh is waste: past 999, "999+" says enough.
    unread_rows = Conversation.objects.filter(
        workspace=member.workspace, unread=True, state__in=TODO
    )
    # Unordered: the model's default order sorted every to-do row first (400 ms at a million).
    unread = unread_rows.order_by().values("id")[:UNREAD_CAP].count()
    context = {
        "form": form,
        "page": page,
        "unread": unread,
        "has_channels": channels.exists(),
        "nav": "inbox",
        "now": timezone.now(),
    }
    template = "inbox/_rows.html" if request.htmx else "inbox/inbox.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@workspace_view(Perm.INBOX_VIEW)
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    found = get_object_or_404(
        Conversation.objects.select_related("channel", "assignee", "team"),
        pk=conversation_id,
        workspace=member.workspace,
    )
    services.mark_read(member, found.pk)
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
        "first_response": services.first_response_minutes(found),
        "nav": "inbox",
    }
    return render(request, "inbox/conversation.html", context)


def _back(member: Member, conversation_id: int) -> HttpResponse:
    return redirect("inbox:conversation", ws=member.workspace.slug, conversation_id=conversation_id)


def _act(request: HttpRequest, conversation_id: int, action, done: str) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
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
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    assignee, team = (
        _id_or_none(request.POST.get("assignee")),
        _id_or_none(request.POST.get("team")),
    )
    return _act(
        request,
        conversation_id,
        lambda m, a: services.assign(m, a, conversation_id, assignee_id=assignee, team_id=team),
        _("Assignment saved."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def state(request: HttpRequest, conversation_id: int) -> HttpResponse:
    value = request.POST.get("state", "")
    return _act(
        request,
        conversation_id,
        lambda m, a: services.set_state(m, a, conversation_id, value),
        _("State changed."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def tags(request: HttpRequest, conversation_id: int) -> HttpResponse:
    values = request.POST.get("tags", "").split(",")
    return _act(
        request,
        conversation_id,
        lambda m, a: services.set_tags(m, a, conversation_id, values),
        _("Tags saved."),
    )


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _act(
        request,
        conversation_id,
        lambda m, a: services.add_note(m, a, conversation_id, text),
        _("Note added."),
    )


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    guard = presence_views.reply_guard(request.POST)
    if request.htmx:  # type: ignore[attr-defined]
        return presence_views.reply_htmx(request, conversation_id, text, guard)
    return _act(
        request,
        conversation_id,
        lambda m, a: services.reply(m, a, conversation_id, text, **guard),
        _("Reply queued; it shows as sent once the network accepts it."),
    )


@workspace_view(Perm.INBOX_VIEW)
def saved_reply_text(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The reply box filled with a saved reply (htmx swaps it in when one is chosen); with none
    chosen, an empty box."""
    member: Member = request.member  # type: ignore[attr-defined]
    found = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    chosen = request.GET.get("saved", "")
    text = ""
    if chosen:
        saved = get_object_or_404(
            SavedReply, pk=int(chosen) if chosen.isdigit() else 0, workspace=member.workspace
        )
        text = services.fill_saved_reply(saved, found, ticket=request.GET.get("ticket", ""))
    return render(
        request, "inbox/_reply_field.html", {"reply_form": ReplyForm(initial={"text": text})}
    )


@workspace_view(Perm.WORKSPACE_EDIT)
def inbox_settings(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    current = InboxSettings.for_workspace(member.workspace.pk)
    hours = "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows)
        for day, windows in current.business_hours.items()
    )
    initial = {
        "first_response_minutes": current.first_response_minutes,
        "resolution_minutes": current.resolution_minutes,
        "business_hours": hours,
        "holidays": "\n".join(current.holidays),
    }
    form = InboxSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_settings(member, Actor(user=request.user), **form.cleaned_data)
        messages.success(request, _("Response-time targets saved. New conversations use them."))
        return redirect("inbox:settings", ws=member.workspace.slug)
    return render(
        request,
        "inbox/settings.html",
        {"form": form, "nav": "inbox"},
        status=400 if form.errors else 200,
    )


@workspace_view(Perm.INBOX_VIEW)
def routing(request: HttpRequest) -> HttpResponse:
    """Teams and the ordered rules that route new conversations to them."""
    member: Member = request.member  # type: ignore[attr-defined]
    teams = Team.objects.filter(workspace=member.workspace)
    networks = channel_networks()
    team_form = TeamForm(
        request.POST if request.POST.get("form") == "team" else None, prefix="team"
    )
    rule_form = RuleForm(
        request.POST if request.POST.get("form") == "rule" else None,
        teams=teams,
        networks=networks,
        prefix="rule",
    )
    if request.method == "POST":
        if not member.can(Perm.WORKSPACE_EDIT):
            raise PermissionDenied
        form = team_form if request.POST.get("form") == "team" else rule_form
        if form.is_valid():
            try:
                if form is team_form:
                    services.create_team(member, Actor(user=request.user), **form.cleaned_data)
                else:
                    services.create_rule(member, Actor(user=request.user), **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("inbox:routing", ws=member.workspace.slug)
    context = {
        "teams": teams,
        "rules": RoutingRule.objects.filter(workspace=member.workspace).select_related("team"),
        "team_form": team_form,
        "rule_form": rule_form,
        "nav": "inbox",
    }
    status = 400 if (team_form.errors or rule_form.errors) else 200
    return render(request, "inbox/routing.html", context, status=status)


@require_POST
@workspace_view(Perm.WORKSPACE_EDIT)
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    get_object_or_404(RoutingRule, pk=rule_id, workspace=member.workspace)
    services.delete_rule(member, Actor(user=request.user), rule_id)
    messages.success(request, _("Rule deleted."))
    return redirect("inbox:routing", ws=member.workspace.slug)


@workspace_view(Perm.INBOX_VIEW)
def saved_replies(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST":
        if not member.can(Perm.INBOX_REPLY):
            raise PermissionDenied
        if form.is_valid():
            services.save_reply_template(member, Actor(user=request.user), **form.cleaned_data)
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
def saved_reply_delete(request: HttpRequest, reply_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    get_object_or_404(SavedReply, pk=reply_id, workspace=member.workspace)
    services.delete_reply_template(member, Actor(user=request.user), reply_id)
    messages.success(request, _("Saved reply deleted."))
    return redirect("inbox:saved-replies", ws=member.workspace.slug)
