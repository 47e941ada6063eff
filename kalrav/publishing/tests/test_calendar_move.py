"""Dragging a post on the calendar moves the whole post, every variant by the same days at its own
time of day, all or none; "Undo" puts each back at the time it had."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from kalrav.publishing import posts, scheduling
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

S = VariantState
# Kolkata is UTC+5:30: 04:00 UTC is 09:30 there, 12:30 UTC is 18:00.
SKY_AT = datetime(2099, 6, 15, 4, 0, tzinfo=UTC)
MASTO_AT = datetime(2099, 6, 16, 12, 30, tzinfo=UTC)


@pytest.fixture
def planned(members, workspace):
    """A post on two channels: Bluesky scheduled on the 15th at 09:30, Mastodon planned on the
    16th at 18:00 (local)."""
    editor = members["editor"]
    actor = Actor(user=editor.user)
    sky = channel(workspace)
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon", handle="@s@m.test")
    post = posts.create_post(
        editor, actor, title="Monsoon", text="Fresh tea", channel_ids=[sky.pk, masto.pk]
    )
    sky_variant = post.variants.get(channel=sky)
    masto_variant = post.variants.get(channel=masto)
    scheduling.schedule_variant(editor, actor, sky_variant.pk, SKY_AT)
    scheduling.plan_variant(editor, actor, masto_variant.pk, MASTO_AT)
    return post, sky_variant, masto_variant


def times(*variants):
    return [Variant.objects.get(pk=v.pk).scheduled_at for v in variants]


def test_dragging_one_variant_moves_the_whole_post(member_client, workspace, planned):
    _post, sky, masto = planned
    response = member_client("editor").post(
        f"/w/{workspace.slug}/calendar/move/{sky.pk}/", {"day": "2099-06-18"}
    )
    assert response.status_code == 200
    assert re.fullmatch(
        r"Moved to 18 June? 2099, 09:30, with its 2 variants\.", response.json()["message"]
    )
    # Three days later each, at its own local time of day.
    assert times(sky, masto) == [
        datetime(2099, 6, 18, 4, 0, tzinfo=UTC),
        datetime(2099, 6, 19, 12, 30, tzinfo=UTC),
    ]
    assert Variant.objects.get(pk=sky.pk).state == S.SCHEDULED


def test_undo_puts_every_variant_back_at_its_time(member_client, workspace, planned):
    _post, sky, masto = planned
    client = member_client("editor")
    answer = client.post(
        f"/w/{workspace.slug}/calendar/move/{masto.pk}/", {"day": "2099-06-20"}
    ).json()
    undo = answer["undo"]
    assert undo["label"] == "Undo"
    back = client.post(undo["url"], undo["fields"])
    assert back.status_code == 200 and back.json()["message"] == "Moved back."
    assert times(sky, masto) == [SKY_AT, MASTO_AT]
    assert Variant.objects.get(pk=sky.pk).state == S.SCHEDULED
    assert Variant.objects.get(pk=masto.pk).state == S.DRAFT


def test_a_published_variant_stays_where_it_went_out(members, planned):
    _post, sky, masto = planned
    Variant.objects.filter(pk=masto.pk).update(state=S.PUBLISHED)
    editor = members["editor"]
    scheduling.move_post(editor, Actor(user=editor.user), sky.pk, date(2099, 6, 20))
    assert times(sky, masto) == [datetime(2099, 6, 20, 4, 0, tzinfo=UTC), MASTO_AT]


def test_a_move_that_would_put_one_variant_in_the_past_moves_none(
    member_client, workspace, members, planned
):
    _post, sky, masto = planned
    sky_at = datetime(2099, 6, 16, 2, 30, tzinfo=UTC)  # 08:00 on the 16th in Kolkata
    Variant.objects.filter(pk=sky.pk).update(scheduled_at=sky_at)
    Variant.objects.filter(pk=masto.pk).update(state=S.SCHEDULED)
    # At noon on the 15th (Kolkata), Mastodon dragged from the 16th to the 15th would still be
    # ahead (18:00), but Bluesky would land on the 15th at 08:00, which has passed.
    with time_machine.travel(datetime(2099, 6, 15, 6, 30, tzinfo=UTC), tick=False):
        response = member_client("editor").post(
            f"/w/{workspace.slug}/calendar/move/{masto.pk}/", {"day": "2099-06-15"}
        )
    assert response.status_code == 400
    assert "Choose a time in the future." in response.json()["message"]
    assert times(sky, masto) == [sky_at, MASTO_AT]


def test_undo_is_refused_for_another_workspace_and_for_readers(member_client, workspace, planned):
    _post, sky, _masto = planned
    url = f"/w/{workspace.slug}/calendar/move/undo/"
    assert member_client("analyst").post(url, {f"at-{sky.pk}": ""}).status_code == 403
    nothing = member_client("editor").post(url, {f"at-{sky.pk + 999}": SKY_AT.isoformat()})
    assert nothing.status_code == 400
    naive = member_client("editor").post(url, {f"at-{sky.pk}": "2099-06-15T09:30"})
    assert naive.status_code == 400
    assert times(sky) == [SKY_AT]
