from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from kalrav.ops import checks, metrics


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = checks.database_ok()
    queue_ok, pending, queue_detail = checks.queue_state()
    beat = checks.last_worker_heartbeat()
    body = {
        "status": "ok" if db_ok and queue_ok else "failing",
        "database": {"ok": db_ok, "detail": db_detail},
        "queue": {"ok": queue_ok, "detail": queue_detail, "pending": pending},
        "worker_last_seen": beat.isoformat() if beat else None,
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


@never_cache
def prometheus(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent, token):
            return HttpResponse(
                "metrics need 'Authorization: Bearer <KALRAV_METRICS_TOKEN>'\n",
                status=401,
                content_type="text/plain",
            )
    return HttpResponse(
        metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8"
    )
