"""What people ask of a variant once it is on the network: deleting it there, and changing its
words where the network allows editing (Mastodon, Telegram; not Bluesky).

A request is a service here (one transaction, audited); the network is called by a Huey task in
remote.py, which records the outcome, audited too. A refusal keeps the variant published and
shows the network's words.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import Editor
from kalrav.publishing import states
from kalrav.publishing.composer import variant_check
from kalrav.publishing.editing import remote
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.posts import locked_variant
from kalrav.publishing.workspace_settings import brand_of
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def can_edit(network: str) -> bool:
    """Whether the network lets a published post change, asked of its connector."""
    try:
        return catalogue.network(network).can(Editor)
    except registry.UnknownNetwork:
        return False


@transaction.atomic
def delete_published(member: Member, actor: Actor, variant_id: int) -> Variant:
    """Ask for a published variant to be deleted from its network. Asking again while a delete
    is under way sends it again: every connector treats a post already gone as deleted."""
    member.require(Perm.CONTENT_PUBLISH)
    variant = locked_variant(member, variant_id)
    if variant.state not in (VariantState.PUBLISHED, VariantState.DELETING):
        raise ValidationError(
            _("Only a published variant can be deleted from the network; this one is “%(state)s”.")
            % {"state": variant.get_state_display()}
        )
    if not variant.remote_id:
        raise ValidationError(_("Kalrav does not know this post's address on the network."))
    before = variant.state
    if variant.state == VariantState.PUBLISHED:
        states.change(variant, VariantState.DELETING)
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
    transaction.on_commit(lambda: remote.delete_from_network(pk))
    return variant


@transaction.atomic
def edit_published(member: Member, actor: Actor, variant_id: int, text: str) -> Variant:
    """Ask for a published variant's words to change on its network. Refused, with the reason,
    where the network does not allow editing or would refuse the new words."""
    member.require(Perm.CONTENT_PUBLISH)
    variant = locked_variant(member, variant_id)
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
                % {"network": variant_check.rules_for(network)[1]}
            }
        )
    text = str(text)
    if text == variant.text:
        return variant
    report = variant_check.check_variant(
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
    transaction.on_commit(lambda: remote.edit_on_network(pk, text))
    return variant


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
