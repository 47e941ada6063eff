"""The Instagram connector against the stand-in Instagram over real HTTP
(tests/peers/instagram_standin.py), without a browser: signing in through Facebook Login, a photo
whose bytes the stand-in fetches from the public address Kalrav gives (through an https front),
the container polled until it is finished, published once; and a container refused when the
fetch fails, as Instagram refuses it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image
from starlette.responses import Response

from kalrav.connectors.base import ConnectorContext, MediaItem, MediaKind, OutgoingPost
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from tests.peers.instagram_standin import (
    OWN_ID,
    PAGE_ID,
    HttpsFront,
    InstagramStandIn,
    certificate,
)
from tests.peers.meta_standin import serving, settings_for

pytest.importorskip("facebook_business", reason="the fake checks fields against Meta's SDK")

REDIRECT = "http://127.0.0.1:9/channels/oauth/callback/"


def jpeg(width: int = 1080, height: int = 1350) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 30)).save(out, "JPEG", quality=70)
    return out.getvalue()


class Files:
    """Kalrav's /m/<token>/ as far as a fetcher sees it: the file, or 404."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.url = ""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        found = self.files.get(scope["path"])
        answer = Response(found, 200, media_type="image/jpeg") if found else Response("", 404)
        await answer(scope, receive, send)


@pytest.fixture
def instagram(settings, tmp_path) -> Iterator[tuple[InstagramStandIn, HttpsFront, Files]]:
    cert, key, trust = certificate(tmp_path)
    with (
        serving(Files()) as files,
        serving(HttpsFront(files.url), ssl_certfile=str(cert), ssl_keyfile=str(key)) as front,
        serving(InstagramStandIn(ready_after=1.0, trust=trust)) as standin,
    ):
        for name, value in settings_for(standin).items():
            setattr(settings, name, value)
        yield standin, front, files
        assert standin.violations == []


def _continue(url: str) -> str:
    page = httpx.get(url)
    assert page.status_code == 200 and "Continue" in page.text, page.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    back = httpx.post(url.split("?")[0], data={**fields, "decision": "allow"})
    assert back.status_code == 302, back.text
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}["code"]


def _photo(source: str) -> MediaItem:
    return MediaItem(
        source=source,
        kind=MediaKind.IMAGE,
        mime_type="image/jpeg",
        size=100_000,
        width=1080,
        height=1350,
        alt_text="A glass of masala chai",
    )


def test_sign_in_then_a_photo_is_fetched_polled_and_published_once(instagram) -> None:
    standin, front, files = instagram
    url, kept = InstagramConnector.oauth_start("", redirect_uri=REDIRECT, state="s-1")
    connections = InstagramConnector.oauth_finish_many(kept, _continue(url))
    assert [c.account.remote_id for c in connections] == [OWN_ID]  # the other Page has none
    assert connections[0].config == {"ig_user_id": OWN_ID, "page_id": PAGE_ID, "login": "facebook"}

    image = jpeg()
    files.files["/m/chai/"] = image
    connector = InstagramConnector(
        ConnectorContext(
            channel_id=1,
            config=connections[0].config,
            credentials=connections[0].credentials,
            account_id=OWN_ID,
            public_url=lambda item: f"{front.url}/m/{item.source}/",
        )
    )
    started = datetime.now(UTC)
    post = OutgoingPost("Masala chai, ready at six ☕ मसाला चाय", media=(_photo("chai"),))
    ref = connector.publish(post, idempotency_key="k1")
    assert [m["id"] for m in standin.instagram.media] == [ref.remote_id]
    assert list(standin.fetched.values()) == [image]  # the very bytes Kalrav serves
    assert front.seen == ["/m/chai/"]
    assert standin.status_polls >= 2  # IN_PROGRESS first, then FINISHED
    (container,) = standin.instagram.containers.values()
    assert container["data"]["alt_text"] == "A glass of masala chai"
    found = connector.reconcile(post, idempotency_key="k1", not_before=started)
    assert found is not None and found.remote_id == ref.remote_id

    # Instagram cannot fetch what is not there: the container is refused, nothing published.
    with pytest.raises(Rejected):
        connector.publish(OutgoingPost("Gone", media=(_photo("missing"),)), idempotency_key="k2")
    assert len(standin.instagram.media) == 1
    assert standin.fetch_refusals and "/m/missing/" in standin.fetch_refusals[0]
    connector.close()
