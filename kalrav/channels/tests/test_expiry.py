"""Credentials that end on a known day: shown on the channel's page, and emailed to whoever
connected the channel 7 days and 1 day ahead, once each per expiry."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from kalrav.channels import expiry
from kalrav.channels.models import Channel, ChannelState


def _channel(workspace, user, days: float) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Chai Corner",
        state=ChannelState.ACTIVE,
        created_by=user,
        credentials_expire_at=timezone.now() + timedelta(days=days),
    )


def test_notices_go_out_7_days_and_1_day_ahead_once_each(workspace, members):
    user = members["manager"].user
    channel = _channel(workspace, user, 6.5)
    far = _channel(workspace, user, 30)
    gone = _channel(workspace, user, -1)
    now = timezone.now()
    assert expiry.due_notices(now) == [(channel.pk, 7)]
    assert expiry.due_notices(now) == []  # recorded: not again
    assert expiry.due_notices(now + timedelta(days=6)) == [(channel.pk, 1)]
    assert expiry.due_notices(now + timedelta(days=6, hours=1)) == []
    far.refresh_from_db()
    gone.refresh_from_db()
    assert far.expiry_notices == [] and gone.expiry_notices == []


def test_a_new_expiry_is_warned_of_again(workspace, members):
    channel = _channel(workspace, members["manager"].user, 5)
    assert expiry.due_notices() == [(channel.pk, 7)]
    Channel.objects.filter(pk=channel.pk).update(
        credentials_expire_at=timezone.now() + timedelta(days=3)
    )
    assert expiry.due_notices() == [(channel.pk, 7)]


def test_the_email_reaches_the_owner_with_a_link(workspace, members, settings):
    user = members["manager"].user
    channel = _channel(workspace, user, 0.5)
    assert expiry.send_notice(channel.pk)
    [sent] = mail.outbox
    assert sent.to == [user.email]
    assert "Chai Corner" in sent.subject
    assert f"/w/{workspace.slug}/settings/channels/{channel.pk}/" in sent.body


def test_the_channel_page_says_when_access_ends(client, workspace, members):
    channel = _channel(workspace, members["manager"].user, 3)
    client.force_login(members["manager"].user)
    html = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert 'id="access-ends"' in html and "Sign in again soon" in html
    Channel.objects.filter(pk=channel.pk).update(
        credentials_expire_at=timezone.now() + timedelta(days=40)
    )
    html = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert 'id="access-ends"' in html and "Sign in again soon" not in html
    Channel.objects.filter(pk=channel.pk).update(credentials_expire_at=None)
    html = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert 'id="access-ends"' not in html
