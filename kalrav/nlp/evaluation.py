"""Labelled texts as JSON lines (`{"text", "label", "language"}`) and how well a model's answers
match them: what `kalrav nlp evaluate` reports, and what training (`nlp_training`, outside the
product) learns from and measures with. Accuracy and macro-F1 need no scikit-learn, so the
evaluation runs on a server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    domain: str
    weight: float = 1.0  # a person's correction counts more than a row of the data sets


def read_rows(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("label") not in LABELS:
                raise ValueError(
                    f"{path}:{number}: label {record.get('label')!r} is not one of {LABELS}"
                )
            rows.append(Row(record["text"], record["label"], record.get("language", "")))
    return rows


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)
