"""Pushes: what a network sends to Kalrav unasked (its "webhooks"; in Kalrav that word means only
the webhooks Kalrav sends, kalrav.hooks). Checked and read at once, answered fast, stored by a
worker.

A delivery without the network's signature or secret is refused with 403 and nothing is kept;
one that cannot be read gets 400 with the reason, so the network's delivery log says what broke.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from huey.contrib.djhuey import db_task

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors.base import opened
from kalrav.connectors.webhooks import WebhookReceiver
from kalrav.inbox.intake.ingest import ingest

log = logging.getLogger("kalrav.inbox.intake.pushes")


@csrf_exempt  # the network signs its deliveries; there is no browser session to protect
@require_POST
def receive(request: HttpRequest, channel_id: int) -> JsonResponse:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    with opened(channels.connector_for(channel)) as connector:
        if not isinstance(connector, WebhookReceiver):
            raise Http404
        try:
            delivery = connector.receive(request.headers, request.body)
        except PermissionError:
            log.warning("webhook for channel %s refused: wrong signature or secret", channel_id)
            return JsonResponse(
                {"code": "forbidden", "message": "signature or secret does not match"}, status=403
            )
        except ValueError as error:
            return JsonResponse({"code": "malformed", "message": str(error)[:500]}, status=400)
        except RecursionError:
            # JSON nested thousands deep exhausts the parser's stack: a bad body, not our fault.
            return JsonResponse(
                {"code": "malformed", "message": "the body is nested too deeply"}, status=400
            )
    if delivery.items:
        ingest_delivered(channel.pk, list(delivery.items))
    return JsonResponse({"ok": True, "items": len(delivery.items)})


@db_task(retries=3, retry_delay=10)
def ingest_delivered(channel_id: int, items: list) -> int:
    channel = Channel.objects.filter(pk=channel_id).first()
    return len(ingest(channel, items, via="webhook")) if channel else 0
