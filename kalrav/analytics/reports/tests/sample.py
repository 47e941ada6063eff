"""A workspace with two weeks of results: two channels, posts published on most days with
readings that grow, followers read every six hours, tracked links, clicks and conversions.
Built straight in the database: these tests are about what is computed from stored readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kalrav.analytics.models import ChannelMetric, Click, Conversion, PostMetric, TrackedLink
from kalrav.channels.models import Channel, ChannelState
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.workspaces.models import Workspace

FIRST = date(2026, 11, 2)
LAST = date(2026, 11, 15)
TITLES = {
    "en": "Chai at six",
    "bn": "সন্ধ্যার চা ক্ষমা",
    "hi": "शाम की चाय क्षमा",
    "gu": "સાંજની ચા ક્ષમા",
    "el": "Τσάι στις έξι",
}


def build(workspace: Workspace) -> list[Channel]:
    made = [
        Channel.objects.create(
            workspace=workspace,
            network="sandbox",
            name=name,
            state=ChannelState.ACTIVE,
            credentials="sealed-secret-not-for-export",
        )
        for name in ("Shanti Tea · Bluesky", "Shanti Tea · Mastodon")
    ]
    start = datetime(2026, 10, 30, tzinfo=UTC)
    readings, audience = [], []
    languages = list(TITLES)
    for day in range(17):
        for index, channel in enumerate(made):
            if (day + index) % 3 == 2:
                continue  # not every channel posts every day
            published = start + timedelta(days=day, hours=9 + index)
            title = f"{TITLES[languages[day % 5]]} {day}"
            post = Post.objects.create(workspace=workspace, title=title, text=title)
            variant = Variant.objects.create(
                post=post,
                channel=channel,
                text=title,
                state=VariantState.PUBLISHED,
                published_at=published,
                remote_id=f"r-{day}-{index}",
                remote_url=f"https://example.test/p/{day}-{index}",
            )
            for hours in (1, 6, 48):
                grown = hours * (day + 3 + index)
                for metric, value in (
                    ("views", 40 * grown),
                    ("likes", 3 * grown),
                    ("reposts", grown),
                    ("replies", grown // 2),
                ):
                    readings.append(
                        PostMetric(
                            variant=variant,
                            channel=channel,
                            metric=metric,
                            value=value,
                            measured_at=published + timedelta(hours=hours),
                        )
                    )
            if day % 4 == 0:
                link = TrackedLink.objects.create(
                    workspace=workspace,
                    post=post,
                    variant=variant,
                    channel=channel,
                    target="https://shanti.example/tea",
                    destination="https://shanti.example/tea?utm_source=x",
                )
                clicks = [
                    Click.objects.create(
                        link=link,
                        at=published + timedelta(hours=2, minutes=n),
                        visitor=f"v{n}",
                        automated=n == 0,
                    )
                    for n in range(4)
                ]
                Conversion.objects.create(
                    workspace=workspace,
                    kind="sale",
                    event_id=f"order-{day}-{index}",
                    value=Decimal("499.50"),
                    currency="INR",
                    source="server",
                    occurred_at=published + timedelta(hours=3),
                    click=clicks[1],
                    link=link,
                    post=post,
                    channel=channel,
                )
        for quarter in range(4):
            for index, channel in enumerate(made):
                audience.append(
                    ChannelMetric(
                        channel=channel,
                        metric="followers",
                        value=1000 * (index + 1) + 7 * day + quarter,
                        measured_at=start + timedelta(days=day, hours=6 * quarter),
                    )
                )
    PostMetric.objects.bulk_create(readings)
    ChannelMetric.objects.bulk_create(audience)
    return made
