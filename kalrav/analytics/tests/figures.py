"""Made-up published posts and readings for the dashboard, rollup and best-time tests."""

from __future__ import annotations

import itertools
from datetime import datetime

from kalrav.analytics.models import PostMetric
from kalrav.analytics.rollups import services as rollups
from kalrav.publishing.models import Post, Variant, VariantState

_ids = itertools.count(1)


def published(channel, at: datetime, *, tags=(), campaign="", language="bn") -> Variant:
    post = Post.objects.create(
        workspace=channel.workspace, title=f"Post {next(_ids)}", text="চা", tags=list(tags),
        campaign=campaign,
    )  # fmt: skip
    return Variant.objects.create(
        post=post,
        channel=channel,
        text="চা",
        state=VariantState.PUBLISHED,
        published_at=at,
        remote_id=f"r-{next(_ids)}",
        options={"language": language},
    )


def read(variant: Variant, at: datetime, **values: float) -> list[PostMetric]:
    """Store readings as the collection does: added rows, then the rollups told."""
    rows = PostMetric.objects.bulk_create(
        PostMetric(variant=variant, channel_id=variant.channel_id, metric=name, value=value,
                   measured_at=at)
        for name, value in values.items()
    )  # fmt: skip
    rollups.apply_post_readings(rows)
    return rows
