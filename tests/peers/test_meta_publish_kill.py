"""Workers killed with SIGKILL while publishing a burst to a Facebook Page on the stand-in Meta
(meta_standin.py) leave every post on the Page exactly once: no duplicates, none lost. Meta takes
no idempotency key and makes a post of every POST /feed, so after each kill "never twice" rests
on the Facebook connector's reconcile (/published_posts since the first try, by the words).

Every worker is killed at once while Meta holds a post whose answer has not left
(kill_rounds.py); the workers reach the stand-in through KALRAV_META_GRAPH_URL
(meta_standin.environment_for).
"""

from __future__ import annotations

from collections import Counter

import pytest

from kalrav.connectors.networks.facebook.tests.fake import PAGE_TOKEN
from tests.peers.kill_rounds import kalrav_database, kill_while_posting, seed_channel
from tests.peers.meta_standin import PAGE_ID, MetaStandIn, environment_for, serving
from tests.test_publish_kill import SETTINGS

pytestmark = pytest.mark.slow

COUNT = 40
KILLS = 2  # rounds, each killing every worker
LATENCY = 0.5  # seconds per POST /feed; the post is made after half of it


def test_killed_workers_leave_each_post_on_the_page_exactly_once(tmp_path):
    standin = MetaStandIn(latency=LATENCY)
    with (
        serving(standin) as meta,
        kalrav_database(tmp_path, SETTINGS, environment_for(meta)) as env,
    ):
        credentials = {"page_token": PAGE_TOKEN}
        seed_channel(env, "facebook", PAGE_ID, {"page_id": PAGE_ID}, credentials, COUNT)
        run = kill_while_posting(env, tmp_path, meta, lambda: len(meta.graph.feed), KILLS)

    assert meta.violations == [], meta.violations
    on_page = Counter(post.get("message", "") for post in meta.graph.feed)
    twice = {text: count for text, count in on_page.items() if count > 1}
    assert not twice, f"{len(twice)} posts are on the Page more than once: {twice}\n{run.log_tail}"
    assert len(run.variants) == COUNT
    left = [v["state"] for v in run.variants if v["state"] != "published"]
    assert not left, f"{len(left)} not published: {left}\n{run.log_tail}"
    by_id = {post["id"]: post.get("message") for post in meta.graph.feed}
    for variant in run.variants:
        assert by_id.get(variant["remote_id"]) == variant["text"], f"variant {variant['pk']} lost"
    assert len(on_page) == COUNT
    assert run.kills == KILLS, (
        f"only {run.kills} kill rounds landed while publishing (posts at each: "
        f"{run.posts_at_kills})\n{run.log_tail}"
    )
    assert meta.unheard, "no kill landed between Meta taking a post and Kalrav hearing of it"
    print(
        f"\n{run.kills} kill rounds; {len(meta.unheard)} posts made on the Page unheard by their "
        f"killed sender; {run.reconciled} unknown outcomes settled by reconcile; 0 duplicates; "
        f"{run.timing()}"
    )
