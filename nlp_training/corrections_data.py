"""People's corrections as training rows, for `kalrav nlp train --corrections WORKSPACE`."""

from __future__ import annotations

from collections.abc import Sequence

from kalrav.nlp.textprep import for_features, script_counts, strip_noise

from .datasets import Row

# A correction weighs as much as three rows of the data sets: a person looked at this very
# post of this very audience, and corrections are few next to thousands of tweets.
CORRECTION_WEIGHT = 3.0


def correction_domain(text: str, language: str) -> str:
    """The model's name for a correction's language: "hi" written in Latin letters is "hi-Latn",
    as it is when classifying."""
    language = (language or "").split("-")[0].lower()
    if language == "hi":
        counts = script_counts(strip_noise(text))
        if counts and max(counts, key=counts.__getitem__) == "Latn":
            return "hi-Latn"
    return language or "und"


def correction_rows(
    slugs: Sequence[str], weight: float = CORRECTION_WEIGHT
) -> tuple[list[Row], list[dict]]:
    """The corrections kept in the named workspaces (by the inbox), and a summary for the
    model's metadata.

    Raises ValueError for an address no workspace has. Needs the database (Django set up).
    """
    # Imported on use: the rest of the training code runs without Django set up.
    from kalrav.inbox.corrections.training import corrections_by_workspace

    if weight <= 0:
        raise ValueError("the weight of corrections must be positive")
    rows: list[Row] = []
    summary: list[dict] = []
    for slug, found in corrections_by_workspace(slugs).items():
        rows += [Row(c.text, c.label, correction_domain(c.text, c.language), weight) for c in found]
        summary.append({"workspace": slug, "rows": len(found), "weight": weight})
    return rows, summary


def missing_workspaces(slugs: Sequence[str]) -> list[str]:
    """The addresses no workspace has (`kalrav nlp train` refuses them before it starts)."""
    from kalrav.inbox.corrections import training  # imported on use, as in correction_rows

    return training.missing_workspaces(slugs)


def without_corrected(rows: list[Row], corrections: list[Row]) -> list[Row]:
    """The data rows a correction does not overrule (same text once cleaned)."""
    corrected = {for_features(r.text) for r in corrections}
    return [r for r in rows if for_features(r.text) not in corrected] if corrected else rows
