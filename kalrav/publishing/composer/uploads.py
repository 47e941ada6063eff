"""Files chosen in the composer go to the media library through the library's own upload (the type
read from the bytes), then onto the post like any file picked from the library, so each network's
media rules are checked by the live check and on scheduling exactly as for library files."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from kalrav.publishing.media import library
from kalrav.publishing.models import MediaAsset
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member

FIELD = "upload"
MAX_FILES = 10


def store(
    member: Member, actor: Actor, files: Iterable[UploadedFile]
) -> tuple[list[MediaAsset], list[str]]:
    """Each file stored on its own (one refused file does not lose the others); the stored assets,
    and a message for each file refused, naming it."""
    files = list(files)
    if len(files) > MAX_FILES:
        return [], [_("Upload at most %(n)d files at once.") % {"n": MAX_FILES}]
    stored: list[MediaAsset] = []
    problems: list[str] = []
    for upload in files:
        try:
            stored.append(library.upload_media(member, actor, upload))
        except ValidationError as error:
            reasons = (
                error.message_dict.get("file", error.messages)
                if hasattr(error, "error_dict")
                else error.messages
            )
            problems.append(
                _("%(name)s: %(problem)s")
                % {"name": library.clean_name(upload.name or ""), "problem": " ".join(reasons)}
            )
    return stored, problems
