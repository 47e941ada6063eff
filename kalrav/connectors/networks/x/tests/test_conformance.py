"""The official twitter-text conformance suite, read at test time from the copy vendored beside
this file (fixtures/twitter-text-conformance: Apache-2.0, its LICENSE and README kept with it), as
its README asks: never converted into static cases.

validate.yml groups are tied to twitter-text configurations: "tweets" predates weighting and
expects the v1 rules (140 code points), "WeightedTweetsCounterTest" expects v2 (weights without
emoji sequences), the emoji-discount and directional-marker groups expect v3, the rules X uses now.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kalrav.connectors.networks.x import entities
from kalrav.connectors.networks.x.rules import parse

SUITE = Path(__file__).parent / "fixtures" / "twitter-text-conformance"


def cases(file: str, group: str) -> list:
    path = SUITE / file
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))["tests"][group]
    assert loaded, f"{file}:{group} is empty"
    return [pytest.param(case, id=case["description"]) for case in loaded]


@pytest.mark.parametrize("case", cases("validate.yml", "tweets"))
def test_tweets(case):
    assert parse(case["text"], version=1).valid is case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "WeightedTweetsCounterTest"))
def test_weighted_tweets(case):
    assert parse(case["text"], version=2).asdict() == case["expected"]


@pytest.mark.parametrize(
    "case", cases("validate.yml", "WeightedTweetsWithDiscountedEmojiCounterTest")
)
def test_weighted_tweets_with_discounted_emoji(case):
    assert parse(case["text"], version=3).asdict() == case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "UnicodeDirectionalMarkerCounterTest"))
def test_directional_markers(case):
    assert parse(case["text"], version=3).asdict() == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions"))
def test_mentions(case):
    assert [m.text for m in entities.mentions(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions_with_indices"))
def test_mentions_with_indices(case):
    found = [
        {"screen_name": m.text, "indices": [m.start, m.end]}
        for m in entities.mentions(case["text"])
    ]
    assert found == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions_or_lists_with_indices"))
def test_mentions_or_lists_with_indices(case):
    found = [
        {"screen_name": m.text, "list_slug": m.list_slug, "indices": [m.start, m.end]}
        for m in entities.mentions_or_lists(case["text"])
    ]
    assert found == case["expected"]


@pytest.mark.parametrize(
    "case", cases("extract.yml", "hashtags") + cases("extract.yml", "hashtags_from_astral")
)
def test_hashtags(case):
    assert [h.text for h in entities.hashtags(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "hashtags_with_indices"))
def test_hashtags_with_indices(case):
    found = [
        {"hashtag": h.text, "indices": [h.start, h.end]} for h in entities.hashtags(case["text"])
    ]
    assert found == case["expected"]


@pytest.mark.parametrize(
    "case", cases("extract.yml", "urls") + cases("extract.yml", "tco_urls_with_params")
)
def test_urls(case):
    assert [u.text for u in entities.urls(case["text"])] == case["expected"]


@pytest.mark.parametrize(
    "case",
    cases("extract.yml", "urls_with_indices")
    + cases("extract.yml", "urls_with_directional_markers"),
)
def test_urls_with_indices(case):
    found = [{"url": u.text, "indices": [u.start, u.end]} for u in entities.urls(case["text"])]
    assert found == case["expected"]
