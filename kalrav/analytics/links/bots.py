"""Who is not a person: crawlers, the cards networks draw for a link, mail scanners, prefetches.
Their visits are kept, marked, and left out of every count (a post on five networks gets five
"clicks" from their preview fetchers before anyone reads it)."""

from __future__ import annotations

import re

from django.http import HttpRequest

# User agents of automated visitors, matched anywhere, case-insensitively.
AUTOMATED = re.compile(
    r"bot\b|bot/|crawler|spider|slurp|facebookexternalhit|facebookcatalog|meta-externalagent"
    r"|twitterbot|linkedinbot|slackbot|discordbot|telegrambot|whatsapp|skypeuripreview"
    r"|embedly|cardyb|mastodon/|pleroma|misskey|bluesky|iframely|preview|headlesschrome"
    r"|python-requests|python-httpx|curl/|wget/|go-http-client|okhttp|java/|libwww|httpclient"
    r"|scanner|safelinks|proofpoint|barracuda|mimecast|lighthouse|pingdom|uptime",
    re.IGNORECASE,
)
PREFETCH_HEADERS = ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def is_automated(request: HttpRequest) -> bool:
    if request.method == "HEAD":
        return True  # people's browsers GET; link checkers ask HEAD
    if any("prefetch" in request.META.get(name, "").lower() for name in PREFETCH_HEADERS):
        return True
    agent = request.META.get("HTTP_USER_AGENT", "").strip()
    return not agent or bool(AUTOMATED.search(agent))
