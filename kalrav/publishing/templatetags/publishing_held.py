from django import template

from kalrav.channels.models import Channel
from kalrav.publishing import held as held_module
from kalrav.publishing.models import Variant

register = template.Library()


@register.filter
def held(variant: Variant) -> str:
    return held_module.held_reason(variant)


@register.filter
def channel_warning(channel: Channel) -> str:
    return held_module.channel_warning(channel)


@register.filter
def stalled_notice(variant: Variant) -> str:
    return held_module.stalled_notice(variant)
