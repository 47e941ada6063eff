"""Routing: ordered rules that send a new conversation to who can solve it.

Every action a rule takes is written on the conversation as a note from Kalrav, so the team
sees why a conversation landed where it did.
"""

from __future__ import annotations

import regex
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.inbox.models import Conversation, InboxSettings, Message, Note, RoutingRule
from kalrav.inbox.teams import handoff
from kalrav.inbox.work import replies


def _words(text: str) -> str:
    # Letters with their combining marks, so Indic words stay whole.
    return " ".join(regex.findall(r"[\w\p{M}]+", text.casefold()))


def matches(rule: RoutingRule, conversation: Conversation, message: Message) -> bool:
    if rule.keywords:
        haystack = f" {_words(message.text)} "
        if not any(
            f" {_words(keyword)} " in haystack for keyword in rule.keywords if _words(keyword)
        ):
            return False
    if rule.languages and message.language not in rule.languages:
        return False
    if rule.sentiments and message.sentiment not in rule.sentiments:
        return False
    if rule.networks and conversation.channel.network not in rule.networks:
        return False
    return not (rule.kinds and conversation.kind not in rule.kinds)


def _closed_now(settings: InboxSettings) -> bool:
    calendar = settings.calendar()
    if calendar.always_open:
        return False
    now = timezone.now().astimezone(calendar.zone)
    return not any(opens <= now < closes for opens, closes in calendar.windows(now.date()))


def route(conversation: Conversation, message: Message, settings: InboxSettings) -> list[str]:
    """Apply the workspace's rules to a new conversation; returns what was done, in words.

    The conversation is changed in memory and saved by the caller, which sets its response
    dues after routing (for the team routing chose) so they are computed once."""
    done: list[str] = []
    rules = RoutingRule.objects.filter(workspace_id=conversation.workspace_id, enabled=True)
    for rule in rules.select_related("team__handoff_endpoint", "assignee"):
        if not matches(rule, conversation, message):
            continue
        team, person = rule.team, rule.assignee
        if team is not None:
            conversation.team = team
            done.append(
                _("%(rule)s: handed to the %(team)s team") % {"rule": rule.name, "team": team.name}
            )
        if person is not None:
            conversation.assignee = person
            done.append(
                _("%(rule)s: assigned to %(person)s")
                % {"rule": rule.name, "person": person.display_name}
            )
        if rule.priority is not None:
            conversation.priority = rule.priority
            priority = conversation.get_priority_display()
            done.append(
                _("%(rule)s: priority %(priority)s") % {"rule": rule.name, "priority": priority}
            )
        if rule.tags:
            conversation.tags = list(dict.fromkeys([*conversation.tags, *rule.tags]))
            done.append(
                _("%(rule)s: tagged %(tags)s") % {"rule": rule.name, "tags": ", ".join(rule.tags)}
            )
        if rule.handoff and team is not None:
            done.extend(
                _("%(rule)s: %(action)s") % {"rule": rule.name, "action": action}
                for action in handoff.start(conversation, team, reason=rule.name)
            )
        # Nothing is queued for a conversation answered on its source site.
        if (
            rule.auto_reply
            and _closed_now(settings)
            and replies.queue_automatic_reply(conversation, rule.auto_reply) is not None
        ):
            done.append(
                _("%(rule)s: answered automatically outside business hours") % {"rule": rule.name}
            )
        if rule.stop:
            break
    if done:
        Note.objects.bulk_create(
            [Note(conversation=conversation, author=None, text=line) for line in done]
        )
    return done
