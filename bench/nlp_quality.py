"""The sentiment quality path (E5 embeddings + linear head): speed and memory on one core, and
its held-out macro-F1 beside the fast path's and the published figures.

    .venv/bin/python bench/nlp_quality.py [--data DIR] [--texts N]

The stream interleaves every labelled set in ../shared/data/sentiment, as bench/nlp_throughput.py
does. Speed is measured on the sentiment model alone (the labelled language is passed), so that
lingua's memory does not hide the engine's. The evaluation table is read from the shipped
models' metadata (written by `kalrav nlp train`: fitted on the training splits, scored on the
held-out 20%). The last line of output is one JSON object.
"""

from __future__ import annotations

import os

# One core: set before numpy and the E5 engine (OpenMP) load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BATCH = 32

# XLM-T (Barbieri et al., LREC 2022), multilingual fine-tuned, macro-F1 on the UMSAB test sets.
PUBLISHED = {
    "ar-xlmt": 0.669,
    "de-xlmt": 0.773,
    "en-xlmt": 0.706,
    "es-xlmt": 0.679,
    "fr-xlmt": 0.712,
    "hi-Latn-xlmt": 0.564,
    "it-xlmt": 0.691,
    "pt-xlmt": 0.754,
}


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    from nlp_throughput import mixed_stream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--texts", type=int, default=1000)
    args = parser.parse_args()

    from kalrav.nlp import services
    from kalrav.nlp.embedding import get_embedder
    from kalrav.nlp.sentiment import WEIGHTS_DIR

    stream = mixed_stream(args.data, args.texts)
    texts = [text for text, _ in stream]
    domains = [language for _, language in stream]
    print(f"{len(texts)} texts, mean {sum(map(len, texts)) / len(texts):.0f} characters")
    baseline = peak_mb()

    started = time.perf_counter()
    head = services.quality_model()
    embedder = get_embedder()
    load = time.perf_counter() - started
    head.predict(texts[:BATCH], domains[:BATCH], embedder)  # warm-up
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        head.predict(texts[start : start + BATCH], domains[start : start + BATCH], embedder)
    elapsed = time.perf_counter() - started
    rate = len(texts) / elapsed
    peak = peak_mb()
    print(f"quality path: {rate:.1f} texts/s ({1000 / rate:.1f} ms a text), load {load:.2f} s")
    print(f"peak RSS {peak} MB (before loading: {baseline} MB)")

    table = {}
    for name in ("commercial", "all"):
        meta = json.loads((WEIGHTS_DIR / f"quality-{name}.json").read_text(encoding="utf-8"))
        table[name] = {"head": meta["head"], "held_out": meta["held_out_comparison"]}
    for name, found in table.items():
        print(f"\n{name} (chosen head: {found['head']})")
        columns = list(next(iter(found["held_out"].values())))
        print(f"{'set':16} " + " ".join(f"{c:>14}" for c in columns) + f" {'XLM-T':>7}")
        for set_name, values in found["held_out"].items():
            published = PUBLISHED.get(set_name)
            print(
                f"{set_name:16} "
                + " ".join(f"{values[c]:>14.3f}" for c in columns)
                + (f" {published:>7.3f}" if published else f" {'—':>7}")
            )

    model_bytes = sum(p.stat().st_size for p in WEIGHTS_DIR.glob("quality-*.npz"))
    print(
        json.dumps(
            {
                "benchmark": "nlp_quality",
                "texts": len(texts),
                "batch": BATCH,
                "cores": 1,
                "machine_cores": os.cpu_count(),
                "python": platform.python_version(),
                "quality_model": head.version,
                "head": head.metadata["head"],
                "embedding_model": head.metadata["embedding_model"],
                "quality_texts_per_second": round(rate, 1),
                "quality_ms_per_text": round(1000 / rate, 1),
                "quality_load_seconds": round(load, 2),
                "quality_peak_rss_mb": peak,
                "baseline_rss_mb": baseline,
                "head_files_mb": round(model_bytes / 2**20, 3),
                "held_out_macro_f1": {
                    name: {
                        set_name: {
                            "fast": values["fast"],
                            "e5": values.get("e5+domain"),
                            "chosen": values[found["head"]],
                        }
                        for set_name, values in found["held_out"].items()
                    }
                    for name, found in table.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
