"""`kalrav nlp train`: rebuild the shipped models from the labelled data, reproducibly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kalrav.nlp.sentiment import WEIGHTS_DIR

from . import hinglish_training, sentiment_training
from .corrections_data import correction_rows, missing_workspaces, without_corrected
from .datasets import SOURCES, prepare, sources_for

# What `kalrav nlp train` and `kalrav nlp tune-encoder` call.
__all__ = ["DEFAULT_DATA_DIR", "build", "missing_workspaces", "tune_encoder"]

# Bump when the features, the data or the training change what the models answer.
MODEL_VERSION = "2025.06.1"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"
# Embeddings of the training texts are kept here between runs (about 30 MB for the shared data).
DEFAULT_EMBEDDING_CACHE = Path.home() / ".cache" / "kalrav" / "nlp-embeddings"


def build(
    data_dir: Path,
    tier: str,
    output_dir: Path = WEIGHTS_DIR,
    *,
    hinglish: bool = True,
    quality: bool = True,
    corrections: Sequence[str] = (),
    embedding_cache: Path = DEFAULT_EMBEDDING_CACHE,
    quality_rows_per_set: int | None = None,
    say: Callable[[str], None] = print,
) -> dict:
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the machine is shared, and summation order then cannot vary between runs.
    with threadpool_limits(limits=1):
        return _build(
            data_dir,
            tier,
            output_dir,
            hinglish=hinglish,
            quality=quality,
            corrections=corrections,
            embedding_cache=embedding_cache,
            quality_rows_per_set=quality_rows_per_set,
            say=say,
        )


def _build(
    data_dir: Path,
    tier: str,
    output_dir: Path,
    *,
    hinglish: bool,
    quality: bool,
    corrections: Sequence[str],
    embedding_cache: Path,
    quality_rows_per_set: int | None,
    say: Callable[[str], None],
) -> dict:
    included = sources_for(tier)
    prepared = prepare(data_dir, included)
    held_back = prepare(data_dir, [s for s in SOURCES if s not in included])
    corrected, correction_summary = correction_rows(corrections) if corrections else ([], [])
    version = f"{MODEL_VERSION}+{tier}"
    if corrections:
        # A model that learnt from a workspace's corrections is not the shipped one: say so.
        version += "+corrections"
        for item in correction_summary:
            say(f"corrections: {item['rows']} from {item['workspace']} (weight {item['weight']:g})")

    if hinglish:
        # Romanized Hindi detection uses only permissive sets, whatever the sentiment tier.
        latin = prepare(data_dir, sources_for("permissive"))
        classifier, figures = hinglish_training.train(latin, MODEL_VERSION)
        classifier.model.save(output_dir / "hinglish")
        say(f"hinglish: answered 'hi' on held-out rows: {figures['hindi_looking_rows']}")

    config = sentiment_training.SentimentConfig()
    lexicon = sentiment_training.build_lexicon(config)
    say(f"sentiment ({tier}): held-out evaluation on {len(prepared)} training sets")
    held_out_model = sentiment_training.fit_held_out(prepared, config, lexicon, corrected)
    held_out = sentiment_training.evaluate_held_out(held_out_model, prepared, held_back)
    for name, figures in held_out.items():
        note = "" if figures["trained_on"] else "  (not in training data)"
        say(
            f"  {name:16} macro-F1 {figures['macro_f1']:.3f}  accuracy {figures['accuracy']:.3f}{note}"
        )

    rows = without_corrected(
        [row for item in prepared for row in item.train + item.test], corrected
    )
    rows += corrected
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
        "corrections": correction_summary,
        "held_out": held_out,
    }
    model = sentiment_training.fit(rows, config, lexicon, metadata)
    model.model.save(output_dir / f"sentiment-{tier}")
    say(f"sentiment ({tier}): saved {output_dir / f'sentiment-{tier}.npz'} version {version}")
    if quality:
        metadata["quality"] = _build_quality(
            prepared,
            held_back,
            corrected,
            correction_summary,
            config,
            lexicon,
            held_out_model,
            tier=tier,
            version=version,
            output_dir=output_dir,
            embedding_cache=embedding_cache,
            rows_per_set=quality_rows_per_set,
            say=say,
        )
    return metadata


def _build_quality(
    prepared,
    held_back,
    corrected,
    correction_summary,
    config,
    lexicon,
    held_out_model,
    *,
    tier,
    version,
    output_dir,
    embedding_cache,
    rows_per_set,
    say,
) -> dict:
    from kalrav.nlp.embedding import EmbeddingCache

    from .quality_training import QualityTrainer

    trainer = QualityTrainer(config, lexicon, EmbeddingCache(embedding_cache), say)
    model, metadata = trainer.train(
        prepared,
        held_back,
        corrected,
        held_out_fast=held_out_model,
        tier=tier,
        version=version,
        fast_version=version,
        rows_per_set=rows_per_set,
    )
    model.metadata["training_sets"] = [
        {"name": item.source.name, "language": item.source.domain, "licence": item.source.licence}
        for item in prepared
    ]
    model.metadata["corrections"] = correction_summary
    stem = model.save(output_dir)
    say(
        f"quality ({tier}): saved {stem.with_suffix('.npz')} ({metadata['head']}) version {version}"
    )
    return metadata


# Bump when the tuning changes what the encoder computes.
ENCODER_VERSION = "2026.12.1"


def tune_encoder(
    data_dir: Path,
    tier: str,
    output_dir: Path = WEIGHTS_DIR,
    *,
    say: Callable[[str], None] = print,
    **tuning: Any,
) -> dict:
    """`kalrav nlp tune-encoder`: tune E5 on a tier's training splits (`tuning` goes to
    `encoder_tuning.tune`: epochs, block scales or quantization-aware matrices, ...), write
    `encoder.npz/.json`; the quality heads must then be retrained (`kalrav nlp train`)."""
    import json

    import numpy as np

    from kalrav.nlp.embedding import ENCODER_FORMAT, base_model_path

    from .encoder_tuning import tune

    prepared = prepare(data_dir, sources_for(tier))
    tensors, metadata = tune(prepared, base_model_path(), say=say, **tuning)
    metadata = {
        "format": ENCODER_FORMAT,
        "version": f"{ENCODER_VERSION}+{tier}",
        "data_licence": tier,
        "sets": [p.source.name for p in prepared],
        **metadata,
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(output_dir / "encoder.npz", allow_pickle=False, **tensors)
    text = json.dumps(metadata, indent=2, ensure_ascii=False)
    (output_dir / "encoder.json").write_text(text + "\n", encoding="utf-8")
    say(f"wrote {output_dir / 'encoder.npz'}; now retrain the heads: kalrav nlp train")
    return metadata
