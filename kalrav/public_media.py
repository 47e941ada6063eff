"""Media at a public, signed, expiring address, for networks that fetch a post's media from a URL
instead of taking an upload (Instagram's containers: "We cURL media used in publishing attempts,
so the media must be hosted on a publicly accessible server at the time of the attempt").

`url_for(item)` signs the item's storage key with a timestamp; `/m/<token>/` (`serve`) serves the
file to anyone holding the token until it is MAX_AGE old, and answers 404 for a token that is
wrong, expired or names a file that is gone. Nothing else under MEDIA_ROOT becomes public: the
token is the only way in, and only the publisher makes tokens, for media it is sending.

The public address is KALRAV_PUBLIC_URL (the address the network reaches Kalrav at, often not
KALRAV_BASE_URL behind a VPN); without it `url_builder()` is None and such networks refuse to
publish with a reason that says what to set.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from kalrav.connectors.base import MediaItem

SALT = "kalrav.public_media"
# Long enough for a scheduled retry of a slow video a day later; Instagram's own containers
# expire after 24 hours, so a longer-lived address would serve no network.
MAX_AGE = timedelta(days=1)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_for(source: str) -> str:
    # sign_object: URL-safe base64, so a storage key's slashes never reach the path.
    return _signer().sign_object(source)


def source_of(token: str) -> str:
    """The storage key a token names; BadSignature (including SignatureExpired) when it is not
    one Kalrav made in the last MAX_AGE."""
    found = _signer().unsign_object(token, max_age=MAX_AGE)
    if not isinstance(found, str):
        raise signing.BadSignature("not a storage key")
    return found


def public_base() -> str:
    return str(getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")


def url_for(item: MediaItem) -> str:
    token = token_for(item.source)
    return public_base() + reverse("public-media", kwargs={"token": token})


def url_builder() -> Callable[[MediaItem], str] | None:
    """What a ConnectorContext gets as `public_url`: None when no public address is set."""
    return url_for if public_base() else None


def serve(request: HttpRequest, token: str) -> FileResponse:
    try:
        source = source_of(token)
    except signing.BadSignature:
        raise Http404 from None
    if not source or not default_storage.exists(source):
        raise Http404
    content_type = mimetypes.guess_type(source)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(source, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
