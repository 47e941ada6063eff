"""Workers killed with SIGKILL while publishing a burst to the stand-in X (x_standin.py) leave
every post on X exactly once: no duplicates, none lost. X takes no idempotency key and makes a
post of every request, so after each kill "never twice" rests on the X connector's reconcile
finding, among the account's posts, what X accepted before the worker died.

Every worker is killed at once while X holds a post whose answer has not left (kill_rounds.py):
the stand-in stores each post halfway through its answer, so the kill lands between X taking a
post and Kalrav hearing of it, the case reconcile is for.
"""

from __future__ import annotations

import pytest

from tests.peers.kill_rounds import kalrav_database, kill_while_posting, seed_channel
from tests.peers.x_standin import OWN_ID, XStandIn, environment_for, serving
from tests.test_publish_kill import SETTINGS

pytestmark = pytest.mark.slow

COUNT = 60
KILLS = 3  # rounds, each killing every worker
LATENCY = 0.5  # seconds per X request; the post is stored after half of it


def test_killed_workers_leave_each_post_on_x_exactly_once(tmp_path):
    standin = XStandIn(latency=LATENCY)
    with serving(standin) as x, kalrav_database(tmp_path, SETTINGS, environment_for(x)) as env:
        seed_channel(env, "x", OWN_ID, {"user_id": OWN_ID}, {"session": x.session()}, COUNT)
        run = kill_while_posting(env, tmp_path, x, lambda: len(x.tweets), KILLS)

    assert x.violations == [], x.violations
    on_x = x.posts_by_text()
    twice = {text: count for text, count in on_x.items() if count > 1}
    assert not twice, f"{len(twice)} posts are on X more than once: {twice}\n{run.log_tail}"
    assert len(run.variants) == COUNT
    left = [v["state"] for v in run.variants if v["state"] != "published"]
    assert not left, f"{len(left)} not published: {left}, {len(x.tweets)} on X\n{run.log_tail}"
    by_id = {tweet["id"]: tweet["sent"] for tweet in x.tweets}
    for variant in run.variants:
        assert by_id.get(variant["remote_id"]) == variant["text"], f"variant {variant['pk']} lost"
    assert len(on_x) == COUNT
    assert run.kills == KILLS, (
        f"only {run.kills} kill rounds landed while publishing (posts on X at each: "
        f"{run.posts_at_kills}, at the end {len(x.tweets)})\n{run.log_tail}"
    )
    # The case reconcile is for happened: X made posts whose senders died before the answer.
    assert x.unheard, "no kill landed between X taking a post and Kalrav hearing of it"
    posted = sum(request == ("POST", "/2/tweets") for request in x.requests)
    print(
        f"\n{run.kills} kill rounds; {len(x.unheard)} posts made on X unheard by their killed "
        f"sender; {run.reconciled} unknown outcomes settled by reconcile; {posted} POST "
        f"/2/tweets for {COUNT} posts; 0 duplicates; {run.timing()}"
    )
