"""Fitting the stream sentiment model (kalrav.nlp.stream.sentiment) for both licence tiers.

    .venv/bin/python -m nlp_training.stream_sentiment_training [--data-dir DIR]

Trains on the training splits only (datasets.split: the test rows are never seen), with the
features the C featurizer computes, prints the held-out macro-F1 of every set beside the fast
model's figures, and writes weights/stream-sentiment-<tier>.{npz,json}.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kalrav.nlp.evaluation import LABELS, Row, macro_f1
from kalrav.nlp.stream.sentiment import (
    CLASSES,
    FORMAT,
    WEIGHTS_DIR,
    FeatureSpec,
    LexiconTable,
    StreamSentimentModel,
    extract,
)

from .datasets import SOURCES, SPLIT_SEED, PreparedSource, prepare, sources_for
from .sentiment_training import fingerprint
from .vader_lexicon import vader_entries

VERSION = "2026.12.1"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"


@dataclass(frozen=True)
class StreamConfig:
    # Chosen on the validation part of the training rows (datasets.in_validation; tier "all",
    # mean macro-F1 over the sets): bigrams +1.2 points, affixes of 3 +1.4 (4: +0.3, and
    # 2**17 or 2**19 buckets were no better), the lexicon +1.5 (English tweets +5); C of 16
    # was no better than 8. Character n-grams, as the fast model has, would cost ~20 times
    # the CPU time of the whole model.
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    c: float = 8.0
    lexicon: bool = True
    # The int8 scale: the largest weight after clipping this share of the largest away.
    clip_quantile: float = 0.99999


def to_matrix(features, n_buckets: int):
    from scipy import sparse

    count = len(features.offsets) - 1
    hashed = sparse.csr_matrix(
        (features.values, features.columns.astype(np.int64), features.offsets),
        shape=(count, n_buckets),
    )
    hashed.sum_duplicates()
    return sparse.hstack([hashed, sparse.csr_matrix(features.dense)], format="csr")


def quantize(weights: np.ndarray, quantile: float) -> tuple[np.ndarray, float]:
    """int8 weights and the scale that turns them back into floats."""
    largest = float(np.quantile(np.abs(weights), quantile)) if weights.size else 0.0
    scale = largest / 127.0 if largest > 0 else 1.0
    return np.clip(np.rint(weights / scale), -127, 127).astype(np.int8), scale


def fit(
    rows: list[Row], config: StreamConfig, lexicon: LexiconTable, metadata: dict
) -> StreamSentimentModel:
    from sklearn.linear_model import LogisticRegression

    spec = config.spec
    features = extract([r.text for r in rows], [r.domain for r in rows], spec, lexicon)
    n_buckets = 1 << spec.bits
    classifier = LogisticRegression(C=config.c, class_weight="balanced", max_iter=2000)
    classifier.fit(to_matrix(features, n_buckets), np.array([r.label for r in rows]))
    assert tuple(str(c) for c in classifier.classes_) == CLASSES
    coef = classifier.coef_.T  # (features, classes)
    # Relative to "negative": the softmax is the same, and the table needs two columns.
    relative = coef[:, 1:] - coef[:, :1]
    bias = classifier.intercept_[1:] - classifier.intercept_[0]
    table, scale = quantize(relative[:n_buckets], config.clip_quantile)
    dense = relative[n_buckets:]  # (N_DENSE, 2)
    params = np.concatenate(([scale], bias, dense[:, 0], dense[:, 1]))
    meta = {
        **metadata,
        "format": FORMAT,
        "features": asdict(spec),
        "classes": list(CLASSES),
        "c": config.c,
        "clip_quantile": config.clip_quantile,
        "split_seed": SPLIT_SEED,
    }
    return StreamSentimentModel(spec, table, params, lexicon, meta)


def evaluate(model: StreamSentimentModel, rows: list[Row]) -> float:
    domains = sorted({r.domain for r in rows})
    codes = np.array([domains.index(r.domain) for r in rows])
    classes, _ = model.predict([r.text for r in rows], codes, domains)
    predicted = [CLASSES[k] for k in classes]
    return macro_f1([r.label for r in rows], predicted, LABELS)


def held_out_figures(
    model: StreamSentimentModel, prepared: list[PreparedSource], held_back: list[PreparedSource]
) -> dict[str, dict]:
    return {
        item.source.name: {
            "macro_f1": round(evaluate(model, item.test), 4),
            "rows": len(item.test),
            "trained_on": item in prepared,
        }
        for item in [*prepared, *held_back]
        if item.test
    }


def build_lexicon(config: StreamConfig) -> LexiconTable:
    return LexiconTable.from_entries(vader_entries()) if config.lexicon else LexiconTable.empty()


def train_tier(
    tier: str, data_dir: Path, config: StreamConfig, lexicon: LexiconTable
) -> StreamSentimentModel:
    included = sources_for(tier)
    prepared = prepare(data_dir, included)
    held_back = prepare(data_dir, [s for s in SOURCES if s not in included])
    rows = [row for item in prepared for row in item.train]
    metadata = {
        "version": f"{VERSION}+{tier}",
        "data_licence": tier,
        "data_fingerprint": fingerprint(rows),
        "training_sets": [
            {
                "name": item.source.name,
                "language": item.source.domain,
                "licence": item.source.licence,
                "train_rows": len(item.train),
                "test_rows": len(item.test),
            }
            for item in prepared
        ],
    }
    model = fit(rows, config, lexicon, metadata)
    model.metadata["held_out"] = held_out_figures(model, prepared, held_back)
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output-dir", type=Path, default=WEIGHTS_DIR)
    args = parser.parse_args(argv)
    config = StreamConfig()
    lexicon = build_lexicon(config)
    for tier in ("commercial", "all"):
        model = train_tier(tier, args.data_dir, config, lexicon)
        fast = _fast_figures(args.output_dir, tier)
        print(f"stream sentiment ({tier}): held-out macro-F1 (fast model's in brackets)")
        for name, figures in model.metadata["held_out"].items():
            note = "" if figures["trained_on"] else "  (not in training data)"
            print(
                f"  {name:16} {figures['macro_f1']:.3f}  ({fast.get(name, float('nan')):.3f}){note}"
            )
        stem = args.output_dir / f"stream-sentiment-{tier}"
        model.save(stem)
        print(f"  saved {stem}.npz version {model.version}")


def _fast_figures(weights_dir: Path, tier: str) -> dict[str, float]:
    path = weights_dir / f"sentiment-{tier}.json"
    if not path.exists():
        return {}
    held_out = json.loads(path.read_text(encoding="utf-8")).get("held_out", {})
    return {name: figures["macro_f1"] for name, figures in held_out.items()}


if __name__ == "__main__":
    main()
