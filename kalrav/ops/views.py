from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from kalrav import proxies
from kalrav.ops import checks, metrics


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = checks.database_ok()
    storage_ok, storage_detail = checks.storage_writable() if db_ok else (False, "no database")
    queue_ok, pending, queue_detail = checks.queue_state()
    beat = checks.last_worker_heartbeat()
    body = {
        "status": "ok" if db_ok and storage_ok and queue_ok else "failing",
        "database": {"ok": db_ok, "detail": db_detail},
        "storage": {"ok": storage_ok, "detail": storage_detail},
        "queue": {"ok": queue_ok, "detail": queue_detail, "pending": pending},
        "worker_last_seen": beat.isoformat() if beat else None,
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def _from_this_machine(request: HttpRequest) -> bool:
    """A scraper on the same machine: a loopback peer, and no proxy speaking for someone else
    (a reverse proxy on this machine also connects from loopback)."""
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return peer.is_loopback and not proxies.is_forwarded(request)


@never_cache
def prometheus(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponse(
                "metrics need 'Authorization: Bearer <KALRAV_METRICS_TOKEN>'\n",
                status=401,
                content_type="text/plain",
            )
    elif not _from_this_machine(request):
        return HttpResponse(
            "metrics answer only on this machine; set KALRAV_METRICS_TOKEN to read them "
            "from elsewhere\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(
        metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8"
    )
