"""Dashboards and share of voice: the numbers against hand counts, tables and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kalrav.listening.dashboards import queries
from kalrav.listening.dashboards.views import net_sentiment
from kalrav.listening.models import Monitor, MonitorKind
from kalrav.listening.tests.factories import mention


@pytest.fixture
def monitors(workspace):
    brand = Monitor.objects.create(workspace=workspace, name="Acme", query="acme")
    rival = Monitor.objects.create(
        workspace=workspace, name="Rival", query="rival", kind=MonitorKind.COMPETITOR
    )
    now = timezone.now()
    day = timedelta(days=1)
    # Hand count for Acme: 3 positive, 1 negative, 2 neutral; 2 in Hindi; ana 3 times.
    mention(brand, now - 2 * day, sentiment="positive", author="ana", text="Love #AcmeTea chai")
    mention(brand, now - 2 * day, sentiment="positive", author="ana", text="acme chai again")
    mention(
        brand, now - day, sentiment="positive", author="ana", text="चाय अच्छी acme", language="hi"
    )
    mention(brand, now - day, sentiment="negative", author="bo", text="acme late delivery")
    mention(
        brand,
        now - 3 * day,
        sentiment="neutral",
        author="cy",
        text="acme chai price",
        language="hi",
    )
    mention(brand, now - 40 * day, sentiment="neutral", author="old", text="too old to count")
    mention(brand, now - 3 * day, sentiment="neutral", author="dee", text="acme #acmetea")
    mention(rival, now - day, sentiment="neutral", author="eve", text="rival tea")
    mention(rival, now - day, sentiment="neutral", author="eve", text="rival tea")
    return brand, rival


def test_net_sentiment_is_defined_and_bounded():
    assert net_sentiment(3, 1) == 0.5
    assert net_sentiment(0, 4) == -1
    assert net_sentiment(0, 0) is None


def test_counts_match_a_hand_count(monitors):
    brand, _ = monitors
    now = timezone.now()
    since = now - timedelta(days=30)
    assert dict(queries.languages(brand.pk, since, now)) == {"en": 4, "hi": 2}
    assert queries.top_authors(brand.pk, since, now)[0] == ("ana", "bluesky", 3)
    words, tags, read = queries.terms(brand.pk, since, now)
    assert read == 6
    assert dict(tags) == {"#acmetea": 2}
    assert dict(words)["chai"] == 3 and dict(words)["acme"] == 5 and "अच्छी" in dict(words)


def test_the_dashboard_page_shows_the_counts_tables_and_definition(monitors, member_client):
    brand, _ = monitors
    url = reverse(
        "listening_dashboards:monitor", kwargs={"ws": brand.workspace.slug, "monitor_id": brand.pk}
    )
    page = member_client("analyst").get(url).content.decode()
    assert "(positive − negative) ÷ (positive + negative)" in page
    assert "data-net>0.50<" in page  # (3 - 1) / (3 + 1)
    for chart in ("volume", "net", "authors", "sources", "languages", "terms", "hashtags"):
        assert f'id="chart-{chart}"' in page
    assert page.count('<details class="chart-table">') == 7


def test_the_volume_csv_adds_up(monitors, member_client):
    brand, _ = monitors
    url = reverse(
        "listening_dashboards:monitor", kwargs={"ws": brand.workspace.slug, "monitor_id": brand.pk}
    )
    response = member_client("analyst").get(url, {"csv": "volume", "days": "30"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][1:] == ["Positive", "Neutral", "Negative"]
    totals = [sum(float(r[i]) for r in rows[1:]) for i in (1, 2, 3)]
    assert totals == [3, 2, 1]
    assert len(rows) == 31 or len(rows) == 32  # a row per day of the period


def test_share_of_voice_against_a_hand_count(monitors, member_client):
    brand, _ = monitors
    url = reverse("listening_dashboards:share-of-voice", kwargs={"ws": brand.workspace.slug})
    response = member_client("editor").get(url, {"csv": "share"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["Acme (Brand)", "75.0"] and rows[2] == ["Rival (Competitor)", "25.0"]
    page = member_client("editor").get(url).content.decode()
    assert "75%" in page


def test_the_dashboard_costs_the_same_queries_however_much_was_heard(
    monitors, member_client, django_assert_max_num_queries
):
    brand, _ = monitors
    client = member_client("analyst")
    url = reverse(
        "listening_dashboards:monitor", kwargs={"ws": brand.workspace.slug, "monitor_id": brand.pk}
    )
    client.get(url)  # sessions and caches settle
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    now = timezone.now()
    for i in range(60):
        mention(brand, now - timedelta(hours=i), author=f"a{i}", text=f"acme #tag{i} word{i}")
    with django_assert_max_num_queries(len(few)):
        client.get(url)
