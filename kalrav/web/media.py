"""Uploaded files, served only to members of the workspace that owns them.

Random file names are not access control: a link pasted into a chat would otherwise open for any
signed-in person of any workspace. Each stored path says whose it is: `<area>/<workspace id>/...`
for everything uploaded into a workspace, and `logos/` for workspace logos (looked up by name).
A proxy in front may serve MEDIA_ROOT itself only if it repeats this check.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.static import serve

from kalrav.workspaces.models import Member, Workspace

_WORKSPACE_PATH = re.compile(r"^[a-z_]+/(?P<workspace>\d+)/")


def owner_of(path: str) -> int | None:
    """The id of the workspace a stored path belongs to, or None when it belongs to none."""
    match = _WORKSPACE_PATH.match(path)
    if match:
        return int(match["workspace"])
    if path.startswith("logos/"):
        return Workspace.objects.filter(logo=path).values_list("pk", flat=True).first()
    return None


@login_required
def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    workspace_id = owner_of(path)
    user_id = request.user.pk
    if (
        workspace_id is None
        or user_id is None
        or not Member.objects.filter(workspace_id=workspace_id, user_id=user_id).exists()
    ):
        # The same answer for "not yours" and "not there": no probing for other workspaces' files.
        raise Http404
    response = serve(request, path, str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
