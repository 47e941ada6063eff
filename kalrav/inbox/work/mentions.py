"""@mentions in internal notes: who a note names, telling them, and showing the names.

A member's handle is the part of their email before the @ ("@ravi" for ravi@acme.example), which
every member already knows and never changes with a display name; when two members share it, the
whole address is their handle ("@ravi@acme.example").

The notification in Kalrav is written in the note's transaction, so it cannot be lost; the email
goes through a task after commit, so a slow mail server never holds up the note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.inbox.models import InboxNotification, Note
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# "@" not preceded by a letter or another "@" (so an email address in a note is not a mention),
# then a handle, optionally with a domain for the long form.
MENTION = regex.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")
SUGGESTIONS = 8


@dataclass(frozen=True)
class Person:
    user_id: int
    handle: str
    name: str
    email: str


def people(workspace_id: int) -> dict[str, Person]:
    """Members who can read notes, by lower-case handle."""
    rows = [
        member
        for member in Member.objects.filter(workspace_id=workspace_id).select_related("user")
        if member.can(Perm.INBOX_VIEW) and member.user.is_active
    ]
    local = Counter(m.user.email.split("@")[0].lower() for m in rows)
    found = {}
    for member in rows:
        email = member.user.email.lower()
        short = email.split("@")[0]
        handle = short if local[short] == 1 else email
        found[handle] = Person(member.user_id, handle, member.user.display_name, email)
    return found


def _lookup(token: str, known: dict[str, Person]) -> Person | None:
    token = token.lower()
    # A sentence may end right after a name: "ask @ravi."
    return known.get(token) or known.get(token.rstrip(".-+"))


def mentioned(text: str, known: dict[str, Person]) -> list[Person]:
    """The members a text names, each once, in the order they appear."""
    found: dict[int, Person] = {}
    for match in MENTION.finditer(text):
        person = _lookup(match.group(1), known)
        if person is not None:
            found.setdefault(person.user_id, person)
    return list(found.values())


def render(text: str, known: dict[str, Person]) -> SafeString:
    """The note's text, escaped, with each mention of a member shown as their highlighted name."""
    parts: list[str] = []
    last = 0
    for match in MENTION.finditer(text):
        person = _lookup(match.group(1), known)
        if person is None:
            continue
        token = match.group(1)
        # What the lookup did not use (a full stop after the handle) stays as plain text.
        used = len(person.handle) if token.lower() != person.handle else len(token)
        parts.append(escape(text[last : match.start()]))
        parts.append(
            format_html('<b class="mention" title="@{}">@{}</b>', person.handle, person.name)
        )
        parts.append(escape(token[used:]))
        last = match.end()
    parts.append(escape(text[last:]))
    # Every piece above went through escape() or format_html().
    return mark_safe("".join(parts))


def suggest(workspace_id: int, query: str) -> list[Person]:
    """Members whose handle or any word of whose name starts with `query`."""
    query = query.strip().lstrip("@").lower()
    found = []
    for person in people(workspace_id).values():
        words = [person.handle, *person.name.lower().split()]
        if not query or any(word.startswith(query) for word in words):
            found.append(person)
    return sorted(found, key=lambda p: p.name.casefold())[:SUGGESTIONS]


def notify(member: Member, actor: Actor, note: Note) -> list[InboxNotification]:
    """Tell each member a note mentions (but not its author) in Kalrav, and by email once the
    note is committed. Runs inside the note's own transaction."""
    author_id = actor.user.pk if actor.user is not None else None
    targets = [
        p for p in mentioned(note.text, people(member.workspace_id)) if p.user_id != author_id
    ]
    notes = InboxNotification.objects.bulk_create(
        InboxNotification(
            user_id=person.user_id,
            workspace_id=member.workspace_id,
            conversation_id=note.conversation_id,
            note=note,
            actor_id=author_id,
            kind=InboxNotification.Kind.MENTION,
            text=note.text[:1000],
        )
        for person in targets
    )
    if notes:
        ids = [n.pk for n in notes]
        transaction.on_commit(lambda: send_mention_emails(ids))
    return notes


def unread_count(user_id: int | None, workspace_id: int) -> int:
    if user_id is None:
        return 0
    return InboxNotification.objects.filter(
        user_id=user_id, workspace_id=workspace_id, read_at=None
    ).count()


def mark_read(user_id: int | None, conversation_id: int) -> int:
    """Opening the conversation is how its mentions are seen."""
    if user_id is None:
        return 0
    return InboxNotification.objects.filter(
        user_id=user_id, conversation_id=conversation_id, read_at=None
    ).update(read_at=timezone.now())


def send_emails(notification_ids: list[int]) -> int:
    """One email per notification, in its recipient's language; taking ids means a retried task
    never mails about a note written later."""
    rows = InboxNotification.objects.filter(pk__in=notification_ids).select_related(
        "workspace", "conversation", "actor"
    )
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=[n.user_id for n in rows], is_active=True)
    }
    sent = 0
    for row in rows:
        user = users.get(row.user_id)
        if user is None or not user.email:
            continue
        conversation = row.conversation
        link = settings.BASE_URL.rstrip("/") + reverse(
            "inbox:conversation",
            kwargs={"ws": row.workspace.slug, "conversation_id": conversation.pk},
        )
        who = row.actor.display_name if row.actor else "Kalrav"
        customer = conversation.author_name or conversation.author_handle
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            subject = _("[%(workspace)s] %(who)s mentioned you: %(customer)s") % {
                "workspace": row.workspace.name,
                "who": who,
                "customer": customer,
            }
            body = _(
                "%(who)s mentioned you in an internal note on the conversation with "
                "%(customer)s:\n\n%(note)s\n\nThe customer wrote: %(excerpt)s\n\n"
                "Open the conversation: %(link)s"
            ) % {
                "who": who,
                "customer": customer,
                "note": row.text,
                "excerpt": conversation.excerpt,
                "link": link,
            }
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent


@db_task(retries=3, retry_delay=60)
def send_mention_emails(notification_ids: list[int]) -> int:
    return send_emails(notification_ids)
