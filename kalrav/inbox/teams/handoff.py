"""Handing a conversation to the department that can solve it: by email, and to the team's
helpdesk through a signed webhook (one of the workspace's endpoints, chosen on the team).

The helpdesk may answer the POST with `{"ticket_id": "...", "url": "..."}`; Kalrav keeps both on
the hand-off and shows "Ticket #123 in Billing's helpdesk" on the conversation, so the community
manager can follow up. A failed POST is retried with backoff by the webhook delivery machinery
(kalrav.hooks.delivery); each outcome is written on the hand-off and, when final, on the
conversation as a note.
"""

from __future__ import annotations

import json
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.hooks import services as hooks
from kalrav.hooks.delivery import Outcome
from kalrav.hooks.models import Delivery, Event
from kalrav.inbox import events
from kalrav.inbox.models import Conversation, Handoff, Note, Team
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

CALLBACK = "kalrav.inbox.teams.handoff.delivered"
THREAD_MESSAGES = 20


def payload(conversation: Conversation, handoff: Handoff) -> dict:
    messages = list(conversation.messages.order_by("-created_at", "-id")[:THREAD_MESSAGES])
    return {
        "handoff": {
            "id": handoff.pk,
            "team": {"id": handoff.team_id, "name": handoff.team_name},
            "reason": handoff.reason,
        },
        "conversation": events.conversation_data(conversation),
        "messages": [events.message_data(m) for m in reversed(messages)],
    }


def start(conversation: Conversation, team: Team, *, reason: str) -> list[str]:
    """Hand off by every way the team has (in the caller's transaction); returns what was done,
    in words, for the conversation's notes."""
    done: list[str] = []
    if team.email:
        by_email = Handoff.objects.create(
            conversation=conversation,
            team=team,
            team_name=team.name,
            via=Handoff.Via.EMAIL,
            target=team.email,
            reason=reason,
        )
        transaction.on_commit(
            partial(send_handoff, conversation.pk, team.email, handoff_id=by_email.pk)
        )
        done.append(_("emailed to %(email)s") % {"email": team.email})
    endpoint = team.handoff_endpoint
    if endpoint is not None and endpoint.enabled:
        by_hook = Handoff.objects.create(
            conversation=conversation,
            team=team,
            team_name=team.name,
            via=Handoff.Via.WEBHOOK,
            target=endpoint.url,
            reason=reason,
        )
        data = payload(conversation, by_hook)
        by_hook.delivery = hooks.deliver_to(
            endpoint, Event.HANDOFF_CREATED, data, callback=CALLBACK
        )
        by_hook.save(update_fields=["delivery"])
        done.append(_("sent to the %(team)s team's helpdesk") % {"team": team.name})
        hooks.emit(conversation.workspace_id, Event.HANDOFF_CREATED, data, exclude=[endpoint.pk])
    elif done:
        first = conversation.handoffs.order_by("-pk").first()
        assert first is not None
        hooks.emit(conversation.workspace_id, Event.HANDOFF_CREATED, payload(conversation, first))
    return done


@transaction.atomic
def hand_off(member: Member, actor: Actor, conversation_id: int, team_id: int) -> list[str]:
    """A person hands the conversation to a team from its page."""
    if not member.can(Perm.INBOX_REPLY):
        raise PermissionDenied(_("Your role does not allow this."))
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel", "assignee", "team")
        .get(pk=conversation_id, workspace_id=member.workspace_id)
    )
    team = (
        Team.objects.select_related("handoff_endpoint")
        .filter(pk=team_id, workspace_id=member.workspace_id)
        .first()
    )
    if team is None:
        raise ValidationError({"team": _("Choose a team of this workspace.")})
    done = start(conversation, team, reason=actor.display)
    if not done:
        raise ValidationError(
            {
                "team": _(
                    "The %(team)s team has neither an email address nor a helpdesk webhook: add one on the team's page."
                )
                % {"team": team.name}
            }
        )
    Note.objects.bulk_create(
        Note(
            conversation=conversation,
            author=None,
            text=_("%(who)s: %(action)s") % {"who": actor.display, "action": line},
        )
        for line in done
    )
    audit.record(
        member.workspace, actor, "conversation.handoff", conversation, {"team": [None, team.name]}
    )
    return done


