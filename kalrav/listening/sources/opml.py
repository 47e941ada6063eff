"""OPML import: the feed list another reader exports, turned into feed sources.

The file is read with the standard library's expat parser, which neither fetches external
entities nor expands nested entities without bound (Python >= 3.11 with expat >= 2.4); a
DOCTYPE is refused anyway, since an OPML file never needs one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kalrav.connectors.errors import ConnectorError
from kalrav.connectors.http import check_url, private_addresses_allowed
from kalrav.listening.models import Source, SourceKind
from kalrav.workspaces.models import Workspace

MAX_BYTES = 2 * 1024 * 1024
MAX_FEEDS = 1000


class OpmlError(ValueError):
    """A file that is not a usable OPML feed list; the message says what to do."""


@dataclass
class Imported:
    created: list[Source] = field(default_factory=list)
    already: int = 0
    # (address, why) for each outline that was not imported.
    refused: list[tuple[str, str]] = field(default_factory=list)


def feed_urls(content: bytes) -> list[tuple[str, str]]:
    """(address, title) of every feed outline, nested folders included."""
    if len(content) > MAX_BYTES:
        raise OpmlError(_("The file is larger than 2 MB; an OPML feed list is much smaller."))
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise OpmlError(
            _("The file declares a DOCTYPE or entities; export it again as plain OPML.")
        )
    try:
        root = ET.fromstring(content)  # noqa: S314 - see the module docstring
    except ET.ParseError as error:
        raise OpmlError(
            _("This is not an OPML file: the XML is broken (%(problem)s).") % {"problem": error}
        ) from None
    if root.tag.casefold() != "opml":
        raise OpmlError(_("This is an XML file but not OPML: it should start with <opml>."))
    found = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            found.append((url, (outline.get("title") or outline.get("text") or "").strip()))
    if not found:
        raise OpmlError(_("The file lists no feeds: no outline has an xmlUrl."))
    if len(found) > MAX_FEEDS:
        raise OpmlError(_("The file lists more than 1000 feeds; split it into smaller files."))
    return found


def usable(url: str) -> str:
    """Why a feed address cannot be used, or "" when it can."""
    if not url.startswith(("http://", "https://")):
        return _("Only http and https addresses can be fetched.")
    if len(url) > 1000:
        return _("The address is longer than 1000 characters.")
    if private_addresses_allowed():
        return ""
    try:
        check_url(url)
    except ConnectorError as error:
        return str(error)
    return ""


def import_opml(workspace: Workspace, content: bytes) -> Imported:
    result = Imported()
    existing = set(
        Source.objects.filter(workspace=workspace, kind=SourceKind.FEED).values_list(
            "url", flat=True
        )
    )
    for url, title in feed_urls(content):
        if url in existing:
            result.already += 1
            continue
        problem = usable(url)
        if problem:
            result.refused.append((url, problem))
            continue
        try:
            with transaction.atomic():
                source = Source.objects.create(
                    workspace=workspace, kind=SourceKind.FEED, url=url, title=title[:255]
                )
        except IntegrityError:
            result.already += 1
            continue
        existing.add(url)
        result.created.append(source)
    return result
