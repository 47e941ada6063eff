"""Bulk import: every row is created whole or rejected whole, and the report says why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kalrav.publishing import workspace_settings
from kalrav.publishing.calendar import csv_import
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

CSV = """title,text,channels,date,time,campaign,tags,schedule
Monsoon,The monsoon blend is back,Shanti on Bluesky;Shanti on Mastodon,2099-07-01,09:30,Monsoon,tea;launch,yes
No channel,Hello,Nowhere,2099-07-02,10:00,,,
Bad date,Hello,Shanti on Bluesky,1st of July,25:99,,,
Too long,"{long}",Shanti on Bluesky;Shanti on Mastodon,2099-07-03,10:00,,,yes
Draft,Only planned,shanti on bluesky,2099-07-04,,,,
,,,,,,,
Past,Too late,Shanti on Bluesky,2001-01-01,10:00,,,yes
"""


@pytest.fixture
def channels(workspace):
    return [
        channel(workspace),
        channel(workspace, network="mastodon", name="Shanti on Mastodon", handle="@s@m.test"),
    ]


def run(member, text):
    return csv_import.import_posts(member, Actor(user=member.user), text.encode())


def test_report_lists_every_rejected_row_and_creates_the_rest(members, channels, workspace):
    report = run(members["editor"], CSV.format(long="x" * 400))
    assert [r.line for r in report.created] == [2, 6]
    rejected = {r.line: " ".join(r.errors) for r in report.rejected}
    assert set(rejected) == {3, 4, 5, 8}
    assert "Nowhere" in rejected[3]
    assert "2025-03-31" in rejected[4] and "09:30" in rejected[4]
    assert "Too long" in rejected[5]
    assert "future" in rejected[8]
    # Row 5 passed on Mastodon (500) but not on Bluesky (300): nothing of it was written.
    assert not Post.objects.filter(title="Too long").exists()
    monsoon = Post.objects.get(title="Monsoon")
    assert monsoon.tags == ["tea", "launch"]
    assert set(monsoon.variants.values_list("state", flat=True)) == {VariantState.SCHEDULED}
    # 09:30 in Kolkata (UTC+5:30).
    assert monsoon.variants.first().scheduled_at == datetime(2099, 7, 1, 4, 0, tzinfo=UTC)
    draft = Variant.objects.get(post__title="Draft")
    assert draft.state == VariantState.DRAFT
    assert draft.scheduled_at == datetime(2099, 7, 4, 3, 30, tzinfo=UTC)  # 09:00 by default


def test_rows_to_schedule_need_approval_when_the_workspace_requires_it(members, channels):
    owner = members["owner"]
    workspace_settings.update_publishing_settings(
        owner, Actor(user=owner.user), require_approval=True, reapprove_after_edit=True
    )
    report = run(members["editor"], CSV.format(long="x"))
    assert 2 in {r.line for r in report.rejected}
    assert "requires approval" in " ".join(next(r for r in report.rejected if r.line == 2).errors)


def test_a_file_without_the_needed_columns_is_refused(members, channels):
    report = run(members["editor"], "name,body\nx,y\n")
    assert report.file_errors and "text" in report.file_errors[0] and not report.rows


def test_a_file_not_in_utf8_is_refused(members, channels):
    report = csv_import.import_posts(
        members["editor"],
        Actor(user=members["editor"].user),
        "text,channels,date\né".encode("latin-1"),
    )
    assert "UTF-8" in report.file_errors[0]


def test_import_page_shows_the_report(members, channels, member_client, workspace):

    upload = SimpleUploadedFile("plan.csv", CSV.format(long="x").encode(), "text/csv")
    html = (
        member_client("editor")
        .post(f"/w/{workspace.slug}/calendar/import/", {"file": upload})
        .content.decode()
    )
    assert "No channel called “Nowhere”" in html
    assert "posts created" in html and "rows rejected" in html
