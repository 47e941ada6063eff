"""Pushes: what a network sends to Kalrav unasked (its "webhooks"; in Kalrav that word means only
the webhooks Kalrav sends, kalrav.hooks). Checked and read at once, answered fast, stored by a
worker.

A delivery without the network's signature or secret is refused with 403 and nothing is kept;
one that cannot be read gets 400 with the reason, so the network's delivery log says what broke.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from huey.contrib.djhuey import db_task

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors import registry
from kalrav.connectors.base import IncomingItem, opened
from kalrav.connectors.webhooks import AppWebhookReceiver, ItemCompleter, WebhookReceiver
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
        except (PermissionError, ValueError, RecursionError) as error:
            return _refused(error, f"channel {channel_id}")
    if delivery.items:
        ingest_delivered(channel.pk, list(delivery.items))
    return JsonResponse({"ok": True, "items": len(delivery.items)})


def _refused(error: Exception, whose: str) -> JsonResponse:
    """403 when the delivery is not from the network (nothing kept), 400 with the reason when it
    cannot be read, so the network's delivery log says what broke."""
    if isinstance(error, PermissionError):
        log.warning("webhook for %s refused: wrong or missing signature or secret", whose)
        return JsonResponse(
            {"code": "forbidden", "message": "signature or secret does not match"}, status=403
        )
    if isinstance(error, RecursionError):
        # JSON nested thousands deep exhausts the parser's stack: a bad body, not our fault.
        return JsonResponse(
            {"code": "malformed", "message": "the body is nested too deeply"}, status=400
        )
    return JsonResponse({"code": "malformed", "message": str(error)[:500]}, status=400)


@db_task(retries=3, retry_delay=10)
def ingest_delivered(channel_id: int, items: list) -> int:
    channel = Channel.objects.filter(pk=channel_id).first()
    return len(ingest(channel, items, via="webhook")) if channel else 0


@csrf_exempt  # as above: signed by the network, no browser session
@require_http_methods(["GET", "POST"])
def receive_for_network(request: HttpRequest, network: str) -> HttpResponse:
    """One address per network for apps that deliver every account's events together (see
    kalrav.connectors.webhooks.AppWebhookReceiver). Each item goes to every live channel whose
    account it is for; the same Page connected in two workspaces gets it in both."""
    try:
        cls = registry.get(network)
    except registry.UnknownNetwork:
        raise Http404 from None
    if not issubclass(cls, AppWebhookReceiver):
        raise Http404
    if request.method == "GET":
        try:
            answer = cls.answer_handshake(request.GET, request.headers)
        except PermissionError:
            log.warning("%s webhook handshake refused: wrong verify token", network)
            return JsonResponse(
                {"code": "forbidden", "message": "verify token does not match"}, status=403
            )
        if answer is None:
            raise Http404
        return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    try:
        delivery = cls.receive_for_app(request.headers, request.body)
    except (PermissionError, ValueError, RecursionError) as error:
        return _refused(error, network)
    by_account: dict[str, list[IncomingItem]] = defaultdict(list)
    for account, item in delivery.items:
        by_account[account].append(item)
    handed = 0
    if by_account:
        for channel_id, account in Channel.objects.filter(
            network=network, remote_id__in=list(by_account)
        ).values_list("pk", "remote_id"):
            ingest_app_delivered(channel_id, by_account[account])
            handed += 1
    return JsonResponse({"ok": True, "items": len(delivery.items), "channels": handed})


@db_task(retries=3, retry_delay=10)
def ingest_app_delivered(channel_id: int, items: list) -> int:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    with opened(channels.connector_for(channel)) as connector:
        if isinstance(connector, ItemCompleter):
            items = connector.complete(items)
    return len(ingest(channel, items, via="webhook"))
