"""`kalrav nlp train`: rebuild the shipped models from the labelled data, reproducibly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..sentiment import MODELS_DIR
from . import hinglish_training, sentiment_training
from .datasets import SOURCES, prepare, sources_for

# Bump when the features, the data or the training change what the models answer.
MODEL_VERSION = "2025.06.1"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[4] / "shared" / "data" / "sentiment"


def build(
    data_dir: Path,
    tier: str,
    output_dir: Path = MODELS_DIR,
    *,
    hinglish: bool = True,
    say: Callable[[str], None] = print,
) -> dict:
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the machine is shared, and summation order then cannot vary between runs.
    with threadpool_limits(limits=1):
        return _build(data_dir, tier, output_dir, hinglish=hinglish, say=say)


def _build(
    data_dir: Path, tier: str, output_dir: Path, *, hinglish: bool, say: Callable[[str], None]
) -> dict:
    included = sources_for(tier)
    prepared = prepare(data_dir, included)
    held_back = prepare(data_dir, [s for s in SOURCES if s not in included])
    version = f"{MODEL_VERSION}+{tier}"

    if hinglish:
        # Romanized Hindi detection uses only permissive sets, whatever the sentiment tier.
        latin = prepare(data_dir, sources_for("permissive"))
        classifier, figures = hinglish_training.train(latin, MODEL_VERSION)
        classifier.model.save(output_dir / "hinglish")
        say(f"hinglish: answered 'hi' on held-out rows: {figures['hindi_looking_rows']}")

    config = sentiment_training.SentimentConfig()
    lexicon = sentiment_training.build_lexicon(config)
    say(f"sentiment ({tier}): held-out evaluation on {len(prepared)} training sets")
    held_out = sentiment_training.evaluate_held_out(prepared, held_back, config, lexicon)
    for name, figures in held_out.items():
        note = "" if figures["trained_on"] else "  (not in training data)"
        say(
            f"  {name:16} macro-F1 {figures['macro_f1']:.3f}  accuracy {figures['accuracy']:.3f}{note}"
        )

    rows = [row for item in prepared for row in item.train + item.test]
    metadata = {
        "version": version,
        "data_licence": tier,
        "data_fingerprint": sentiment_training.fingerprint(rows),
        "training_sets": [
            {
                "name": item.source.name,
                "language": item.source.domain,
                "licence": item.source.licence,
                "rows": len(item.train) + len(item.test),
                "duplicates_removed": item.duplicates_removed,
            }
            for item in prepared
        ],
        "held_out": held_out,
    }
    model = sentiment_training.fit(rows, config, lexicon, metadata)
    model.model.save(output_dir / f"sentiment-{tier}")
    say(f"sentiment ({tier}): saved {output_dir / f'sentiment-{tier}.npz'} version {version}")
    return metadata
