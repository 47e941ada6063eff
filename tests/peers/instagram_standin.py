"""A stand-in Instagram (the Instagram API with Facebook Login) on loopback, for end-to-end tests
of the Instagram connector. It is the stand-in Meta (meta_standin.py: the Login dialog, the code
trade) with the Instagram Graph endpoints Kalrav calls:

- `GET me/accounts` lists the Page "Chai Corner" with its token and its linked Instagram
  professional account (and a second Page without one, which Kalrav must skip).
- `POST /{ig-user-id}/media` makes a container only after FETCHING the media from the
  `image_url` (or `video_url`) Kalrav gives, as Instagram does ("We cURL media used in
  publishing attempts"): https only, a 200 with an image or video type, or the container is
  refused with Meta's error 9004 / 2207052. The bytes fetched are kept in `fetched`.
- `GET /{container-id}?fields=status_code` answers IN_PROGRESS until `ready_after` seconds have
  passed, then FINISHED, so Kalrav's polling runs; `POST /{ig-user-id}/media_publish` refuses an
  unfinished container and makes a new media of every finished one it is given once.
- Everything else (the account, `/{ig-user-id}/media` for reconcile,
  `/content_publishing_limit`, comments, `/{comment-id}/replies`, `subscribed_apps`) is answered by
  the connector's own fake (instagram/tests/fake.py), which checks every field Kalrav asks for
  against Meta's facebook-business SDK. Every call must carry the Page token and the
  `appsecret_proof` ("Require App Secret" on).
- `deliver_media_comment` POSTs a comments webhook (object "instagram") to Kalrav, signed as Meta
  signs it.

Meta fetches media from the public internet over https; here Kalrav's public address
(KALRAV_PUBLIC_URL) is `HttpsFront`, an https reverse proxy on loopback in front of the live
server with a certificate made for the test, which only this stand-in trusts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kalrav.connectors.networks.facebook.client import GRAPH_VERSION, appsecret_proof
from kalrav.connectors.networks.facebook.tests.fake import APP_SECRET
from kalrav.connectors.networks.facebook.webhooks import SIGNATURE_HEADER, signature
from kalrav.connectors.networks.instagram import oauth
from kalrav.connectors.networks.instagram.tests.fake import (
    CREATE_PARAMS,
    FIXTURES,
    OWN_ID,
    TOKEN,
    FakeInstagram,
)
from kalrav.connectors.testing import recorded
from tests.peers.meta_standin import GRAPH, MetaStandIn

PAGE_ID = "104000000000001"
OTHER_PAGE_ID = "104000000000002"
USER_TOKEN = "EAAlonglived"  # what the fake Graph's code trade gives (facebook fixtures)
PREFIX = f"/{GRAPH_VERSION}/"
# Instagram API with Facebook Login, "Permissions": what publishing and comments need.
NEEDED = frozenset(
    {"pages_show_list", "instagram_basic", "instagram_content_publish", "instagram_manage_comments"}
)
FETCH_REFUSED = {
    "message": "Media download has failed.: The media could not be fetched from this uri",
    "type": "OAuthException",
    "code": 9004,
    "error_subcode": 2207052,
    "is_transient": False,
    "error_user_title": "Media download has failed.",
    "error_user_msg": "The media could not be fetched from this uri.",
}


class InstagramStandIn(MetaStandIn):
    needed = NEEDED

    def __init__(
        self,
        *,
        ready_after: float = 1.5,
        trust: ssl.SSLContext | None = None,
        latency: float = 0.0,
    ) -> None:
        # `latency`: seconds each media_publish takes, the media made halfway (MetaStandIn).
        super().__init__(latency)
        # Never started: this app hands it the requests.
        self.instagram = FakeInstagram(respx.MockRouter(assert_all_called=False))
        self.instagram.in_progress_polls = 10**9  # a container's status is answered here, by time
        self.ready_after = ready_after
        self.ready_at: dict[str, float] = {}
        self.fetched: dict[str, bytes] = {}  # container id -> the media fetched from Kalrav
        self.fetch_refusals: list[str] = []  # addresses that could not be fetched
        self.status_polls = 0
        self.trust = trust or ssl.create_default_context()

    # --- what tests do on the network ------------------------------------------------------------

    def comment_on_media(self, text: str, *, media_id: str) -> str:
        with self.lock:
            return self.instagram.receive(text, media_id=media_id)

    def deliver_media_comment(
        self, kalrav_url: str, comment_id: str, *, media_id: str, secret: str = APP_SECRET
    ) -> httpx.Response:
        """The `comments` webhook Meta sends for a new comment on the account's media."""
        comment = next(c for c in self.instagram.comments[media_id] if c["id"] == comment_id)
        payload = recorded(FIXTURES, "webhook_comments").body
        entry = payload["entry"][0]
        entry.update(id=OWN_ID, time=int(time.time()))
        entry["changes"][0]["value"].update(
            id=comment_id,
            text=comment["text"],
            media={"id": media_id, "media_product_type": "FEED"},
        )
        payload["entry"] = [entry]
        body = json.dumps(payload).encode()
        return httpx.post(
            f"{kalrav_url}/hooks/networks/instagram/",
            content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)},
            timeout=30,
        )

    # --- the Graph API ---------------------------------------------------------------------------

    async def _slow_graph(self, request: Request, body: bytes) -> Response:
        path = request.url.path[len(PREFIX) :]
        if path == "oauth/access_token":
            return self._graph(request, body)  # the fake Graph trades codes as Meta does
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.query_params.get("appsecret_proof") != appsecret_proof(token, APP_SECRET):
            return _error(400, "appsecret_proof argument must be passed", 100)
        if path == "me/accounts":
            if token != USER_TOKEN:
                return _error(400, "Invalid OAuth access token.", 190)
            return self._accounts(request)
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if request.method == "POST" and path == f"{OWN_ID}/media" and token == TOKEN:
            return await self._create(form)
        if request.method == "GET" and path in self.ready_at and token == TOKEN:
            return self._status(path, dict(request.query_params))
        if self.latency and request.method == "POST" and path == f"{OWN_ID}/media_publish":
            return await self._slow_publish(request, body)
        return self._instagram(request, body)

    async def _slow_publish(self, request: Request, body: bytes) -> Response:
        """A publish whose sender may be killed after Instagram made the media but before the
        answer left: such media are kept in `unheard`."""
        await asyncio.sleep(self.latency / 2)
        response = self._instagram(request, body)
        made = response.status_code == 200
        self.in_flight += made
        await asyncio.sleep(self.latency / 2)
        self.in_flight -= made
        if made and await request.is_disconnected():
            with self.lock:
                self.unheard.append(json.loads(bytes(response.body))["id"])
        return response

    def _accounts(self, request: Request) -> Response:
        asked = request.query_params.get("fields", "")
        if asked != oauth.ACCOUNT_FIELDS:
            with self.lock:
                self.violations.append(f"me/accounts asked for {asked!r}")
        linked = recorded(FIXTURES, "user").body
        pages = [
            {
                "id": PAGE_ID,
                "name": "Chai Corner",
                "access_token": TOKEN,
                "instagram_business_account": {
                    key: linked[key] for key in ("id", "username", "name", "profile_picture_url")
                },
            },
            {"id": OTHER_PAGE_ID, "name": "চা ঘর", "access_token": "EAApage2"},
        ]
        return JSONResponse({"data": pages, "paging": {"cursors": {"before": "b", "after": "a"}}})

    async def _create(self, form: dict[str, str]) -> Response:
        unknown = set(form) - CREATE_PARAMS - {"access_token", "appsecret_proof"}
        if unknown:
            with self.lock:
                self.violations.append(f"unknown container parameters {sorted(unknown)}")
            return _error(400, f"(#100) Invalid parameter {sorted(unknown)}", 100)
        address = form.get("image_url") or form.get("video_url") or ""
        media = await self._fetch(address, video="video_url" in form) if address else None
        if media is None:
            return JSONResponse({"error": FETCH_REFUSED}, 400)
        with self.lock:
            container = str(next(self.instagram._ids))
            self.instagram.containers[container] = {
                "data": form,
                "state": "IN_PROGRESS",
                "polls": 0,
            }
            self.ready_at[container] = time.monotonic() + self.ready_after
            self.fetched[container] = media
        return JSONResponse({"id": container})

    async def _fetch(self, address: str, *, video: bool) -> bytes | None:
        """The media at Kalrav's address, as Meta's fetcher gets it: https, no redirects."""
        wanted = "video/" if video else "image/"
        try:
            if not address.startswith("https://"):
                raise ValueError("not https")
            async with httpx.AsyncClient(verify=self.trust, timeout=15) as fetcher:
                got = await fetcher.get(address)
            kind = got.headers.get("content-type", "")
            if got.status_code != 200 or not kind.startswith(wanted) or not got.content:
                raise ValueError(f"{got.status_code} {kind}")
        except (httpx.HTTPError, ValueError) as failed:
            with self.lock:
                self.fetch_refusals.append(f"{address}: {failed}")
            return None
        return got.content

    def _status(self, container: str, params: dict[str, str]) -> Response:
        with self.lock:
            self.status_polls += 1
            held = self.instagram.containers[container]
            try:
                self.instagram._check_fields("container", params)
            except AssertionError as broken:
                self.violations.append(str(broken))
            if held["state"] == "IN_PROGRESS" and time.monotonic() >= self.ready_at[container]:
                held["state"] = "FINISHED"
            fixture = {"IN_PROGRESS": "container_in_progress"}.get(
                held["state"], "container_finished"
            )
            answer = recorded(FIXTURES, fixture).body
            answer.update(id=container, status_code=held["state"])
        return JSONResponse(answer)

    def _instagram(self, request: Request, body: bytes) -> Response:
        query = request.url.query
        graph_request = httpx.Request(
            request.method,
            f"{GRAPH}{request.url.path}" + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            with self.lock:
                answer = self.instagram._handle(graph_request)
        except AssertionError as broken:
            with self.lock:
                self.violations.append(f"{request.method} {request.url.path}: {broken}"[:2000])
            return _error(400, "Invalid request", 100)
        return Response(answer.content, answer.status_code, None, "application/json")


def _error(status: int, message: str, code: int) -> Response:
    return JSONResponse(
        {"error": {"message": message, "type": "OAuthException", "code": code}}, status
    )


# --- Kalrav's public address: an https front on loopback ---------------------------------------


class HttpsFront:
    """An https reverse proxy in front of Kalrav's live server (GET and HEAD only, which is all
    Meta's fetcher sends), like the one an operator puts at KALRAV_PUBLIC_URL."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.url = ""
        self.seen: list[str] = []  # paths asked for

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.seen.append(request.url.path)
        if request.method not in ("GET", "HEAD"):
            await Response("", 405)(scope, receive, send)
            return
        query = request.url.query
        target = f"{self.upstream}{request.url.path}" + (f"?{query}" if query else "")
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.request(request.method, target)
        kept = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        await Response(answer.content, answer.status_code, kept)(scope, receive, send)


def certificate(folder: Path) -> tuple[Path, Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file) and a client context that
    trusts it and nothing else."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "front.crt", folder / "front.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, ssl.create_default_context(cafile=str(cert_file))
