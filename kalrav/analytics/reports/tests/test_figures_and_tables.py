"""What a report says, computed from the stored readings, and the same figures in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from openpyxl import load_workbook
from PIL import Image

from kalrav.analytics.models import ChannelMetric, Click, PostMetric
from kalrav.analytics.reports import documents
from kalrav.analytics.reports.figures import ENGAGEMENTS, Period, compute
from kalrav.analytics.reports.tests import sample
from kalrav.publishing.models import Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(workspace):
    channels = sample.build(workspace)
    period = Period(sample.FIRST, sample.LAST, workspace.time_zone)
    return workspace, channels, period


def _newest(variant, metric, end):
    reading = (
        PostMetric.objects.filter(variant=variant, metric=metric, measured_at__lt=end)
        .order_by("-measured_at")
        .first()
    )
    return reading.value if reading else 0


def test_totals_are_the_newest_readings_at_the_period_end_of_the_posts_published_in_it(built):
    workspace, _channels, period = built
    figures = compute(workspace, period)
    published = Variant.objects.filter(
        post__workspace=workspace, published_at__gte=period.start, published_at__lt=period.end
    )
    assert len(figures.posts) == published.count() > 0
    # Counted one variant at a time, the slow way: the report must agree.
    views = sum(_newest(v, "views", period.end) for v in published)
    engaged = sum(_newest(v, m, period.end) for v in published for m in ENGAGEMENTS)
    assert figures.views == views and figures.engagements == engaged
    assert figures.engagement_rate == pytest.approx(100 * engaged / views)
    # A reading after the period's end changes nothing: last month's report stays put.
    late = published.order_by("-published_at").first()
    PostMetric.objects.create(variant=late, channel=late.channel, metric="likes", value=10**6,
                              measured_at=period.end + timedelta(hours=1))  # fmt: skip
    assert compute(workspace, period).engagements == engaged
    # Clicks by people only, and only in the period.
    people = Click.objects.filter(
        automated=False, at__gte=period.start, at__lt=period.end, link__workspace=workspace
    ).count()
    assert figures.clicks == people < Click.objects.count()


def test_followers_and_growth_per_channel_and_a_channel_filter(built):
    workspace, channels, period = built
    figures = compute(workspace, period, [channels[1].pk])
    assert [c.name for c in figures.channels] == [channels[1].name]
    readings = ChannelMetric.objects.filter(channel=channels[1], metric="followers")
    end = readings.filter(measured_at__lt=period.end).order_by("-measured_at").first().value
    start = readings.filter(measured_at__lt=period.start).order_by("-measured_at").first().value
    assert figures.followers == end and figures.growth == end - start
    assert {p.channel for p in figures.posts} == {channels[1].name}
    assert len(figures.daily) == 14 and figures.daily[-1][3] == end


def test_csv_and_xlsx_hold_the_same_figures_with_translated_headings(built):
    workspace, _channels, period = built
    figures = compute(workspace, period)
    rows = list(csv.reader(io.StringIO(documents.csv_bytes(figures, "en").decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert len(body) == len(figures.posts)
    views = head.index("Views")
    assert sum(float(r[views]) for r in body) == figures.views
    assert "likes" in head
    book = load_workbook(io.BytesIO(documents.xlsx_bytes(figures, "el")))
    assert len(book.sheetnames) == 3
    posts, channel_sheet, audience = (book[name] for name in book.sheetnames)
    assert posts.max_row - 1 == len(figures.posts)
    assert sum(row[1].value or 0 for row in audience.iter_rows(min_row=2)) == sum(
        d[3] or 0 for d in figures.daily
    )
    assert channel_sheet.max_row - 1 == len(figures.channels)
    # The Greek workbook's headings are Greek, not English.
    assert posts.cell(1, 6).value != "Views"


def test_the_cover_carries_the_workspace_logo(built):
    workspace, _channels, period = built
    picture = io.BytesIO()
    Image.new("RGB", (40, 20), "#b91c1c").save(picture, "PNG")
    workspace.logo.save("shanti.png", ContentFile(picture.getvalue()))
    page = documents.html(compute(workspace, period), "gu")
    assert '<img src="file://' in page and "shanti" in page
    assert workspace.name in page
