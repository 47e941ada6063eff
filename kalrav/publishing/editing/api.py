"""Deleting and editing published variants over /api/v1/workspaces/{ws}/variants/{id}/…, the
same services as the post page's buttons. Both answer at once with the variant; the network is
called by a task, and the variant's state and `last_error` say how it went."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.publishing.api import VariantOut
from kalrav.publishing.editing import services
from kalrav.publishing.models import Variant
from kalrav.workspaces.permissions import Perm

router = Router(tags=["publishing"])


class EditPublishedIn(Schema):
    text: str


def _check(member, variant_id: int) -> None:
    get_object_or_404(Variant, pk=variant_id, post__workspace=member.workspace)


def _fresh(variant_id: int) -> Variant:
    # The task may already have run (immediately, in tests and with an idle worker).
    return Variant.objects.select_related("channel").get(pk=variant_id)


@router.post(
    "/{ws}/variants/{variant_id}/delete-published",
    response={202: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_PUBLISH)
def delete_published(request: ApiRequest, ws: str, variant_id: int):
    """Delete a published variant from its network; `state` becomes `deleting`, then `deleted`
    (or `published` again with `last_error` when the network refused)."""
    who = caller(request)
    member = request.member
    _check(member, variant_id)
    services.delete_published(member, who.actor, variant_id)
    return Status(202, _fresh(variant_id))


@router.post(
    "/{ws}/variants/{variant_id}/edit-published",
    response={202: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_PUBLISH)
def edit_published(request: ApiRequest, ws: str, variant_id: int, payload: EditPublishedIn):
    """Change a published variant's words on its network, where the network allows editing
    (400 where it does not: delete and post again there). `text` changes once the network
    accepted; a refusal leaves `last_error`."""
    who = caller(request)
    member = request.member
    _check(member, variant_id)
    services.edit_published(member, who.actor, variant_id, payload.text)
    return Status(202, _fresh(variant_id))
