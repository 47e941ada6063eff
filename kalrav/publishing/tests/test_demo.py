from __future__ import annotations

import pytest

from kalrav.channels.models import Channel
from kalrav.publishing.demo import load_demo_posts
from kalrav.publishing.models import Post, Variant
from kalrav.workspaces import demo as workspace_demo

pytestmark = pytest.mark.django_db


def test_demo_fills_a_month_in_five_languages_once():
    workspace_demo.load()  # `kalrav demo` fills the calendar too
    assert Post.objects.filter(workspace__slug="shanti-tea").count() >= 12
    channels = Channel.objects.filter(workspace__slug="shanti-tea")
    assert sorted(channels.values_list("network", flat=True)) == ["bluesky", "mastodon"]
    assert all(c.state == "paused" and c.name.startswith("Demo") for c in channels)
    texts = " ".join(Post.objects.values_list("text", flat=True))
    for sample in ("চা", "चाय", "ચા", "τσάι"):
        assert sample in texts
    states = set(Variant.objects.values_list("state", flat=True))
    assert {"draft", "scheduled", "pending_approval", "approved", "changes_requested"} <= states
    assert load_demo_posts() == []  # a second run adds nothing
