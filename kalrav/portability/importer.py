"""Reading a workspace export into this installation, whole or not at all.

Rows get new primary keys here; every foreign key is mapped through the keys given so far
(a key to a row created later, a cycle, is set once that row exists). People come back as
members by e-mail: an existing user with that address is reused, otherwise a user is made with
an unusable password (they set one through "forgot password"). Everything is written in one
transaction; media files are written during it and removed again if it fails, so a failed
import leaves nothing behind.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext as _

from kalrav.channels.models import ChannelState
from kalrav.crypto import encrypt
from kalrav.hooks.signing import new_secret
from kalrav.portability import discovery
from kalrav.portability.export import FORMAT, VERSION, auto_m2m_fields
from kalrav.workspaces.models import Workspace


class ImportRefused(Exception):
    """The file is not a Kalrav workspace export this installation can read; nothing changed."""


def _read(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(archive.read(name))
    except KeyError:
        raise ImportRefused(
            _("The file has no %(name)s: it is not a Kalrav export.") % {"name": name}
        ) from None
    except ValueError:
        raise ImportRefused(_("%(name)s in the file is damaged.") % {"name": name}) from None


def _open(source: IO[bytes] | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(_("The file is not a zip archive.")) from None


class _Importer:
    def __init__(self, archive: zipfile.ZipFile, slug: str | None) -> None:
        self.archive = archive
        self.slug = slug
        self.keys: dict[str, dict[int, int]] = {}
        self.written: list[str] = []
        self.deferred: list[tuple[models.Model, str, str, int]] = []

    def check(self) -> dict:
        manifest = _read(self.archive, "manifest.json")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ImportRefused(_("The file is not a Kalrav workspace export."))
        if manifest.get("version") != VERSION:
            raise ImportRefused(
                _(
                    "The export's format version %(found)s cannot be read here (this Kalrav reads %(known)s)."
                )
                % {"found": manifest.get("version"), "known": VERSION}
            )
        return manifest

    def users(self) -> None:
        user_model = discovery._user_model()
        known = {f.name for f in user_model._meta.concrete_fields}
        mapped = self.keys.setdefault(user_model._meta.label, {})
        for entry in _read(self.archive, "users.json"):
            email = str(entry["email"]).strip().lower()
            user = user_model._default_manager.filter(email__iexact=email).first()
            if user is None:
                extra = {
                    k: entry[k]
                    for k in ("first_name", "last_name", "language")
                    if k in known and entry.get(k)
                }
                user = user_model._default_manager.create_user(email, None, **extra)  # type: ignore[attr-defined]
                user.set_unusable_password()
                user.save(update_fields=["password"])
            mapped[int(entry["id"])] = user.pk

    def _fields(self, model: type[models.Model], row: dict) -> dict[str, object]:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(row) - set(by_attname) - {f.name for f in model._meta.many_to_many}
        if unknown:
            raise ImportRefused(
                _(
                    "The export has fields this Kalrav does not know (%(model)s: %(fields)s): update Kalrav first."
                )
                % {"model": model._meta.label, "fields": ", ".join(sorted(unknown))}
            )
        values: dict[str, object] = {}
        for attname, value in row.items():
            field = by_attname.get(attname)
            if field is None or field.primary_key:
                continue
            if isinstance(field, models.FileField):
                values[attname] = self.media(str(value)) if value else ""
            elif field.is_relation:
                values[attname] = None if value is None else self._key(field, int(value))
            else:
                values[attname] = field.to_python(value)
                if (
                    field.unique
                    and callable(field.default)
                    and model._default_manager.filter(**{attname: values[attname]}).exists()
                ):
                    values[attname] = field.default()  # a copy in the same installation
        return values

    def _key(self, field: models.Field, old: int) -> int | None:
        label = field.related_model._meta.label  # type: ignore[union-attr]
        if label not in self.keys:
            raise ImportRefused(
                _("The export points to %(model)s, which it does not contain.") % {"model": label}
            )
        return self.keys[label].get(old, -old)  # negative: not created yet, set later

    def media(self, name: str) -> str:
        try:
            content = self.archive.read(f"media/{name}")
        except KeyError:
            return ""  # missing at export time (listed in the manifest's missing_media)
        saved = default_storage.save(name, ContentFile(content))
        self.written.append(saved)
        return saved

    def workspace(self) -> Workspace:
        rows = _read(self.archive, "data/workspaces.Workspace.json")
        row = dict(rows[0])  # type: ignore[index]
        old = int(row["id"])
        if self.slug:
            row["slug"] = self.slug
        if Workspace.objects.filter(slug=row["slug"]).exists():
            raise ImportRefused(
                _("A workspace with the address %(slug)s exists here: choose another with --slug.")
                % {"slug": row["slug"]}
            )
        made = Workspace.objects.create(**self._fields(Workspace, row))
        self.keys["workspaces.Workspace"] = {old: made.pk}
        return made

    def table(self, model: type[models.Model]) -> int:
        label = model._meta.label
        name = f"data/{label}.json"
        if name not in self.archive.namelist():
            return 0  # a model added to Kalrav after the export was made
        mapped = self.keys.setdefault(label, {})
        m2m = {f.name: f for f in model._meta.many_to_many}
        rows = _read(self.archive, name)
        for row in rows:
            values = self._fields(model, row)
            later = {k: v for k, v in values.items() if isinstance(v, int) and v < 0
                     and k in {f.attname for f in model._meta.concrete_fields if f.is_relation}}  # fmt: skip
            for attname in later:
                values[attname] = None
            self.fix(label, values)
            obj = model._default_manager.create(**values)
            mapped[int(row["id"])] = obj.pk
            for attname, negative in later.items():
                self.deferred.append((obj, attname, "", -int(negative)))  # type: ignore[arg-type]
            for fname, field in m2m.items():
                if fname in row and field in auto_m2m_fields(model):
                    target = field.related_model._meta.label  # type: ignore[union-attr]
                    getattr(obj, fname).set(
                        [self.keys.get(target, {}).get(int(i)) for i in row[fname]
                         if self.keys.get(target, {}).get(int(i))]
                    )  # fmt: skip
        return len(rows)  # type: ignore[arg-type]

    def fix(self, label: str, values: dict[str, object]) -> None:
        """Secrets were not exported: channels must be reconnected; webhook endpoints get a new
        secret and stay disabled until someone gives it to the receiver."""
        if label == "channels.Channel":
            values["state"] = ChannelState.NEEDS_RECONNECT
        elif label == "hooks.Endpoint":
            secret = new_secret()
            values.update(secret=encrypt(secret), secret_hint=secret[-4:], enabled=False)

    def finish_deferred(self) -> None:
        for obj, attname, _unused, old in self.deferred:
            field = type(obj)._meta.get_field(attname.removesuffix("_id"))
            label = field.related_model._meta.label  # type: ignore[union-attr]
            setattr(obj, attname, self.keys[label][old])
            obj.save(update_fields=[field.name])


def import_workspace(source: IO[bytes] | Path, slug: str | None = None) -> Workspace:
    archive = _open(source)
    importer = _Importer(archive, slug)
    importer.check()
    models_in_order = discovery.exported_models()
    importer.keys.update({m._meta.label: {} for m in models_in_order})
    try:
        with transaction.atomic():
            importer.users()
            workspace = importer.workspace()
            for model in models_in_order:
                importer.table(model)
            importer.finish_deferred()
    except BaseException:
        for name in importer.written:
            default_storage.delete(name)
        raise
    return workspace
