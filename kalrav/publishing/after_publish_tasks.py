"""Huey tasks that delete or edit published variants on their networks; thin: the connector is
called here and the outcome recorded by after_publish. Imported by the app's ready() so that the
consumer knows them (Huey discovers only `tasks` modules by itself)."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task

from kalrav.channels import services as channel_services
from kalrav.connectors.base import OutgoingPost
from kalrav.connectors.errors import AuthExpired, ConnectorError
from kalrav.publishing import after_publish, variant_options
from kalrav.publishing.models import Variant, VariantState

logger = logging.getLogger(__name__)


def _words(error: Exception) -> str:
    return str(error) or type(error).__name__


@db_task(priority=5)
def delete_from_network(variant_id: int) -> str:
    variant = Variant.objects.select_related("channel").get(pk=variant_id)
    if variant.state != VariantState.DELETING:
        return variant.state
    try:
        connector = channel_services.connector_for(variant.channel)
        connector.delete(
            after_publish.ref_of(variant), idempotency_key=f"{variant.idempotency_key}:delete"
        )
    except ConnectorError as error:
        if isinstance(error, AuthExpired):
            channel_services.record_failure(variant.channel_id, error)
        after_publish.record_delete_failed(variant_id, _words(error))
        return VariantState.PUBLISHED
    except Exception as error:
        logger.exception("Deleting variant %s from %s failed", variant_id, variant.channel.network)
        after_publish.record_delete_failed(variant_id, _words(error))
        return VariantState.PUBLISHED
    after_publish.record_deleted(variant_id)
    return VariantState.DELETED


@db_task(priority=5)
def edit_on_network(variant_id: int, text: str) -> bool:
    variant = Variant.objects.select_related("channel").get(pk=variant_id)
    if variant.state != VariantState.PUBLISHED:
        return False
    extras = variant_options.outgoing_extras(variant.options)
    post = OutgoingPost(
        text=text,
        media=tuple(asset.as_item() for asset in variant.ordered_media()),
        options=extras["options"],
    )
    try:
        connector = channel_services.connector_for(variant.channel)
        ref = connector.edit(
            after_publish.ref_of(variant),
            post,
            idempotency_key=after_publish.edit_key(variant, text),
        )
    except ConnectorError as error:
        if isinstance(error, AuthExpired):
            channel_services.record_failure(variant.channel_id, error)
        after_publish.record_edit_failed(variant_id, _words(error))
        return False
    except Exception as error:
        logger.exception("Editing variant %s on %s failed", variant_id, variant.channel.network)
        after_publish.record_edit_failed(variant_id, _words(error))
        return False
    return after_publish.record_edited(variant_id, text, ref)
