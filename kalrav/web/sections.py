"""The main navigation: each section, the permission that shows it, and its empty state.

A capability's own app replaces its section's page when it lands; until then the page says what
the section will hold, truthfully, instead of showing an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.permissions import Perm


@dataclass(frozen=True)
class Section:
    slug: str
    title: Promise
    perm: Perm
    icon: str
    purpose: Promise
    next_step: Promise


SECTIONS = (
    Section(
        "calendar", _("Calendar"), Perm.CONTENT_VIEW, "calendar",
        _("Plan every publication for the month or the quarter, one idea written for each network, with room left for last-minute changes."),
        _("Publishing arrives with the next release: first fill in the brand profile, so every post can be checked against it."),
    ),
    Section(
        "inbox", _("Inbox"), Perm.INBOX_VIEW, "inbox",
        _("Every comment, reply, mention and message from every channel in one place, answered within minutes and handed to the department that can solve it."),
        _("The inbox fills itself once channels are connected."),
    ),
    Section(
        "listening", _("Listening"), Perm.LISTENING_VIEW, "ear",
        _("Hear what is said about the brand on networks, news, blogs and forums; catch negative reviews and a crisis early."),
        _("Monitors are saved searches; you will create them here."),
    ),
    Section(
        "analytics", _("Analytics"), Perm.ANALYTICS_VIEW, "chart",
        _("What each post and channel achieved, audience growth, the best times to post, and the registrations, calls and sales your work brings."),
        _("Numbers appear here once posts are published from Kalrav."),
    ),
    Section(
        "campaigns", _("Campaigns"), Perm.CAMPAIGNS_VIEW, "flag",
        _("Contests and raffles with a fair draw anyone can verify, polls and surveys, and tracked links that count conversions."),
        _("Campaigns build on published posts and tracked links."),
    ),
)  # fmt: skip

BY_SLUG = {section.slug: section for section in SECTIONS}
