"""The sidebar's link to the sandbox page, shown only in workspaces with a sandbox channel."""

from django import template

from kalrav.channels.models import Channel
from kalrav.sandbox.views import SLUG

register = template.Library()


@register.inclusion_tag("sandbox/_nav.html", takes_context=True)
def sandbox_nav(context) -> dict:
    workspace = context.get("workspace")
    show = (
        workspace is not None and Channel.objects.filter(workspace=workspace, network=SLUG).exists()
    )
    return {"show": show, "workspace": workspace, "nav": context.get("nav")}
