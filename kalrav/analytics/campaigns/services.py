"""Which posts a campaign groups, and which campaign a post's tracked links name.

Kept simple on purpose: a post joins a campaign by naming it in its campaign field (the explicit
choice) or by carrying one of the campaign's tags while published within its dates. No table
links the two, so a post tagged after the campaign was made joins it without anybody's action.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from kalrav.analytics.campaigns.models import Campaign
from kalrav.publishing.models import Post


def clean_tags(text: str | list[str]) -> list[str]:
    parts = text if isinstance(text, list) else text.replace("#", " ").replace(",", " ").split()
    seen: list[str] = []
    for part in parts:
        tag = str(part).strip().lower().replace("|", "")
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def figures_of(campaign: Campaign) -> Q:
    """The condition on rollups.PostFigures for the posts of the campaign."""
    joined = Q(campaign=campaign.name)
    if campaign.tags:
        shared = Q()
        for tag in campaign.tags:
            shared |= Q(tags__contains=f"|{tag}|")
        joined |= shared & Q(day__gte=campaign.starts_on, day__lte=campaign.ends_on)
    return joined


def campaign_of(post: Post, on: date | None = None) -> Campaign | None:
    """The campaign a post belongs to: the one it names, else the running one sharing a tag."""
    if post.campaign:
        return Campaign.objects.filter(workspace_id=post.workspace_id, name=post.campaign).first()
    tags = set(clean_tags(list(post.tags or [])))
    if not tags:
        return None
    on = on or timezone.localdate()
    for campaign in Campaign.objects.filter(
        workspace_id=post.workspace_id, starts_on__lte=on, ends_on__gte=on
    ).order_by("starts_on", "pk"):
        if tags & set(campaign.tags):
            return campaign
    return None


def utm_name(post: Post) -> str:
    """What utm_campaign says for a post's links: its campaign's name, when it has one."""
    found = campaign_of(post)
    return found.name if found is not None else post.campaign
