"""Template pieces of the inbox shown on pages whose views do not compute them: the count in
the navigation, the saved views sidebar, notes with their mentions."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language_info, ngettext

from kalrav.inbox import listing
from kalrav.inbox.models import Conversation, ConversationState, Note, Priority
from kalrav.inbox.work import mentions, presence, problems, saved_views
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """A conversation's language by name in the reader's language; a code Django does not know
    (the detector knows more languages) shows as itself."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code.upper()


@register.simple_tag(takes_context=True)
def inbox_nav_badge(context) -> str:
    """Next to "Inbox" in the navigation: the new conversations, the same number the inbox's
    heading shows; red while any open problem waits, which its title counts."""
    member = context.get("member")
    if member is None or not member.can(Perm.INBOX_VIEW):
        return ""
    fresh = context.get("nav") == "inbox"
    new = listing.new_count(member.workspace_id, fresh=fresh)
    open_problems = problems.count(member.workspace_id, fresh=fresh)
    if not new and not open_problems:
        return ""
    shown = "999+" if new >= listing.COUNT_CAP else str(new)
    label = ngettext("%(n)s new conversation", "%(n)s new conversations", new) % {"n": shown}
    if open_problems:
        many = "999+" if open_problems >= problems.COUNT_CAP else str(open_problems)
        label += " · " + ngettext("%(n)s open problem", "%(n)s open problems", open_problems) % {
            "n": many
        }
    return format_html(
        '<span class="badge{} nav-count" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="sr-only">{}</span></span>',
        " bad" if open_problems else "",
        label,
        shown if new else "!",
        label,
    )


@register.inclusion_tag("inbox/_views.html", takes_context=True)
def inbox_sidebar(context, current_url: str = "") -> dict:
    """The saved views with their counts; `current_url` says which filters are on screen."""
    request = context["request"]
    member = context["member"]
    current = (
        saved_views.filters_of_url(current_url)
        if current_url
        else saved_views.clean_filters(request.GET.dict())
    )
    return {
        "entries": saved_views.sidebar(member, current),
        "current_query": saved_views.querystring(current),
        "unread_mentions": mentions.unread_count(member.user_id, member.workspace_id),
        "workspace": member.workspace,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def note_text(context, note: Note) -> SafeString:
    """A note's text with each mentioned member's name highlighted."""
    cache = context.render_context
    if "inbox_people" not in cache:
        cache["inbox_people"] = mentions.people(context["workspace"].pk)
    return mentions.render(note.text, cache["inbox_people"])


@register.simple_tag
def last_out_id(conversation: Conversation) -> int:
    return presence.last_outgoing_id(conversation)


@register.inclusion_tag("inbox/_bulk_bar.html", takes_context=True)
def inbox_bulk_bar(context) -> dict:
    """The bar that changes the selected rows of the list."""
    member = context["member"]
    return {
        "people": [
            m
            for m in Member.objects.filter(workspace_id=member.workspace_id)
            .select_related("user")
            .order_by("user__first_name", "user__email")
            if m.can(Perm.INBOX_VIEW)
        ],
        "states": ConversationState.choices,
        "priorities": Priority.choices,
        "workspace": member.workspace,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }
