"""`kalrav validate` as a content team would run it on a plan."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def run(monkeypatch):
    def command(*args, stdin: str) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        out = io.StringIO()
        try:
            call_command("validate", *args, stdout=out)
        except SystemExit as exit_:
            return int(exit_.code), out.getvalue()
        return 0, out.getvalue()

    return command


def test_plain_text_that_fits(run):
    code, out = run("--network", "bluesky", stdin="নমস্কার! নতুন চা এসেছে।\n")
    assert code == 0
    assert out.strip() == "16 of 300"  # ন ম স্কা র ! ␠ ন তু ন ␠ চা ␠ এ সে ছে ।


def test_plain_text_too_long_exits_non_zero_with_position(run):
    code, out = run("--network", "x", stdin="ক" * 281)
    assert code == 1
    assert "too_long [280:281]" in out


def test_jsonl_plan_with_a_malformed_line(run):
    plan = "\n".join(
        [
            json.dumps({"id": "mon", "text": "सुप्रभात"}, ensure_ascii=False),
            "{not json",
            json.dumps({"id": "tue", "text": "x" * 501}),
            json.dumps({"id": "wed"}),
            json.dumps(
                {"id": 4, "text": "Καλημέρα https://kalrav.org/" + "a" * 600}, ensure_ascii=False
            ),
        ]
    )
    code, out = run("--network", "mastodon", "--jsonl", stdin=plan)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert lines[0] == {"id": "mon", "length": 4, "limit": 500, "valid": True, "problems": []}
    assert lines[1]["line"] == 2 and "error" in lines[1]
    assert lines[2]["id"] == "tue" and lines[2]["valid"] is False
    assert lines[2]["problems"][0]["code"] == "too_long" and lines[2]["problems"][0]["start"] == 500
    assert lines[3]["line"] == 4
    assert lines[4] == {"id": 4, "length": 8 + 1 + 23, "limit": 500, "valid": True, "problems": []}


def test_jsonl_all_valid_exits_zero(run):
    code, out = run("--network", "telegram", "--jsonl", stdin='{"id": 1, "text": "hello"}\n\n')
    assert code == 0 and json.loads(out)["valid"] is True


def test_instance_limit_override(run):
    code, _out = run("--network", "mastodon", "--limit", "1000", stdin="ক" * 800)
    assert code == 0


def test_unknown_network(run):
    with pytest.raises(CommandError, match="bluesky"):
        run("--network", "myspace", stdin="hi")
