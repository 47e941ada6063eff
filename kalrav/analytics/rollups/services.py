"""Keeping the rollups (rollups.models) up to date: incrementally as readings are stored, and
from scratch with `manage.py rebuild_analytics_rollups`.

Incrementally, a new reading changes its variant's newest value by a difference (often zero);
that difference is added to the channel's day and hour of the post's publication. Summing the
differences gives the newest values, so a rebuild (the sum of each variant's newest values) and
the incremental path agree; tests/test_rollups.py checks that they do.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction

from kalrav.analytics.models import ChannelMetric, PostMetric
from kalrav.analytics.rollups.models import AudienceDay, ChannelDay, ChannelHour, PostFigures
from kalrav.connectors.declared import metrics
from kalrav.publishing.models import Post, Variant

# What "engagements" adds up, where a network counts these (its own names for them); the Results
# card uses the same list.
ENGAGED, SEEN, POSTS = "@engagements", "@impressions", "@posts"
DERIVED = (ENGAGED, SEEN, POSTS)

Key = tuple[int, object, str]  # channel, day or hour, metric


engagements_of = metrics.engagements_of
impressions_of = metrics.seen_of


def tag_text(tags: Iterable[str]) -> str:
    cleaned = [str(t).strip().lower().replace("|", "") for t in tags if str(t).strip()]
    return f"|{'|'.join(cleaned)}|" if cleaned else ""


def _language(variant: Variant) -> str:
    chosen = str((variant.options or {}).get("language") or "")
    if chosen:
        return chosen[:8]
    try:
        from kalrav.nlp.services import language_of

        return language_of(variant.text)[:8]
    except Exception:  # no language model installed: the filter just lacks the language
        return ""


def _hour(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.replace(minute=0, second=0, microsecond=0)


def _new_figures(variant: Variant) -> PostFigures:
    post = variant.post
    zone = zoneinfo.ZoneInfo(post.workspace.time_zone)
    published = variant.published_at
    assert published is not None
    return PostFigures(
        variant=variant,
        post=post,
        workspace_id=post.workspace_id,
        channel_id=variant.channel_id,
        network=variant.channel.network,
        language=_language(variant),
        campaign=post.campaign,
        tags=tag_text(post.tags or []),
        published_at=published,
        day=published.astimezone(zone).date(),
        values={},
        read_at={},
    )


def _add(sums: dict[Key, float], figures: PostFigures, metric: str, delta: float) -> None:
    if delta:
        sums[(figures.channel_id, figures.day, metric)] += delta
        sums[(figures.channel_id, _hour(figures.published_at), metric)] += delta


@transaction.atomic
def apply_post_readings(readings: Iterable[PostMetric]) -> None:
    """Fold newly stored readings into the rollups (called by the collection after storing)."""
    by_variant: dict[int, list[PostMetric]] = defaultdict(list)
    for reading in readings:
        by_variant[reading.variant_id].append(reading)
    if not by_variant:
        return
    known = {
        f.variant_id: f
        for f in PostFigures.objects.select_for_update().filter(variant_id__in=list(by_variant))
    }
    missing = [v for v in by_variant if v not in known]
    made: list[PostFigures] = []
    for variant in Variant.objects.filter(pk__in=missing).select_related(
        "post__workspace", "channel"
    ):
        if variant.published_at is None:
            continue
        known[variant.pk] = figures = _new_figures(variant)
        made.append(figures)
    sums: dict[Key, float] = defaultdict(float)
    for figures in made:
        _add(sums, figures, POSTS, 1)
    for variant_id, rows in by_variant.items():
        if variant_id not in known:
            continue  # not published (yet): nothing to count it on
        figures = known[variant_id]
        before_engaged, before_seen = figures.engagements, figures.impressions
        for reading in sorted(rows, key=lambda r: r.measured_at):
            stamp = reading.measured_at.timestamp()
            if figures.read_at.get(reading.metric, float("-inf")) > stamp:
                continue  # an older reading arriving late changes nothing
            delta = reading.value - figures.values.get(reading.metric, 0.0)
            figures.values[reading.metric] = reading.value
            figures.read_at[reading.metric] = stamp
            _add(sums, figures, reading.metric, delta)
        figures.engagements = engagements_of(figures.values)
        figures.impressions = impressions_of(figures.values)
        _add(sums, figures, ENGAGED, figures.engagements - before_engaged)
        _add(sums, figures, SEEN, figures.impressions - before_seen)
    fresh = {id(f) for f in made}
    PostFigures.objects.bulk_create(made)
    older = [f for f in known.values() if id(f) not in fresh]
    # A campaign named or a tag added after publication counts from the next reading on.
    posts = dict(
        (pk, (campaign, tag_text(tags or [])))
        for pk, campaign, tags in Post.objects.filter(
            pk__in={f.post_id for f in older}
        ).values_list("pk", "campaign", "tags")
    )
    for figures in older:
        figures.campaign, figures.tags = posts.get(
            figures.post_id, (figures.campaign, figures.tags)
        )
    fields = ["values", "read_at", "engagements", "impressions", "campaign", "tags"]
    PostFigures.objects.bulk_update(older, fields)
    _add_sums(sums)


def _add_sums(sums: dict[Key, float]) -> None:
    days = {
        k: v for k, v in sums.items() if isinstance(k[1], date) and not isinstance(k[1], datetime)
    }
    hours = {k: v for k, v in sums.items() if isinstance(k[1], datetime)}
    _add_to(ChannelDay, "day", days)
    _add_to(ChannelHour, "hour", hours)


def _add_to(model: type[ChannelDay] | type[ChannelHour], when: str, sums: dict[Key, float]) -> None:
    """Add to the sums in one statement: an upsert that adds (SQLite 3.24+ and PostgreSQL speak
    the same ON CONFLICT), so concurrent collectors never lose each other's additions."""
    if not sums:
        return
    table = model._meta.db_table
    adapt: Any = (
        connection.ops.adapt_datefield_value
        if when == "day"
        else connection.ops.adapt_datetimefield_value
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            # Table and column names come from the models, never from input.
            f"INSERT INTO {table} (channel_id, {when}, metric, value) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (channel_id, metric, {when}) DO UPDATE SET value = {table}.value + "
            "excluded.value",
            [
                (channel, adapt(moment), metric, delta)
                for (channel, moment, metric), delta in sums.items()
            ],
        )


