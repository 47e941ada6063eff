"""Keeping a person's sentiment correction: one row per corrected message, audited, bad input
refused (`record_correction`, which `correct_sentiment` calls)."""

import pytest

from kalrav.inbox.corrections.models import SentimentCorrection
from kalrav.inbox.corrections.services import record_correction
from kalrav.workspaces.models import AuditEntry


def correct(workspace, user, **changes):
    values = {
        "workspace": workspace,
        "text": "The tea arrived cold and two days late",
        "language": "en",
        "label": "negative",
        "previous_label": "neutral",
        "source": "inbox.message:123",
        "user": user,
    }
    values.update(changes)
    return record_correction(**values)


def test_record_keeps_the_correction_and_audits_it(workspace, owner):
    correction = correct(workspace, owner)

    stored = SentimentCorrection.objects.get()
    assert stored.pk == correction.pk
    assert (stored.label, stored.previous_label, stored.language) == ("negative", "neutral", "en")
    assert stored.corrected_by == owner
    entry = AuditEntry.objects.filter(workspace=workspace, action="sentiment.correct").get()
    assert entry.actor == owner
    assert entry.object_id == str(correction.pk)
    assert entry.changes["label"] == [None, "negative"]
    assert "text" not in entry.changes


def test_a_second_correction_of_the_same_source_updates_it(workspace, owner):
    first = correct(workspace, owner)
    second = correct(workspace, None, label="positive", previous_label="negative")

    assert second.pk == first.pk
    stored = SentimentCorrection.objects.get()
    assert stored.label == "positive"
    assert stored.corrected_by is None
    entries = AuditEntry.objects.filter(action="sentiment.correct").order_by("pk")
    assert entries.count() == 2
    assert entries[1].changes["label"] == ["negative", "positive"]
    assert entries[1].via == "system"


def test_other_sources_and_workspaces_are_separate_rows(workspace, owner):
    correct(workspace, owner)
    correct(workspace, owner, source="inbox.message:124")
    assert SentimentCorrection.objects.count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"label": "angry"},
        {"label": ""},
        {"previous_label": "furious"},
        {"text": "   "},
        {"source": ""},
        {"source": "x" * 121},
    ],
)
def test_bad_input_is_refused_and_nothing_is_kept(workspace, owner, changes):
    with pytest.raises(ValueError) as caught:
        correct(workspace, owner, **changes)
    assert str(caught.value)
    assert not SentimentCorrection.objects.exists()
    assert not AuditEntry.objects.filter(action="sentiment.correct").exists()


def test_the_error_names_the_allowed_labels(workspace, owner):
    with pytest.raises(ValueError, match=r"negative, neutral, positive.*'angry'"):
        correct(workspace, owner, label="angry")
