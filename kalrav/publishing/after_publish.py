"""What can happen to a variant once it is on the network: deleting it there, and changing its
words where the network allows editing (Mastodon, Telegram; not Bluesky).

A person's request is a service here (one transaction, audited); the network is called by a
Huey task (after_publish_tasks), which records the outcome through the `record_*` functions
below, each audited too. A refusal keeps the variant published and shows the network's words.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav.connectors import registry
from kalrav.connectors.base import Editor, PublishedRef
from kalrav.publishing import checks, states
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.services import _locked_variant, _move, _require, brand_of
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def can_edit(network: str) -> bool:
    """Whether the network lets a published post change, asked of its connector."""
    try:
        return issubclass(registry.get(network), Editor)
    except registry.UnknownNetwork:
        return False


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


# --- Requests (people) ---------------------------------------------------------------------------


@transaction.atomic
def delete_published(member: Member, actor: Actor, variant_id: int) -> Variant:
    """Ask for a published variant to be deleted from its network. Asking again while a delete
    is under way sends it again: every connector treats a post already gone as deleted."""
    _require(member, Perm.CONTENT_PUBLISH)
    variant = _locked_variant(member, variant_id)
    if variant.state not in (VariantState.PUBLISHED, VariantState.DELETING):
        raise ValidationError(
            _("Only a published variant can be deleted from the network; this one is “%(state)s”.")
            % {"state": variant.get_state_display()}
        )
    if not variant.remote_id:
        raise ValidationError(_("Kalrav does not know this post's address on the network."))
    before = variant.state
    if variant.state == VariantState.PUBLISHED:
        _move(variant, VariantState.DELETING)
    variant.last_error = ""
    variant.save(update_fields=["state", "last_error", "updated_at"])
    audit.record(
        member.workspace,
        actor,
        "variant.delete_requested",
        variant,
        {"state": [before, variant.state], "remote_url": [variant.remote_url, None]},
    )
    pk = variant.pk
    transaction.on_commit(lambda: _enqueue("delete_from_network", pk))
    return variant


@transaction.atomic
def edit_published(member: Member, actor: Actor, variant_id: int, text: str) -> Variant:
    """Ask for a published variant's words to change on its network. Refused, with the reason,
    where the network does not allow editing or would refuse the new words."""
    _require(member, Perm.CONTENT_PUBLISH)
    variant = _locked_variant(member, variant_id)
    if variant.state != VariantState.PUBLISHED:
        raise ValidationError(
            _("Only a published variant can be edited on the network; this one is “%(state)s”.")
            % {"state": variant.get_state_display()}
        )
    network = variant.channel.network
    if not can_edit(network):
        raise ValidationError(
            {
                "text": _(
                    "%(network)s does not allow editing a published post; delete it and post again."
                )
                % {"network": checks.rules_for(network)[1]}
            }
        )
    text = str(text)
    if text == variant.text:
        return variant
    report = checks.check_variant(
        text, network, variant.ordered_media(), brand_of(member.workspace_id)
    )
    if not report.valid:
        raise ValidationError({"text": [problem.message for problem in report.problems]})
    variant.last_error = ""
    variant.save(update_fields=["last_error", "updated_at"])
    audit.record(
        member.workspace,
        actor,
        "variant.edit_requested",
        variant,
        {"text": [variant.text, text]},
    )
    pk = variant.pk
    transaction.on_commit(lambda: _enqueue("edit_on_network", pk, text))
    return variant


def _enqueue(task: str, *args: Any) -> None:
    from kalrav.publishing import after_publish_tasks

    getattr(after_publish_tasks, task)(*args)


# --- Outcomes (the task) -------------------------------------------------------------------------


@transaction.atomic
def record_deleted(variant_id: int) -> bool:
    variant = (
        Variant.objects.select_for_update().select_related("post__workspace").get(pk=variant_id)
    )
    if variant.state != VariantState.DELETING:
        return False
    _move(variant, VariantState.DELETED)
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
    _move(variant, VariantState.PUBLISHED)
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


def actions_for(variant: Variant) -> dict[str, bool]:
    """What the post page offers for a variant after publishing."""
    published = variant.state == VariantState.PUBLISHED
    return {
        "delete": variant.state in (VariantState.PUBLISHED, VariantState.DELETING),
        "edit": published and can_edit(variant.channel.network),
        "no_edit": published and not can_edit(variant.channel.network),
        "deleted": variant.state == VariantState.DELETED,
        "final": variant.state not in states.EDITABLE,
    }
