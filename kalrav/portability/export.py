"""Writing everything a workspace owns into one zip: a JSON file per model (rows with their
primary keys as they are here; the import maps them), the users it mentions by e-mail, its
media files, and a manifest with the format version and the counts.

Secrets are not exported (see discovery.SCRUBBED and SKIPPED): channel credentials and webhook
secrets are encrypted with this installation's key and would be useless, or dangerous, elsewhere.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from kalrav.portability import discovery
from kalrav.workspaces.models import Workspace

FORMAT = "kalrav-workspace-export"
VERSION = 1


def _queryset(model: type[models.Model], workspace: Workspace) -> models.QuerySet:
    path = discovery.workspace_path(model)
    assert path is not None
    return model._default_manager.filter(**{"__".join(path): workspace}).order_by("pk")


def auto_m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    """Many-to-many fields with Django's own link table (one with a model of its own, such as
    VariantMedia, is exported as that model)."""
    return [
        f
        for f in model._meta.many_to_many
        if isinstance(f, models.ManyToManyField)
        and getattr(getattr(f.remote_field.through, "_meta", None), "auto_created", False)
    ]


def _row(obj: models.Model, files: set[str], user_ids: set[int]) -> dict[str, object]:
    model = type(obj)
    scrub = discovery.SCRUBBED.get(model._meta.label, {})
    user_model = discovery._user_model()
    row: dict[str, object] = {}
    for field in model._meta.concrete_fields:
        if field.name in scrub:
            row[field.attname] = scrub[field.name]
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
            if value:
                files.add(value)
        elif field.is_relation and field.related_model is user_model and value is not None:
            user_ids.add(value)
        row[field.attname] = value
    for field in auto_m2m_fields(model):
        ids = list(getattr(obj, field.name).values_list("pk", flat=True))
        if field.related_model is user_model:
            user_ids.update(ids)
        row[field.name] = ids
    return row


def export_workspace(workspace: Workspace, out: IO[bytes] | Path) -> dict[str, object]:
    """Write the zip; returns its manifest."""
    files: set[str] = set()
    user_ids: set[int] = set()
    tables: dict[str, list[dict[str, object]]] = {
        "workspaces.Workspace": [_row(workspace, files, user_ids)]
    }
    for model in discovery.exported_models():
        tables[model._meta.label] = [
            _row(obj, files, user_ids) for obj in _queryset(model, workspace).iterator()
        ]
    user_model = discovery._user_model()
    wanted = [f for f in ("email", "first_name", "last_name", "language")
              if f in {field.name for field in user_model._meta.concrete_fields}]  # fmt: skip
    users = list(
        user_model._default_manager.filter(pk__in=user_ids).order_by("pk").values("id", *wanted)
    )
    present = sorted(name for name in files if default_storage.exists(name))
    manifest: dict[str, object] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": workspace.slug,
        "counts": {label: len(rows) for label, rows in tables.items()},
        "users": len(users),
        "media": present,
        "missing_media": sorted(files - set(present)),
        "skipped": discovery.SKIPPED,
        "not_exported": "channel credentials and webhook secrets (encrypted with this "
        "installation's key): reconnect the channels and replace the secrets after importing",
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        archive.writestr("users.json", json.dumps(users, cls=DjangoJSONEncoder))
        for label, rows in tables.items():
            archive.writestr(f"data/{label}.json", json.dumps(rows, cls=DjangoJSONEncoder))
        for name in present:
            with default_storage.open(name, "rb") as source:
                archive.writestr(f"media/{name}", source.read())
    return manifest
