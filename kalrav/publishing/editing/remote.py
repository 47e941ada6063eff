"""The network's side of what people ask after publishing: Huey tasks that delete or edit a
published variant through its connector, and the records of how that ended (each audited).
A refusal keeps the variant published, with the network's words as its last error."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.channels import services as channel_services
from kalrav.connectors.base import Editor, OutgoingPost, PublishedRef, Publisher, opened
from kalrav.connectors.errors import AuthExpired, ConnectorError, Rejected
from kalrav.publishing import states
from kalrav.publishing.composer import variant_options
from kalrav.publishing.models import Variant, VariantState
from kalrav.workspaces import audit

logger = logging.getLogger(__name__)


def ref_of(variant: Variant) -> PublishedRef:
    return PublishedRef(
        remote_id=variant.remote_id,
        url=variant.remote_url,
        published_at=variant.published_at,
        extra={str(k): str(v) for k, v in (variant.remote_extra or {}).items()},
    )


def edit_key(variant: Variant, text: str) -> str:
    """The same change asked twice carries the same key; a different change another."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{variant.idempotency_key}:edit:{digest}"


def _words(error: Exception) -> str:
    return str(error) or type(error).__name__


@db_task(priority=5)
def delete_from_network(variant_id: int) -> str:
    variant = Variant.objects.select_related("channel").get(pk=variant_id)
    if variant.state != VariantState.DELETING:
        return variant.state
    try:
        with opened(channel_services.connector_for(variant.channel)) as connector:
            if not isinstance(connector, Publisher):
                raise Rejected(_("Kalrav cannot delete posts on this network."))
            connector.delete(ref_of(variant), idempotency_key=f"{variant.idempotency_key}:delete")
    except ConnectorError as error:
        if isinstance(error, AuthExpired):
            channel_services.record_failure(variant.channel_id, error)
        record_delete_failed(variant_id, _words(error))
        return VariantState.PUBLISHED
    except Exception as error:
        logger.exception("Deleting variant %s from %s failed", variant_id, variant.channel.network)
        record_delete_failed(variant_id, _words(error))
        return VariantState.PUBLISHED
    record_deleted(variant_id)
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
        with opened(channel_services.connector_for(variant.channel)) as connector:
            if not isinstance(connector, Editor):
                raise Rejected(_("This network does not let a published post be edited."))
            ref = connector.edit(ref_of(variant), post, idempotency_key=edit_key(variant, text))
    except ConnectorError as error:
        if isinstance(error, AuthExpired):
            channel_services.record_failure(variant.channel_id, error)
        record_edit_failed(variant_id, _words(error))
        return False
    except Exception as error:
        logger.exception("Editing variant %s on %s failed", variant_id, variant.channel.network)
        record_edit_failed(variant_id, _words(error))
        return False
    return record_edited(variant_id, text, ref)


# --- Outcomes --------------------------------------------------------------------------------------


@transaction.atomic
def record_deleted(variant_id: int) -> bool:
    variant = (
        Variant.objects.select_for_update().select_related("post__workspace").get(pk=variant_id)
    )
    if variant.state != VariantState.DELETING:
        return False
    states.change(variant, VariantState.DELETED)
    variant.last_error = ""
    variant.save(update_fields=["state", "last_error", "updated_at"])
    audit.record(
        variant.post.workspace,
        audit.SYSTEM,
        "variant.deleted",
        variant,
        {"state": [VariantState.DELETING, VariantState.DELETED]},
    )
    return True


@transaction.atomic
def record_delete_failed(variant_id: int, error_text: str) -> bool:
    """The network refused or could not be reached: the post is still there, and the variant
    says so with the network's words."""
    variant = (
        Variant.objects.select_for_update().select_related("post__workspace").get(pk=variant_id)
    )
    if variant.state != VariantState.DELETING:
        return False
    states.change(variant, VariantState.PUBLISHED)
    variant.last_error = error_text
    variant.save(update_fields=["state", "last_error", "updated_at"])
    audit.record(
        variant.post.workspace,
        audit.SYSTEM,
        "variant.delete_failed",
        variant,
        {"error": [None, error_text[:500]]},
    )
    return True


@transaction.atomic
def record_edited(variant_id: int, text: str, ref: PublishedRef) -> bool:
    variant = (
        Variant.objects.select_for_update().select_related("post__workspace").get(pk=variant_id)
    )
    if variant.state != VariantState.PUBLISHED:
        return False
    before = variant.text
    variant.text = text
    variant.last_error = ""
    if ref.url:
        variant.remote_url = ref.url
    if ref.extra:
        variant.remote_extra = {**(variant.remote_extra or {}), **dict(ref.extra)}
    variant.save(update_fields=["text", "last_error", "remote_url", "remote_extra", "updated_at"])
    audit.record(
        variant.post.workspace,
        audit.SYSTEM,
        "variant.edited_published",
        variant,
        {"text": [before, text]},
    )
    return True


@transaction.atomic
def record_edit_failed(variant_id: int, error_text: str) -> bool:
    variant = (
        Variant.objects.select_for_update().select_related("post__workspace").get(pk=variant_id)
    )
    if variant.state != VariantState.PUBLISHED:
        return False
    variant.last_error = error_text
    variant.save(update_fields=["last_error", "updated_at"])
    audit.record(
        variant.post.workspace,
        audit.SYSTEM,
        "variant.edit_failed",
        variant,
        {"error": [None, error_text[:500]]},
    )
    return True
