"""Throughput and peak memory of language identification and sentiment, on one core.

    .venv/bin/python bench/nlp_throughput.py [--data DIR] [--texts N]

The stream interleaves every labelled set in ../shared/data/sentiment (12 languages and
scripts), as a listening firehose would. The last line of output is one JSON object.
"""

from __future__ import annotations

import os

# One core: set before numpy loads its BLAS.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BATCH = 512


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def mixed_stream(data_dir: Path, limit: int) -> list[tuple[str, str]]:
    """(text, language as labelled) pairs, the sets interleaved."""
    per_file = []
    for path in sorted(data_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows = (json.loads(line) for line in handle if line.strip())
            per_file.append([(row["text"], row["language"]) for row in rows])
    interleaved = [
        pair for group in itertools.zip_longest(*per_file) for pair in group if pair is not None
    ]
    return interleaved[:limit]


def rate(function, texts: list[str]) -> tuple[float, list]:
    out: list = []
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        out += function(texts[start : start + BATCH])
    return len(texts) / (time.perf_counter() - started), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--texts", type=int, default=20000)
    args = parser.parse_args()

    from kalrav.nlp import services
    from kalrav.nlp.sentiment import WEIGHTS_DIR

    stream = mixed_stream(args.data, args.texts)
    texts = [text for text, _ in stream]
    print(
        f"{len(texts)} texts, mean {sum(map(len, texts)) / len(texts):.0f} characters, batches of {BATCH}"
    )
    baseline = peak_mb()

    # Sentiment first, so that its peak memory is not hidden under lingua's. It reads the
    # labelled language here (the detector is not loaded yet), as it would the detected one.
    started = time.perf_counter()
    model = services.sentiment_model()
    sentiment_load = time.perf_counter() - started
    domain_of = {text: language for text, language in stream}
    model.predict(texts[:BATCH], [domain_of[t] for t in texts[:BATCH]])  # warm-up
    sentiment_rate, _ = rate(
        lambda chunk: model.predict(chunk, [domain_of[t] for t in chunk]), texts
    )
    sentiment_peak = peak_mb()
    print(
        f"sentiment: {sentiment_rate:,.0f} texts/s, load {sentiment_load:.2f} s, peak {sentiment_peak} MB"
    )

    started = time.perf_counter()
    identifier = services.language_identifier()
    language_load = time.perf_counter() - started
    language_rate, detected = rate(identifier.detect_batch, texts)
    language_peak = peak_mb()
    print(
        f"language id: {language_rate:,.0f} texts/s, load {language_load:.2f} s, peak {language_peak} MB"
    )

    combined_rate, _ = rate(services.classify_batch, texts)
    print(f"classify_batch (both): {combined_rate:,.0f} texts/s")

    model_bytes = sum(p.stat().st_size for p in WEIGHTS_DIR.glob("*.npz"))
    print(
        json.dumps(
            {
                "texts": len(texts),
                "batch": BATCH,
                "cores": 1,
                "machine_cores": os.cpu_count(),
                "python": platform.python_version(),
                "sentiment_model": model.version,
                "sentiment_texts_per_second": round(sentiment_rate),
                "sentiment_load_seconds": round(sentiment_load, 2),
                "sentiment_peak_rss_mb": sentiment_peak,
                "language_texts_per_second": round(language_rate),
                "language_load_seconds": round(language_load, 2),
                "language_peak_rss_mb": language_peak,
                "languages": list(identifier.languages),
                "classify_batch_texts_per_second": round(combined_rate),
                "baseline_rss_mb": baseline,
                "model_files_mb": round(model_bytes / 2**20, 2),
                "undetermined_share": round(
                    sum(r.language == "und" for r in detected) / len(detected), 4
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
