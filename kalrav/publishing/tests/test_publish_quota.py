"""A network's posting quota (PublishQuota): the publisher holds a publish back while it is spent,
and scheduling refuses a variant whose day is already booked up to what is left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kalrav.connectors import registry
from kalrav.connectors.base import OutgoingPost, PublishedRef, Publisher, PublishQuota
from kalrav.connectors.errors import Transient
from kalrav.publishing import posts, scheduling
from kalrav.publishing.delivery import publisher
from kalrav.publishing.models import Attempt, Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


class QuotaNetwork:
    slug = "quotanet"
    label = "Quota network"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (Publisher, PublishQuota)
    settings_fields = ()
    remaining: int | Exception | None = 5
    published: list[str] = []

    def __init__(self, context):
        self.context = context

    def validate(self, post: OutgoingPost) -> list:
        return []

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        self.published.append(idempotency_key)
        return PublishedRef(f"q{len(self.published)}")

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        pass

    def remaining_posts(self) -> int | None:
        if isinstance(QuotaNetwork.remaining, Exception):
            raise QuotaNetwork.remaining
        return QuotaNetwork.remaining


@pytest.fixture(autouse=True)
def networks():
    registry.reset({**registry.CONNECTORS, "quotanet": f"{__name__}.QuotaNetwork"})
    QuotaNetwork.remaining, QuotaNetwork.published = 5, []
    yield
    registry.reset()


def _variant(members, chan=None) -> Variant:
    editor = members["editor"]
    chan = chan or channel(members["owner"].workspace, network="quotanet", name="Quota")
    post = posts.create_post(
        editor, Actor(user=editor.user), title="Chai", text="Chai at six", channel_ids=[chan.pk]
    )
    return post.variants.get()


def _schedule(members, variant, minutes=30):
    editor = members["editor"]
    return scheduling.schedule_variant(
        editor, Actor(user=editor.user), variant.pk, timezone.now() + timedelta(minutes=minutes)
    )


def test_a_spent_quota_holds_the_publish_with_its_reason(members):
    variant = _schedule(members, _variant(members))
    Variant.objects.filter(pk=variant.pk).update(scheduled_at=timezone.now())
    QuotaNetwork.remaining = 0
    assert publisher.publish_variant(variant.pk) == VariantState.SCHEDULED
    variant.refresh_from_db()
    assert QuotaNetwork.published == []
    assert "limit of posts a day" in variant.last_error
    [attempt] = variant.attempts.all()
    assert attempt.outcome == Attempt.Outcome.RATE_LIMITED


def test_quota_left_publishes(members):
    variant = _schedule(members, _variant(members))
    Variant.objects.filter(pk=variant.pk).update(scheduled_at=timezone.now())
    QuotaNetwork.remaining = 1
    assert publisher.publish_variant(variant.pk) == VariantState.PUBLISHED
    assert QuotaNetwork.published == [variant.idempotency_key]


def test_scheduling_refuses_past_what_is_left_for_the_day(members):
    QuotaNetwork.remaining = 1
    first = _variant(members)
    _schedule(members, first)
    second = _variant(members, first.channel)
    with pytest.raises(ValidationError) as refused:
        _schedule(members, second, minutes=60)
    assert "1 more posts in the next 24 hours" in str(refused.value)
    # Two days ahead the quota used now has freed.
    _schedule(members, second, minutes=60 * 48)


def test_scheduling_goes_ahead_when_the_quota_cannot_be_read(members):
    QuotaNetwork.remaining = Transient("Meta is down")
    _schedule(members, _variant(members))
