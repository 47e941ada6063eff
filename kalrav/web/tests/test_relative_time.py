"""`|ago`: "just now" below a minute, "N minutes ago" after, in the reader's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import mention
from kalrav.web.templatetags.relative_time import ago, just_now


def test_below_a_minute_is_just_now():
    now = timezone.now()
    assert ago(now - timedelta(seconds=59)) == "just now"
    assert ago(now + timedelta(seconds=30)) == "just now"  # a network's clock a little ahead
    assert just_now(now - timedelta(seconds=5)) is True
    assert ago(None) == ""


def test_a_minute_and_more_counts_minutes():
    now = timezone.now()
    assert ago(now - timedelta(seconds=61)) == "1\xa0minute ago"
    assert ago(now - timedelta(hours=3, minutes=2)) == "3\xa0hours, 2\xa0minutes ago"
    assert just_now(now - timedelta(minutes=2)) is False


def test_just_now_is_translated():
    with translation.override("hi"):
        said = ago(timezone.now())
    assert said and said != "just now"


@pytest.mark.django_db
def test_the_newest_mention_reads_just_now(member_client, workspace):
    monitor = Monitor.objects.create(workspace=workspace, name="Tea", query="tea")
    mention(monitor, timezone.now() - timedelta(seconds=10))
    mention(monitor, timezone.now() - timedelta(minutes=5))
    page = member_client("manager").get(
        reverse("listening:mentions", kwargs={"ws": workspace.slug}), {"period": ""}
    )
    html = page.content.decode()
    assert "just now" in html
    assert "5\xa0minutes ago" in html
    assert "0\xa0minutes" not in html