@transaction.atomic
def retry(member: Member, actor: Actor, handoff_id: int) -> Handoff:
    """Try a failed hand-off again now, the same way it went before."""
    if not member.can(Perm.INBOX_REPLY):
        raise PermissionDenied(_("Your role does not allow this."))
    handoff = Handoff.objects.select_for_update(of=("self",)).get(
        pk=handoff_id, conversation__workspace_id=member.workspace_id
    )
    if handoff.state == Handoff.State.SENT:
        raise ValidationError(_("This hand-off went through already."))
    handoff.state, handoff.error = Handoff.State.SENDING, ""
    if handoff.via == Handoff.Via.EMAIL:
        transaction.on_commit(
            partial(send_handoff, handoff.conversation_id, handoff.target, handoff_id=handoff.pk)
        )
    else:
        old = handoff.delivery
        if old is None:
            raise ValidationError(_("The webhook endpoint of this hand-off was deleted."))
        handoff.delivery = hooks.deliver_to(old.endpoint, old.event, old.payload, callback=CALLBACK)
    handoff.save()
    audit.record(
        member.workspace,
        actor,
        "conversation.handoff",
        handoff.conversation,
        {"retry": [None, handoff.team_name]},
    )
    return handoff


_url = URLValidator(schemes=["http", "https"])


def ticket_from(body: str) -> tuple[str, str]:
    """The helpdesk's ticket id and link, when its answer carries them; never a non-web link."""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    ticket = data.get("ticket_id", data.get("id", ""))
    ticket_id = str(ticket).strip()[:120] if isinstance(ticket, str | int) else ""
    url = data.get("url", "")
    try:
        _url(url)
    except ValidationError:
        url = ""
    return ticket_id, url[:500] if isinstance(url, str) else ""


def delivered(delivery: Delivery, outcome: Outcome) -> None:
    """Told of each attempt of a hand-off delivery (Delivery.callback)."""
    handoff = Handoff.objects.filter(delivery=delivery).select_related("conversation").first()
    if handoff is None:
        return
    with transaction.atomic():
        if outcome.ok:
            handoff.ticket_id, handoff.ticket_url = ticket_from(outcome.body)
            handoff.state, handoff.sent_at, handoff.error = Handoff.State.SENT, timezone.now(), ""
            if handoff.ticket_id:
                text = _("The %(team)s team's helpdesk opened ticket #%(ticket)s.") % {
                    "team": handoff.team_name,
                    "ticket": handoff.ticket_id,
                }
            else:
                text = _("The %(team)s team's helpdesk received the conversation.") % {
                    "team": handoff.team_name
                }
            Note.objects.create(conversation=handoff.conversation, author=None, text=text)
        elif outcome.retry_in is not None:
            handoff.state, handoff.error = Handoff.State.RETRYING, outcome.error
        else:
            handoff.state, handoff.error = Handoff.State.FAILED, outcome.error
            Note.objects.create(
                conversation=handoff.conversation,
                author=None,
                text=_("Hand-off to the %(team)s team's helpdesk failed: %(error)s")
                % {"team": handoff.team_name, "error": outcome.error},
            )
        handoff.save()


def mark_email(handoff_id: int, *, sent: bool, error: str = "", final: bool = False) -> None:
    """The email hand-off task reports here."""
    if sent:
        Handoff.objects.filter(pk=handoff_id).update(
            state=Handoff.State.SENT, sent_at=timezone.now(), error=""
        )
    else:
        Handoff.objects.filter(pk=handoff_id).update(
            state=Handoff.State.FAILED if final else Handoff.State.RETRYING, error=error[:2000]
        )


@db_task(retries=3, retry_delay=60, context=True)
def send_handoff(
    conversation_id: int, email: str, handoff_id: int | None = None, task=None
) -> None:
    """Hand a conversation to a department by email, with the link back to it in Kalrav."""
    try:
        _send_handoff(conversation_id, email)
    except Exception as error:
        if handoff_id is not None:
            final = task is None or not task.retries
            mark_email(handoff_id, sent=False, error=str(error), final=final)
        raise
    if handoff_id is not None:
        mark_email(handoff_id, sent=True)


def _send_handoff(conversation_id: int, email: str) -> None:
    conversation = Conversation.objects.select_related("workspace", "channel").get(
        pk=conversation_id
    )
    with translation.override(conversation.workspace.language):
        context = {
            "conversation": conversation,
            "messages": conversation.messages.all(),
            "link": conversation.link(),
        }
        subject = render_to_string("inbox/email/handoff_subject.txt", context).strip()
        body = render_to_string("inbox/email/handoff.txt", context)
    send_mail(subject, body, None, [email])
