"""The corrections kept in named workspaces, read by `kalrav nlp train --corrections WORKSPACE`
(the training code outside the product, `nlp_training`, turns them into weighted rows)."""

from __future__ import annotations

from collections.abc import Sequence

from kalrav.inbox.corrections.models import SentimentCorrection
from kalrav.workspaces.models import Workspace


def missing_workspaces(slugs: Sequence[str]) -> list[str]:
    """The addresses no workspace has, so that a training run is refused before it starts."""
    return [slug for slug in slugs if not Workspace.objects.filter(slug=slug).exists()]


def corrections_by_workspace(slugs: Sequence[str]) -> dict[str, list[SentimentCorrection]]:
    """Each named workspace's corrections, oldest first (a repeated address counts once).
    Raises ValueError for an address no workspace has."""
    found: dict[str, list[SentimentCorrection]] = {}
    for slug in dict.fromkeys(slugs):
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise ValueError(f"no workspace has the address {slug!r}")
        found[slug] = list(SentimentCorrection.objects.filter(workspace=workspace).order_by("pk"))
    return found
