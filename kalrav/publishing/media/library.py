"""The media library's changes: upload (the type read from the bytes), alternative text, deletion.
Each one transaction with its audit entry, like the rest of the publishing services."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav.publishing.media import inspection
from kalrav.publishing.models import MediaAsset, VariantMedia
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# Bidirectional overrides and isolates turn "gpj.exe" into what reads as "exe.jpg"; the joiners
# (U+200C, U+200D) stay, since Bengali, Hindi and Gujarati names need them.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_name(name: str) -> str:
    """The uploader's file name without NUL, control or bidi characters (PostgreSQL refuses NUL
    in text, and a control character has no business in a name shown on a page)."""
    kept = "".join(
        ch for ch in name if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS
    )
    return kept.strip()[:255]


@transaction.atomic
def upload_media(
    member: Member, actor: Actor, upload: UploadedFile, *, alt_text: str = ""
) -> MediaAsset:
    member.require(Perm.CONTENT_EDIT)
    handle = upload.file
    if handle is None:
        raise ValidationError({"file": _("The file is empty.")})
    found = inspection.inspect(handle)
    asset = MediaAsset(
        workspace=member.workspace,
        original_name=clean_name(upload.name or ""),
        kind=found.kind.value,
        mime_type=found.mime_type,
        size=found.size,
        width=found.width,
        height=found.height,
        duration=found.duration,
        alt_text=alt_text.strip(),
        uploaded_by=actor.user,
    )
    handle.seek(0)
    asset.file.save(asset.original_name or "upload", upload, save=False)
    asset.save()
    audit.record(
        member.workspace,
        actor,
        "media.upload",
        asset,
        {"name": [None, asset.original_name], "type": [None, asset.mime_type]},
    )
    return asset


@transaction.atomic
def update_media(member: Member, actor: Actor, asset_id: int, *, alt_text: str) -> MediaAsset:
    member.require(Perm.CONTENT_EDIT)
    asset = MediaAsset.objects.select_for_update().get(
        pk=asset_id, workspace_id=member.workspace_id
    )
    before = asset.alt_text
    asset.alt_text = alt_text.strip()
    asset.save(update_fields=["alt_text"])
    if before != asset.alt_text:
        audit.record(
            member.workspace, actor, "media.update", asset, {"alt_text": [before, asset.alt_text]}
        )
    return asset


@transaction.atomic
def delete_media(member: Member, actor: Actor, asset_id: int) -> None:
    member.require(Perm.CONTENT_EDIT)
    asset = MediaAsset.objects.select_for_update().get(
        pk=asset_id, workspace_id=member.workspace_id
    )
    if VariantMedia.objects.filter(asset=asset).exists():
        raise ValidationError(_("Posts use this file; take it off them first."))
    audit.record(
        member.workspace, actor, "media.delete", asset, {"name": [asset.original_name, None]}
    )
    stored = asset.file.name or ""
    asset.delete()
    storage = asset.file.storage
    transaction.on_commit(lambda: storage.delete(stored))
