"""How the quality head combines E5 with the fast path: the linear forms must choose what the
product of experts they stand for would choose."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from kalrav.nlp.quality import HeadSpec, head_inputs
from nlp_training.datasets import Row
from nlp_training.quality_training import (
    Head,
    Inputs,
    average_head,
    choose_language_shares,
    language_head,
)

DOMAINS = ("el", "en")


def _inputs(n=60, seed=3):
    rng = np.random.default_rng(seed)
    rows = [
        Row(f"text {i}", ("negative", "neutral", "positive")[i % 3], DOMAINS[i % 2])
        for i in range(n)
    ]
    fast = rng.dirichlet(np.ones(3), size=n)
    return Inputs(rows, rng.normal(size=(n, 4)).astype(np.float32), fast, np.zeros((n, 1)))


def _e5(seed=5):
    rng = np.random.default_rng(seed)
    return Head(
        HeadSpec(("embedding", "domain"), DOMAINS),
        rng.normal(size=(4 + len(DOMAINS), 3)).astype(np.float32),
        rng.normal(size=3).astype(np.float32),
    )


def test_one_share_for_every_language_is_the_plain_average():
    inputs, e5 = _inputs(), _e5()
    for share in (0.0, 0.3, 0.5):
        plain = average_head(e5, share).probabilities(inputs)
        mixed = language_head(e5, share, dict.fromkeys(DOMAINS, share)).probabilities(inputs)
        np.testing.assert_allclose(mixed, plain, rtol=1e-4, atol=1e-5)


def test_each_language_decides_as_its_own_average_would():
    inputs, e5 = _inputs(), _e5()
    head = language_head(e5, 0.5, {"el": 0.1, "en": 0.8})
    chosen = head.probabilities(inputs).argmax(axis=1)
    for domain, share in (("el", 0.1), ("en", 0.8)):
        rows = np.array([i for i, d in enumerate(inputs.domains) if d == domain])
        alone = average_head(e5, share).probabilities(inputs.take(rows)).argmax(axis=1)
        assert (chosen[rows] == alone).all()


def test_an_unknown_language_gets_the_global_share():
    inputs, e5 = _inputs(), _e5()
    head = language_head(e5, 0.3, {"el": 0.8, "en": 0.0})
    unknown = head_inputs(
        head.spec, inputs.embeddings, inputs.fast, None, [None] * len(inputs.rows)
    )
    plain = head_inputs(
        average_head(e5, 0.3).spec, inputs.embeddings, inputs.fast, None, [None] * len(inputs.rows)
    )
    np.testing.assert_allclose(
        unknown @ head.weights + head.bias,
        plain @ average_head(e5, 0.3).weights + average_head(e5, 0.3).bias,
        rtol=1e-4,
        atol=1e-5,
    )


def test_shares_follow_the_labels():
    """Where the fast path is right and E5 is noise, the fast path's share goes up."""
    inputs, e5 = _inputs(n=90), _e5()
    e5.weights *= 5  # loud noise: at the global share E5 would still decide
    gold = np.array([("negative", "neutral", "positive").index(r.label) for r in inputs.rows])
    inputs.fast[:] = 0.05
    inputs.fast[np.arange(len(gold)), gold] = 0.9
    shares = choose_language_shares(e5, inputs, 0.3)
    assert all(share > 0.3 for share in shares.values())
