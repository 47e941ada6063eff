"""The labelled sentiment sets, their licences, and reproducible train/test splits."""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kalrav.nlp.evaluation import LABELS, Row, read_rows
from kalrav.nlp.textprep import for_features

SPLIT_SEED = 20250601
TEST_FRACTION = 0.2
# The part of each training split kept for choices (head inputs, C, shares) and for stopping
# the encoder's tuning; decided row by row so every tier and every step agrees on it.
VALIDATION_FRACTION = 0.2

# Which training sets each choice of `--data-licence` admits, from the strictest.
#   permissive: licences with no conditions on the model beyond attribution (Apache-2.0, MIT)
#   commercial: also share-alike (CC BY-SA 4.0), which allows commercial use
#   all:        also non-commercial and unstated licences (research and non-profit workspaces)
LICENCE_TIERS = ("permissive", "commercial", "all")


@dataclass(frozen=True)
class Source:
    name: str  # file stem in the data directory
    domain: str  # language, with script when it is not the usual one ("hi-Latn")
    licence: str
    tier: str  # the strictest tier that admits it


_XLMT = "Apache-2.0 (cardiffnlp/xlm-t repository); tweet texts under X/Twitter's terms"
SOURCES = (
    *(
        Source(f"{lang}-xlmt", lang, _XLMT, "permissive")
        for lang in ("ar", "de", "en", "es", "fr", "it", "pt")
    ),
    Source("hi-Latn-xlmt", "hi-Latn", _XLMT, "permissive"),
    Source("gu-gsa", "gu", "MIT (Dhrumi45/GSA)", "permissive"),
    Source("el-sentimp21", "el", "CC BY-SA 4.0 (ari-dasci/OD-SentiMP-21)", "commercial"),
    Source("en-sentimp21", "en", "CC BY-SA 4.0 (ari-dasci/OD-SentiMP-21)", "commercial"),
    Source("es-sentimp21", "es", "CC BY-SA 4.0 (ari-dasci/OD-SentiMP-21)", "commercial"),
    Source("bn-blp23", "bn", "CC BY-NC-SA 4.0 (blp-workshop/blp_task2): non-commercial", "all"),
    Source(
        "hi-tweets",
        "hi",
        "none stated (yashkataruka/NLP-Project, from sid573's Hindi tweets)",
        "all",
    ),
)


def sources_for(tier: str) -> list[Source]:
    allowed = LICENCE_TIERS[: LICENCE_TIERS.index(tier) + 1]
    return [s for s in SOURCES if s.tier in allowed]


def deduplicate(rows: list[Row]) -> tuple[list[Row], int]:
    """Keep one row per distinct text; drop texts whose copies disagree on the label.

    Duplicates across a split would put test rows in the training set (the Devanagari Hindi
    set holds over a thousand); keying on the cleaned text also catches copies that differ
    only in a link or a mention.
    """
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[for_features(row.text)].append(row)
    kept = [copies[0] for copies in groups.values() if len({r.label for r in copies}) == 1]
    return kept, len(rows) - len(kept)


def in_validation(row: Row) -> bool:
    """Whether a training row belongs to the validation part (the same on every machine).

    Keyed on the text as cleaned for deduplication, so a row is in or out whatever list it sits
    in: the tuned encoder never sees the rows the heads' choices are scored on.
    """
    key = f"{SPLIT_SEED}\0{for_features(row.text)}".encode()
    return zlib.crc32(key) % 1000 < VALIDATION_FRACTION * 1000


def split(rows: list[Row], seed: int = SPLIT_SEED) -> tuple[list[Row], list[Row]]:
    """Stratified by label, the same on every machine for the same rows."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in LABELS:
        members = sorted((r for r in rows if r.label == label), key=lambda r: r.text)
        order = rng.permutation(len(members))
        cut = round(len(members) * TEST_FRACTION)
        test += [members[i] for i in order[:cut]]
        train += [members[i] for i in order[cut:]]
    return train, test


@dataclass
class PreparedSource:
    source: Source
    train: list[Row]
    test: list[Row]
    duplicates_removed: int


def prepare(data_dir: Path, sources: list[Source]) -> list[PreparedSource]:
    prepared = []
    for source in sources:
        rows = [
            Row(r.text, r.label, source.domain)
            for r in read_rows(data_dir / f"{source.name}.jsonl")
        ]
        rows, removed = deduplicate(rows)
        train, test = split(rows)
        prepared.append(PreparedSource(source, train, test, removed))
    return prepared
