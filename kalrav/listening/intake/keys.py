"""The keys that make two collected items one mention: the same address, or the same words from
the same author."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kalrav.listening.query.words import words

# Parameters that say how someone arrived, not what the page is: the same article shared from a
# newsletter and from a feed is one mention.
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref", "ref_src", "igshid", "si")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalised_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters, the
    rest of the query sorted, no trailing slash; `http` and `https` are the same page."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").casefold().removeprefix("www.")
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme.casefold()):
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.casefold().startswith(_TRACKING)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, urlencode(query), ""))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def url_key(url: str, *, network: str = "", remote_id: str = "") -> str:
    """The mention's identity: its address, or, for a post without one, its network id."""
    if url:
        return _digest(normalised_url(url))
    return _digest(f"id:{network}:{remote_id}")


def text_key(text: str, author: str) -> str:
    """The same words (case, accents, spacing and punctuation aside) from the same author."""
    return _digest(" ".join(words(text)) + "\n" + author.strip().lstrip("@").casefold())
