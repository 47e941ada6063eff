"""Template filters of the listening pages."""

from __future__ import annotations

from django import template
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kalrav.channels import services as channels

register = template.Library()


@register.filter
def network_label(network: str) -> str:
    """A mention's network as people name it: "Web" for feeds and pages, else the network's
    own label (a network Kalrav no longer knows keeps its slug)."""
    if not network or network == "web":
        return _("Web")
    try:
        return channels.network_info(network).label
    except ValidationError:  # a network Kalrav no longer knows
        return network
