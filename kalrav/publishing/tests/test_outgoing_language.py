"""A post goes out labelled with its language where the network labels posts (Bluesky's
`langs`): the one the author chose, else the one Kalrav recognises (issue 14, item 11)."""

from __future__ import annotations

import pytest

from kalrav.publishing import posts
from kalrav.publishing.delivery import publisher
from kalrav.publishing.models import Variant
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

HINDI = "आज शाम छह बजे नई मसाला चाय आ रही है।"


def _variant(members, network: str, text: str, options: dict | None = None) -> Variant:
    editor = members["editor"]
    chan = channel(editor.workspace, network=network, name=f"Brand on {network}")
    post = posts.create_post(
        editor, Actor(user=editor.user), title="Chai", text=text, channel_ids=[chan.pk]
    )
    Variant.objects.filter(post=post).update(options=options or {})
    return Variant.objects.select_related("channel", "post").get(post=post)


def test_a_bluesky_post_and_its_thread_carry_their_language(members):
    variant = _variant(members, "bluesky", HINDI, {"thread": ["दूसरा भाग"]})
    outgoing = publisher.outgoing_post(variant)
    assert outgoing.language == "hi"
    assert [part.language for part in outgoing.thread] == ["hi"]
    # The author's choice wins; words too short to tell stay unlabelled.
    assert (
        publisher.outgoing_post(_variant(members, "bluesky", HINDI, {"language": "bn"})).language
        == "bn"
    )
    assert publisher.outgoing_post(_variant(members, "bluesky", "ok 👍")).language == ""
