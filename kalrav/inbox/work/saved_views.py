"""Saved views: the inbox list's filters, order and search under a name, private to a member or
shared with the workspace, listed in the inbox's sidebar with their counts."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.inbox import listing
from kalrav.inbox.forms import InboxFilterForm
from kalrav.inbox.models import Conversation, SavedView
from kalrav.inbox.work import problems
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# The list's own parameters (see InboxFilterForm); anything else in a URL is not a filter.
FILTER_KEYS = ("q", "state", "assignee", "channel", "sentiment", "sort", "view")
MAX_VIEWS_PER_MEMBER = 50
COUNT_CAP = 1000


def visible(member: Member) -> QuerySet[SavedView]:
    """The member's own views and those shared with the workspace."""
    return SavedView.objects.filter(workspace_id=member.workspace_id).filter(
        Q(owner_id=member.user_id) | Q(shared=True)
    )


def may_change(member: Member, view: SavedView) -> bool:
    """Its owner may rename or delete a view; a shared one also whoever runs the workspace."""
    return view.owner_id == member.user_id or (view.shared and member.can(Perm.WORKSPACE_EDIT))


def clean_filters(query: str | dict) -> dict[str, str]:
    """The filters in a query string (or a dict), without paging or anything unknown."""
    pairs = parse_qsl(query.lstrip("?")) if isinstance(query, str) else list(query.items())
    return {
        key: str(value).strip()[:200]
        for key, value in pairs
        if key in FILTER_KEYS and str(value).strip()
    }


def filters_of_url(url: str) -> dict[str, str]:
    return clean_filters(urlsplit(url).query)


def querystring(filters: dict[str, str]) -> str:
    return urlencode(sorted(filters.items()))


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationError({"name": _("Name the view in 1 to 80 characters.")})
    return name


def _unique(member: Member, name: str, exclude_id: int | None = None) -> None:
    clash = SavedView.objects.filter(
        workspace_id=member.workspace_id, owner_id=member.user_id, name__iexact=name
    )
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ValidationError({"name": _("You have a view of that name already.")})


def _changeable(member: Member, view_id: int) -> SavedView:
    view = visible(member).select_for_update().get(pk=view_id)
    if not may_change(member, view):
        raise PermissionDenied(_("Only the person who saved this view can change it."))
    return view


@transaction.atomic
def save_view(
    member: Member, actor: Actor, *, name: str, filters: dict, shared: bool = False
) -> SavedView:
    if not member.can(Perm.INBOX_VIEW):
        raise PermissionDenied(_("Your role does not allow this."))
    name = _name(name)
    _unique(member, name)
    mine = SavedView.objects.filter(workspace_id=member.workspace_id, owner_id=member.user_id)
    if mine.count() >= MAX_VIEWS_PER_MEMBER:
        raise ValidationError(
            {"name": _("You have %(n)d views; delete one first.") % {"n": MAX_VIEWS_PER_MEMBER}}
        )
    view = SavedView.objects.create(
        workspace_id=member.workspace_id,
        owner_id=member.user_id,
        name=name,
        shared=bool(shared),
        filters=clean_filters(filters),
    )
    audit.record(
        member.workspace,
        actor,
        "inboxview.save",
        view,
        {"name": [None, view.name], "shared": [None, view.shared], "filters": [None, view.filters]},
    )
    return view


@transaction.atomic
def change_view(
    member: Member,
    actor: Actor,
    view_id: int,
    *,
    name: str | None = None,
    shared: bool | None = None,
    filters: dict | None = None,
) -> SavedView:
    """Rename a view, share or unshare it, or replace its filters."""
    view = _changeable(member, view_id)
    before = audit.snapshot(view, ("name", "shared", "filters"))
    if name is not None:
        view.name = _name(name)
        if view.owner_id == member.user_id:
            _unique(member, view.name, exclude_id=view.pk)
    if shared is not None and view.owner_id == member.user_id:
        view.shared = bool(shared)
    if filters is not None:
        view.filters = clean_filters(filters)
    view.save()
    changes = audit.diff(before, audit.snapshot(view, ("name", "shared", "filters")))
    if changes:
        audit.record(member.workspace, actor, "inboxview.change", view, changes)
    return view


@transaction.atomic
def delete_view(member: Member, actor: Actor, view_id: int) -> None:
    view = _changeable(member, view_id)
    audit.record(member.workspace, actor, "inboxview.delete", view, {"name": [view.name, None]})
    view.delete()


def matching(member: Member, filters: dict[str, str]) -> QuerySet[Conversation]:
    """The conversations the inbox list shows for these filters (the list's own rules)."""
    form = InboxFilterForm(
        filters or None, channels=Channel.objects.filter(workspace_id=member.workspace_id)
    )
    return listing.filtered(member, form)


def _capped(rows: QuerySet) -> int:
    return rows.order_by().values("id")[:COUNT_CAP].count()


@dataclass
class Entry:
    """One line of the sidebar."""

    name: str
    url_query: str
    open_count: int
    unread_count: int
    active: bool
    view: SavedView | None = None
    changeable: bool = False


def sidebar(member: Member, current: dict[str, str]) -> list[Entry]:
    """Problems first (always there), then the member's views and the shared ones, with the
    number of open conversations each holds and how many of those are unread."""
    open_states = problems.OPEN_STATES
    problem_rows = problems.only_problems(
        Conversation.objects.filter(workspace_id=member.workspace_id)
    )
    entries = [
        Entry(
            name=_("Problems"),
            url_query=querystring({"view": problems.SLUG}),
            open_count=problems.count(member.workspace_id, fresh=True),
            unread_count=_capped(problem_rows.filter(unread=True)),
            active=current.get("view") == problems.SLUG,
        )
    ]
    for view in visible(member).select_related("owner"):
        rows = matching(member, view.filters).filter(state__in=open_states)
        entries.append(
            Entry(
                name=view.name,
                url_query=querystring(view.filters),
                open_count=_capped(rows),
                unread_count=_capped(rows.filter(unread=True)),
                active=current == view.filters,
                view=view,
                changeable=may_change(member, view),
            )
        )
    return entries
