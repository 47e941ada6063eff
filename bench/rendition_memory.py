"""Peak memory of making a network copy (a rendition) of the largest images an upload accepts.

Makes, in a throwaway folder, a 100-megapixel JPEG (10000x10000 RGB, the JPEG limit) and a
16-megapixel PNG with transparency (4000x4000 RGBA, the limit for formats decoded whole), then
renders each for a Bluesky-like rule (2000x2000, 1 MB) in a fresh subprocess and reads that
process's peak resident memory with resource.getrusage. `baseline_mb` is the same process's
peak before rendering (Python, Django and Pillow loaded). The last line is one JSON object;
the budget is 200 MB peak per copy.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 200


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make(folder: Path) -> dict[str, Path]:
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (10_000, 10_000), (180, 120, 60))
    ImageDraw.Draw(photo).ellipse((1000, 1000, 9000, 9000), fill=(20, 90, 160))
    photo.save(folder / "photo.jpg", quality=85)
    del photo
    drawing = Image.new("RGBA", (4_000, 4_000), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).rectangle((500, 500, 3500, 3500), fill=(200, 30, 30, 255))
    drawing.save(folder / "drawing.png", compress_level=1)
    return {"jpeg_100mpx": folder / "photo.jpg", "png_rgba_16mpx": folder / "drawing.png"}


def child(path: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-rendition-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
    import django

    django.setup()
    from kalrav.connectors.base import MediaItem, MediaKind, MediaRule
    from kalrav.publishing.media import inspection, renditions

    rule = MediaRule(
        kind=MediaKind.IMAGE,
        mime_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
        max_bytes=1_000_000,
        max_count=4,
        max_width=2000,
        max_height=2000,
    )
    with open(path, "rb") as handle:
        found = inspection.inspect(handle)  # the upload's own check: accepted
    baseline = _peak_mb()
    data = Path(path).read_bytes()
    item = MediaItem(
        kind=MediaKind.IMAGE,
        source=path,
        mime_type=found.mime_type,
        size=found.size,
        width=found.width,
        height=found.height,
    )
    plan = renditions.plan(item, rule)
    assert plan is not None
    started = time.perf_counter()
    encoded, width, height = renditions.render(data, plan, rule)
    print(
        json.dumps(
            {
                "pixels": (found.width or 0) * (found.height or 0),
                "copy": f"{width}x{height}",
                "copy_bytes": len(encoded),
                "seconds": round(time.perf_counter() - started, 2),
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(_peak_mb(), 1),
            }
        )
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kalrav-rendition-bench-") as tmp:
        made = subprocess.run(
            [sys.executable, __file__, "--make", tmp], check=True, capture_output=True, text=True
        )
        files = json.loads(made.stdout.strip().splitlines()[-1])
        results = {}
        for name, path in files.items():
            run = subprocess.run(
                [sys.executable, __file__, "--child", path],
                check=True,
                capture_output=True,
                text=True,
            )
            results[name] = json.loads(run.stdout.strip().splitlines()[-1])
    worst = max(r["peak_mb"] for r in results.values())
    print(
        json.dumps(
            {"budget_mb": BUDGET_MB, "worst_peak_mb": worst, "within": worst < BUDGET_MB, **results}
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make"]:
        print(json.dumps({k: str(v) for k, v in make(Path(sys.argv[2])).items()}))
    elif sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