@transaction.atomic
def apply_channel_readings(readings: Iterable[ChannelMetric]) -> None:
    """A channel-wide reading becomes the day's value unless a later one of that day is known."""
    for reading in readings:
        zone = zoneinfo.ZoneInfo(reading.channel.workspace.time_zone)
        day = reading.measured_at.astimezone(zone).date()
        found = AudienceDay.objects.filter(
            channel_id=reading.channel_id, metric=reading.metric, day=day
        ).first()
        if found is None:
            AudienceDay.objects.create(
                channel_id=reading.channel_id,
                metric=reading.metric,
                day=day,
                value=reading.value,
                measured_at=reading.measured_at,
            )
        elif found.measured_at <= reading.measured_at:
            found.value, found.measured_at = reading.value, reading.measured_at
            found.save(update_fields=["value", "measured_at"])


@transaction.atomic
def rebuild(workspace_id: int | None = None, *, chunk: int = 2000) -> int:
    """Every rollup made again from the readings (after a time zone change, a repair, an import);
    returns how many variants have figures."""
    variants = Variant.objects.exclude(published_at=None)
    audience = ChannelMetric.objects.all()
    if workspace_id is not None:
        variants = variants.filter(post__workspace_id=workspace_id)
        audience = audience.filter(channel__workspace_id=workspace_id)
        ChannelDay.objects.filter(channel__workspace_id=workspace_id).delete()
        ChannelHour.objects.filter(channel__workspace_id=workspace_id).delete()
        AudienceDay.objects.filter(channel__workspace_id=workspace_id).delete()
        PostFigures.objects.filter(workspace_id=workspace_id).delete()
    else:
        ChannelDay.objects.all().delete()
        ChannelHour.objects.all().delete()
        AudienceDay.objects.all().delete()
        PostFigures.objects.all().delete()
    ids = list(variants.filter(metrics__isnull=False).distinct().values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        apply_post_readings(
            PostMetric.objects.filter(variant_id__in=part).order_by("measured_at", "id")
        )
    apply_channel_readings(audience.select_related("channel__workspace").order_by("measured_at"))
    return len(ids)


def measured_posts(
    channel_id: int, since: datetime, until: datetime, min_impressions: int
) -> list[tuple[datetime, float, float]]:
    """Each measured post of a channel published in [since, until): when, engagements and
    impressions, for publishing's best time to post (kalrav.publishing.queues.best_time)."""
    return list(
        PostFigures.objects.filter(
            channel_id=channel_id,
            published_at__gte=since,
            published_at__lt=until,
            impressions__gte=min_impressions,
        ).values_list("published_at", "engagements", "impressions")
    )
