"""Trends: the statistic, and terms rising per language with the posts that show them."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import bulk
from kalrav.listening.trends import services, stats


def test_g2_is_zero_for_the_same_rate_and_grows_with_evidence():
    assert stats.g2(10, 70, 100, 700) < 1e-9
    assert stats.g2(30, 10, 100, 700) > stats.g2(6, 2, 100, 700) > 0


def test_rising_needs_count_ratio_and_significance():
    recent = {"chai": 40, "tea": 50, "rare": 3, "new": 12}
    baseline = {"chai": 20, "tea": 340}
    found = stats.rising(recent, baseline, 100, 700)
    assert [r.term for r in found] == ["chai", "new"]
    assert found[0].ratio > 2


def test_trends_per_language_with_examples_and_days(workspace):
    monitor = Monitor.objects.create(workspace=workspace, name="Acme", query="acme")
    now = timezone.now()
    week = [now - timedelta(days=d, hours=3) for d in range(1, 8) for _ in range(5)]
    bulk(monitor, week, text="acme tea morning")
    bulk(monitor, week[:14], text="acme चाय सुबह", language="hi")
    today = [now - timedelta(hours=h) for h in range(1, 9)]
    bulk(monitor, today, text="acme tea #monsoonsale morning")
    bulk(monitor, today, text="acme चाय मिलावट", language="hi")
    found = services.trends(workspace.pk, now)
    assert [t.term for t in found["en"]] == ["#monsoonsale"]
    assert [t.term for t in found["hi"]] == ["मिलावट"]
    trend = found["hi"][0]
    assert trend.recent == 8 and trend.baseline == 0 and trend.days[-1] == 8
    assert len(trend.examples) == 3 and all("मिलावट" in m.text for m in trend.examples)


def test_the_trends_page_lists_them(workspace, member_client):
    monitor = Monitor.objects.create(workspace=workspace, name="Acme", query="acme")
    now = timezone.now()
    bulk(monitor, [now - timedelta(days=d) for d in range(2, 8)], text="acme tea")
    bulk(monitor, [now - timedelta(hours=h) for h in range(1, 7)], text="acme #festivetea")
    page = (
        member_client("agent")
        .get(reverse("listening_trends:trends", kwargs={"ws": workspace.slug}))
        .content.decode()
    )
    assert "#festivetea" in page and '<svg class="spark"' in page


def test_the_trends_page_says_what_it_needs_when_empty(workspace, member_client):
    page = (
        member_client("agent")
        .get(reverse("listening_trends:trends", kwargs={"ws": workspace.slug}))
        .content.decode()
    )
    assert "Nothing is rising" in page
