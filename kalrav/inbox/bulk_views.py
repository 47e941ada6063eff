"""The inbox list's bulk actions: the selected rows, one action, back to the same list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kalrav.inbox import bulk
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# The form's buttons: each names an action and the field that holds its value, or a fixed value.
BUTTONS = {
    "assign": ("assign", "assignee"),
    "state": ("state", "state"),
    "tag": ("tag", "tag"),
    "priority": ("priority", "priority"),
}
QUICK = {"resolve": ("state", "resolved"), "spam": ("state", "spam")}


def _back(request: HttpRequest, member: Member) -> HttpResponse:
    target = request.POST.get("next", "")
    list_url = reverse("inbox:list", kwargs={"ws": member.workspace.slug})
    if not (
        target.startswith(list_url)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        target = list_url
    return redirect(target)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def bulk_action(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    button = request.POST.get("action", "")
    if button == "mine":
        action, value = "assign", str(member.user_id)
    elif button in QUICK:
        action, value = QUICK[button]
    elif button in BUTTONS:
        action, field = BUTTONS[button]
        value = request.POST.get(field, "")
    else:
        action, value = button, ""
    try:
        changed = bulk.bulk_update(
            member, Actor(user=request.user), request.POST.getlist("ids"), action, value
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, bulk.done_message(action, value, len(changed)))
    return _back(request, member)
