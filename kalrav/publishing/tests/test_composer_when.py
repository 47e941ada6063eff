"""The composer saves and decides when in one step (draft, now, a date and time in the workspace's
zone, the queue's next free slot), with approval still in the way where it is required; and files
chosen in the composer land in the library and on the post."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kalrav.channels.models import ChannelState
from kalrav.publishing import approvals, workspace_settings
from kalrav.publishing.models import MediaAsset, Post, VariantMedia, VariantState
from kalrav.publishing.queues.models import QueueSlot
from kalrav.publishing.tests.helpers import channel, png_bytes
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db

S = VariantState


@pytest.fixture
def channels(workspace):
    return [
        channel(workspace),
        channel(workspace, network="mastodon", name="Shanti on Mastodon", handle="@shanti@m.test"),
    ]


def compose(client, workspace, channels, follow=False, **extra):
    data = {
        "title": "Monsoon blend",
        "text": "The monsoon blend is back.",
        "channels": [str(c.pk) for c in channels],
        **extra,
    }
    return client.post(f"/w/{workspace.slug}/posts/new/", data, follow=follow)


def require_approval(members):
    owner = members["owner"]
    workspace_settings.update_publishing_settings(
        owner, Actor(user=owner.user), require_approval=True, reapprove_after_edit=True
    )


def test_the_composer_asks_when_with_date_and_time_inputs_in_the_workspace_zone(
    member_client, workspace, channels
):
    page = member_client("editor").get(f"/w/{workspace.slug}/posts/new/").content.decode()
    assert 'type="date" name="when_date"' in page and 'type="time" name="when_time"' in page
    assert "Asia/Kolkata" in page
    assert 'value="at"' in page and 'value="draft"' in page
    # An editor may not publish on the spot; the choice is not offered.
    assert 'value="now"' not in page
    owner_page = member_client("owner").get(f"/w/{workspace.slug}/posts/new/").content.decode()
    assert 'value="now"' in owner_page


def test_schedule_at_a_local_date_and_time_from_the_composer(member_client, workspace, channels):
    response = compose(
        member_client("editor"),
        workspace,
        channels,
        when="at",
        when_date="2099-06-15",
        when_time="09:30",
    )
    assert response.status_code == 302
    post = Post.objects.get()
    # 09:30 in Kolkata (UTC+5:30) is 04:00 UTC; both variants, each audited as a schedule.
    assert {(v.state, v.scheduled_at) for v in post.variants.all()} == {
        (S.SCHEDULED, datetime(2099, 6, 15, 4, 0, tzinfo=UTC))
    }
    assert AuditEntry.objects.filter(action="variant.schedule").count() == 2


def test_a_refused_schedule_saves_nothing_and_says_why(member_client, workspace, channels):
    response = compose(
        member_client("editor"),
        workspace,
        channels,
        text="x" * 301,  # over Bluesky's 300
        when="at",
        when_date="2099-06-15",
        when_time="09:30",
    )
    assert response.status_code == 400
    assert "Shanti on Bluesky" in response.content.decode()
    assert not Post.objects.exists()


def test_a_past_time_or_a_missing_time_is_refused_before_saving(member_client, workspace, channels):
    client = member_client("editor")
    past = compose(
        client, workspace, channels, when="at", when_date="2001-01-01", when_time="09:00"
    )
    assert past.status_code == 400 and "Choose a time in the future." in past.content.decode()
    missing = compose(client, workspace, channels, when="at", when_date="2099-01-01")
    assert missing.status_code == 400 and "Choose a date and a time." in missing.content.decode()
    assert not Post.objects.exists()


def test_publish_now_from_the_composer(member_client, workspace, channels):
    response = compose(member_client("owner"), workspace, channels, when="now")
    assert response.status_code == 302
    variants = list(Post.objects.get().variants.all())
    assert {v.state for v in variants} == {S.SCHEDULED}
    assert all(v.scheduled_at <= timezone.now() for v in variants)
    assert AuditEntry.objects.filter(action="variant.publish_now").count() == 2


def test_an_editor_cannot_publish_now_by_posting_the_choice(member_client, workspace, channels):
    response = compose(member_client("editor"), workspace, channels, when="now")
    assert response.status_code == 400
    assert "When: Select a valid choice." in response.content.decode()
    assert not Post.objects.exists()


def test_next_free_slot_in_the_queue(member_client, workspace, channels):
    for c in channels:
        QueueSlot.objects.create(channel=c, weekday=0, time=time(10, 0))
    page = member_client("editor").get(f"/w/{workspace.slug}/posts/new/").content.decode()
    assert 'value="queue"' in page
    assert compose(member_client("editor"), workspace, channels, when="queue").status_code == 302
    for variant in Post.objects.get().variants.all():
        local = variant.scheduled_at.astimezone(workspace_settings.zone_of(workspace))
        assert variant.state == S.SCHEDULED
        assert (local.weekday(), local.time()) == (0, time(10, 0))


def test_where_approval_is_required_scheduling_asks_for_it(
    member_client, workspace, channels, members
):
    require_approval(members)
    page = member_client("editor").get(f"/w/{workspace.slug}/posts/new/").content.decode()
    assert "Ask for approval, to publish at a date and time" in page
    response = compose(
        member_client("editor"),
        workspace,
        channels,
        when="at",
        when_date="2099-06-15",
        when_time="09:30",
    )
    assert response.status_code == 302
    post = Post.objects.get()
    planned = datetime(2099, 6, 15, 4, 0, tzinfo=UTC)
    assert {(v.state, v.scheduled_at) for v in post.variants.all()} == {
        (S.PENDING_APPROVAL, planned)
    }
    # Approving schedules them for the time chosen in the composer.
    manager = members["manager"]
    approvals.approve_post(manager, Actor(user=manager.user), post.pk)
    assert {(v.state, v.scheduled_at) for v in post.variants.all()} == {(S.SCHEDULED, planned)}


def test_where_approval_is_required_publish_now_is_not_offered_nor_done(
    member_client, workspace, channels, members
):
    require_approval(members)
    page = member_client("owner").get(f"/w/{workspace.slug}/posts/new/").content.decode()
    assert 'value="now"' not in page
    assert compose(member_client("owner"), workspace, channels, when="now").status_code == 400
    assert not Post.objects.exists()


# --- Uploading in the composer -------------------------------------------------------------------


def png(name="cup.png"):
    return SimpleUploadedFile(name, png_bytes(64, 48), "image/png")


def test_a_file_chosen_in_the_composer_is_stored_in_the_library_and_attached(
    member_client, workspace, channels, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    response = compose(member_client("editor"), workspace, channels, upload=png())
    assert response.status_code == 302
    asset = MediaAsset.objects.get()
    assert (asset.original_name, asset.mime_type, asset.width) == ("cup.png", "image/png", 64)
    assert AuditEntry.objects.filter(action="media.upload").count() == 1
    post = Post.objects.get()
    assert set(VariantMedia.objects.values_list("variant__post", "asset")) == {(post.pk, asset.pk)}
    assert VariantMedia.objects.count() == 2  # on both variants


def test_upload_and_check_shows_the_composer_again_with_the_file_ticked(
    member_client, workspace, channels, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    response = compose(member_client("editor"), workspace, channels, upload=png(), upload_only="1")
    assert response.status_code == 200
    asset = MediaAsset.objects.get()
    page = response.content.decode()
    assert f'name="media_ids" value="{asset.pk}" checked' in page
    assert ">The monsoon blend is back.</textarea>" in page
    assert not Post.objects.exists()


def test_a_file_that_is_not_an_image_or_video_is_refused_by_name(
    member_client, workspace, channels, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("menu.jpg", b"#!/bin/sh\necho hi\n", "image/jpeg")
    response = compose(member_client("editor"), workspace, channels, upload=fake)
    assert response.status_code == 400
    assert "menu.jpg: " in response.content.decode()
    assert not Post.objects.exists() and not MediaAsset.objects.exists()


def test_when_is_in_the_future_by_the_workspace_clock(member_client, workspace, channels):
    # One minute ago in Kolkata is the past even though it is "ahead" of UTC's wall clock.
    zone = workspace_settings.zone_of(workspace)
    local = (timezone.now() - timedelta(minutes=1)).astimezone(zone)
    response = compose(
        member_client("editor"),
        workspace,
        channels,
        when="at",
        when_date=local.strftime("%Y-%m-%d"),
        when_time=local.strftime("%H:%M"),
    )
    assert response.status_code == 400


def test_where_approval_is_required_the_queue_slot_becomes_the_planned_time(
    member_client, workspace, channels, members
):
    require_approval(members)
    for c in channels:
        QueueSlot.objects.create(channel=c, weekday=2, time=time(11, 15))
    assert compose(member_client("editor"), workspace, channels, when="queue").status_code == 302
    for variant in Post.objects.get().variants.all():
        local = variant.scheduled_at.astimezone(workspace_settings.zone_of(workspace))
        assert variant.state == S.PENDING_APPROVAL
        assert (local.weekday(), local.time()) == (2, time(11, 15))


def test_publish_now_to_a_paused_channel_says_it_is_held(member_client, workspace, channels):
    channels[0].state = ChannelState.PAUSED
    channels[0].save()
    response = compose(member_client("owner"), workspace, channels[:1], when="now", follow=True)
    told = [str(m) for m in response.context["messages"]]
    assert told == [
        "Shanti on Bluesky: This channel is paused: its posts wait until you resume it."
    ]
