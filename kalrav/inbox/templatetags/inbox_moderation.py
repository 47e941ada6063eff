"""The like / hide / delete bar under each message of a conversation, computed in the template
so the conversation view needs no change: the channel's connector is asked once per page."""

from __future__ import annotations

from django import template

from kalrav.inbox.models import Message
from kalrav.inbox.work import moderation

register = template.Library()


@register.inclusion_tag("inbox/_message_actions.html", takes_context=True)
def message_actions(context, message: Message) -> dict:
    cache = context.render_context.setdefault("inbox_moderation", {})
    conversation = message.conversation
    if conversation.pk not in cache:
        thread = list(conversation.messages.all())
        cache[conversation.pk] = moderation.available(thread, conversation.channel)
    allowed = cache[conversation.pk].get(message.pk, frozenset())
    return {
        **context.flatten(),
        "m": message,
        "actions": moderation.next_actions(message, allowed),
        "refused": "",
    }
