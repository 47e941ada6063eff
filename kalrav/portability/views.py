"""The full export as a download, for the workspace's owners."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_POST

from kalrav.portability.export import export_workspace
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor, record
from kalrav.workspaces.permissions import Perm


@require_POST
@workspace_view(Perm.WORKSPACE_EXPORT)
def download(request: WorkspaceRequest) -> HttpResponseBase:
    workspace = request.workspace
    # A temporary file rather than memory: media can be large; it is gone once closed.
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    manifest = export_workspace(workspace, out)
    record(workspace, Actor(user=request.user), "workspace.exported", workspace,
           {"rows": sum(manifest["counts"].values())})  # type: ignore[attr-defined]  # fmt: skip
    out.seek(0)
    name = f"kalrav-{workspace.slug}-{timezone.now():%Y%m%d-%H%M}.zip"
    return FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")
