"""A post's results on its page: tracked links, clicks by people, conversions."""

from __future__ import annotations

from django import template
from django.db.models import Count, Sum

from kalrav.analytics.collection import services as collection
from kalrav.analytics.links import services as links
from kalrav.analytics.models import Conversion, ConversionKind, TrackedLink
from kalrav.connectors.declared import metrics
from kalrav.workspaces.permissions import Perm

register = template.Library()


@register.inclusion_tag("analytics/_post_results.html", takes_context=True)
def post_results(context, post) -> dict:
    member = context.get("member")
    visible = member is not None and member.can(Perm.ANALYTICS_VIEW)
    rows = (
        list(
            links.counts(TrackedLink.objects.filter(post=post))
            .select_related("channel")
            .order_by("channel__name", "target")
        )
        if visible
        else []
    )
    conversions = (
        Conversion.objects.filter(post=post)
        .values("kind", "currency")
        .annotate(n=Count("id"), value=Sum("value"))
        .order_by("kind", "currency")
        if visible
        else []
    )
    figures = []
    if visible:
        variants = list(post.variants.select_related("channel").order_by("channel__name"))
        newest = collection.latest([v.pk for v in variants])
        for variant in variants:
            found = newest.get(variant.pk)
            if not found:
                continue
            values = {name: value for name, (value, _at) in found.items()}
            engaged = metrics.engagements_of(values)
            views = metrics.seen_of(values)
            figures.append(
                {
                    "variant": variant,
                    "values": sorted(values.items()),
                    "measured_at": max(at for _value, at in found.values()),
                    "engagement_rate": round(100 * engaged / views, 1) if views else None,
                }
            )
    return {
        "visible": visible,
        "figures": figures,
        "rows": [(row, links.short_url(row)) for row in rows],
        "conversions": [{**c, "label": ConversionKind(c["kind"]).label} for c in conversions],
        "post": post,
        "member": member,
        "workspace": context.get("workspace"),
        "csrf_token": context.get("csrf_token"),
        "can_edit": member is not None and member.can(Perm.CONTENT_EDIT),
    }
