"""Which models a workspace owns: every model with a chain of foreign keys that leads to
Workspace (Variant -> Post -> Workspace), found by walking the installed apps' models, so a new
app's models are exported without anyone remembering to add them. Those left out are named in
SKIPPED with the reason; a test fails when a model is in neither.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from django.apps import apps
from django.conf import settings
from django.db import models

from kalrav.workspaces.models import Workspace

# Left out on purpose; each with what a user does instead.
SKIPPED: dict[str, str] = {
    "api.ApiToken": "tokens only work on the installation that issued them; make new ones",
    "workspaces.Invitation": "pending invitations hold a sealed link for this installation; "
    "invite again",
    "analytics.ConversionKey": "a secret: make a new conversion key and give it to the brand's "
    "server",
    "analytics.MetricsSchedule": "this installation's reading timetable; the collector makes a "
    "new one for posts still young",
    "publishing.Notification": "one person's alerts on this installation",
    "inbox.InboxNotification": "one person's alerts on this installation",
}

# Field values never written to an export: secrets encrypted with this installation's key.
# Channels come back needing reconnection; webhook endpoints with a new secret, disabled.
SCRUBBED: dict[str, dict[str, object]] = {
    "channels.Channel": {"credentials": ""},
    "hooks.Endpoint": {"secret": "", "secret_hint": ""},
}


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def workspace_path(model: type[models.Model]) -> list[str] | None:
    """The shortest chain of foreign-key names from `model` to Workspace, or None."""
    seen = {model}
    queue: list[tuple[type[models.Model], list[str]]] = [(model, [])]
    while queue:
        current, path = queue.pop(0)
        for field in current._meta.concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            target = field.related_model
            if target is Workspace:
                return [*path, field.name]
            if target in seen or target is _user_model() or isinstance(target, str):
                continue
            seen.add(target)
            queue.append((target, [*path, field.name]))
    return None


def owned_models() -> dict[str, list[str]]:
    """label -> path to the workspace, for every model the workspace owns (Workspace aside)."""
    found = {}
    for model in apps.get_models():
        if model is Workspace or model._meta.proxy:
            continue
        path = workspace_path(model)
        if path is not None:
            found[model._meta.label] = path
    return found


def exported_models() -> list[type[models.Model]]:
    """The models to export, each after the models it points to (so an import can create them
    in this order); a foreign key to a model later in the order (a cycle) is set afterwards."""
    labels = [label for label in owned_models() if label not in SKIPPED]
    graph: dict[str, set[str]] = {label: set() for label in labels}
    for label in labels:
        for field in apps.get_model(label)._meta.concrete_fields:
            target = field.related_model
            if (
                field.is_relation
                and target is not None
                and not isinstance(target, str)
                and target._meta.label in graph
                and target._meta.label != label
            ):
                graph[label].add(target._meta.label)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except Exception:  # a cycle: fall back to a stable order; import sets those keys later
        order = sorted(labels)
    return [apps.get_model(label) for label in order]
