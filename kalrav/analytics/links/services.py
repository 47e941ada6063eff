"""Tracked links: a short link per address in a post's copy for one network, with the UTM
parameters that let the brand's own analytics see where a visit came from, and each click
counted by Kalrav (people only) before the visitor is sent on."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from kalrav import proxies
from kalrav.analytics.campaigns import services as campaigns
from kalrav.analytics.links.bots import is_automated
from kalrav.analytics.models import Click, TrackedLink
from kalrav.publishing.models import Variant

# An address in a post: up to whitespace, without the punctuation that usually ends a sentence.
ADDRESS = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}»”’"
CLICK_PARAMETER = "kalrav_click"


def short_url(link: TrackedLink) -> str:
    return f"{settings.BASE_URL}/l/{link.code}"


def with_utm(target: str, *, source: str, campaign: str, content: str) -> str:
    """The address with Kalrav's UTM parameters added; ones the brand set are kept as they are."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _value in query}
    for key, value in (
        ("utm_source", source),
        ("utm_medium", "social"),
        ("utm_campaign", campaign),
        ("utm_content", content),
    ):
        if key not in present and value:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def track(variant: Variant, target: str) -> TrackedLink:
    """The variant's tracked link to `target`, made once."""
    post = variant.post
    found = TrackedLink.objects.filter(variant=variant, target=target).first()
    if found is not None:
        return found
    campaign = campaigns.utm_name(post)
    destination = with_utm(
        target,
        source=variant.channel.network,
        campaign=campaign or "kalrav",
        content=f"post-{post.pk}",
    )
    try:
        with transaction.atomic():
            return TrackedLink.objects.create(
                workspace_id=post.workspace_id,
                post=post,
                variant=variant,
                channel_id=variant.channel_id,
                campaign=campaign,
                target=target,
                destination=destination,
            )
    except IntegrityError:  # made a moment ago by another request
        return TrackedLink.objects.get(variant=variant, target=target)


def addresses(text: str) -> list[str]:
    found = []
    for match in ADDRESS.finditer(text):
        address = match.group(0).rstrip(TRAILING)
        if address and not address.startswith(f"{settings.BASE_URL}/l/"):
            found.append(address)
    return found


def track_text(variant: Variant) -> str:
    """The variant's text with every address replaced by its tracked short link."""
    text = variant.text
    for address in dict.fromkeys(addresses(text)):
        text = text.replace(address, short_url(track(variant, address)))
    return text


def _visitor(request: HttpRequest, today: date) -> str:
    """Counts unique visitors without keeping an address: a hash salted with the secret and the
    day, so the same person is one visitor within a day and cannot be followed across days."""
    raw = "|".join(
        (
            settings.SECRET_KEY,
            today.isoformat(),
            proxies.client_address(request),
            request.META.get("HTTP_USER_AGENT", ""),
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def record_click(link: TrackedLink, request: HttpRequest) -> Click:
    now = timezone.now()
    referrer = urlsplit(request.META.get("HTTP_REFERER", "")).hostname or ""
    return Click.objects.create(
        link=link,
        at=now,
        visitor=_visitor(request, now.date()),
        automated=is_automated(request),
        referrer_host=referrer[:255],
    )


def onward(link: TrackedLink, click: Click) -> str:
    """Where the visitor goes: the destination, carrying the click's id for people so the brand's
    site can report a conversion against it."""
    if click.automated:
        return link.destination
    parts = urlsplit(link.destination)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (CLICK_PARAMETER, click.click_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def counts(links):
    """Links annotated with clicks by people and their unique visitors."""
    people = Q(clicks__automated=False)
    return links.annotate(
        human_clicks=Count("clicks", filter=people),
        visitors=Count("clicks__visitor", filter=people, distinct=True),
        automated_clicks=Count("clicks", filter=Q(clicks__automated=True)),
    )
