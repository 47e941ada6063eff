import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from kalrav.nlp import services

from .conftest import shared


@pytest.fixture(autouse=True)
def _models_loaded(classify):
    """The command reuses the models the session fixture loaded."""


def run_classify(monkeypatch, text: str) -> tuple[list[dict], str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    out, err = io.StringIO(), io.StringIO()
    call_command("nlp", "classify", stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_classify_writes_one_line_per_good_input(monkeypatch):
    lines = [
        json.dumps({"id": 1, "text": "I love this!"}),
        json.dumps({"id": "b", "text": "😍😍"}),
    ]
    records, errors = run_classify(monkeypatch, "\n".join(lines) + "\n")
    assert errors == ""
    assert [r["id"] for r in records] == [1, "b"]
    assert set(records[0]) == {
        "id",
        "language",
        "language_confidence",
        "sentiment",
        "sentiment_score",
    }
    assert records[0]["language"] == "en" and records[0]["sentiment"] == "positive"
    assert (records[1]["language"], records[1]["language_confidence"]) == ("und", 0.0)


def test_malformed_lines_are_reported_and_skipped(monkeypatch):
    stdin = "\n".join(
        [
            json.dumps({"id": 1, "text": "Great service"}),
            '{"id": 2, "text": "unterminated',
            json.dumps({"id": 3}),
            "[1, 2]",
            "",
            json.dumps({"id": 6, "text": "Terrible service"}),
        ]
    )
    records, errors = run_classify(monkeypatch, stdin)
    assert [r["id"] for r in records] == [1, 6]
    reported = [line.split(":")[0] for line in errors.splitlines()]
    assert reported == ["line 2", "line 3", "line 4"]


def test_evaluate_prints_scores_per_file(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [
        {"text": "I love it, wonderful!", "label": "positive", "language": "en"},
        {"text": "Awful, I hate it", "label": "negative", "language": "en"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = io.StringIO()
    call_command("nlp", "evaluate", str(path), str(shared("sentiment", "gu-gsa.jsonl")), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"model {services.sentiment_model().version}"
    mine = lines[2].split()
    assert mine[:2] == ["mine.jsonl", "2"] and float(mine[4]) == 1.0
    assert lines[3].split()[:2] == ["gu-gsa.jsonl", "296"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--block-scales", "--quantization-aware"], "choose one of"),
        (["--quantization-aware", "--matrix-learning-rate", "0"], "--matrix-learning-rate"),
        (["--epochs", "0"], "--epochs"),
    ],
)
def test_tune_encoder_refuses_conflicting_or_out_of_range_options(arguments, message, tmp_path):
    with pytest.raises(CommandError, match=message):
        call_command(
            "nlp",
            "tune-encoder",
            "--data-dir",
            str(shared("sentiment")),
            *arguments,
            "--output-dir",
            str(tmp_path),
        )
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("action", [["train", "--skip-quality"], ["tune-encoder"]])
def test_training_says_how_to_install_the_training_package(action, monkeypatch, tmp_path):
    """The training code is not in the product's wheel: without it, both commands say so."""
    monkeypatch.setitem(sys.modules, "nlp_training", None)  # as if it were not installed
    with pytest.raises(CommandError, match=r"nlp_training package.*pip install -e"):
        call_command("nlp", *action, "--output-dir", str(tmp_path))
    assert not list(tmp_path.iterdir())  # nothing written
