"""The publisher against a fake network: every outcome, the retry arithmetic, reconciliation after
an unknown outcome, and the rules that keep an unapproved or paused variant from going out."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kalrav.channels.models import ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import (
    ConnectorContext,
    IdempotentPublisher,
    OutgoingPost,
    PublishedRef,
    Publisher,
    Reconciler,
    opened,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from kalrav.publishing import posts, scheduling, workspace_settings
from kalrav.publishing.delivery import leases, publisher, sweep
from kalrav.publishing.models import (
    Attempt,
    MediaAsset,
    Notification,
    Variant,
    VariantMedia,
    VariantState,
)
from kalrav.publishing.tests.helpers import channel, png_bytes
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db

S = VariantState
O = Attempt.Outcome  # noqa: E741


class FakeNetwork:
    """Answers each publish with the next item of `script` (an exception is raised; anything else
    publishes). Keeps what it was sent, keyed by idempotency key, like an idempotent network."""

    slug = "fakenet"
    label = "Fake network"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (Publisher, IdempotentPublisher)
    settings_fields = ()
    script: list = []
    calls: list[tuple[OutgoingPost, str]] = []
    stored: dict[str, PublishedRef] = {}

    def __init__(self, context):
        self.context = context

    def validate(self, post: OutgoingPost) -> list:
        return []

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        FakeNetwork.calls.append((post, idempotency_key))
        step = FakeNetwork.script.pop(0) if FakeNetwork.script else None
        if isinstance(step, Exception):
            raise step
        return self._store(idempotency_key)

    def _store(self, idempotency_key: str) -> PublishedRef:
        return FakeNetwork.stored.setdefault(
            idempotency_key,
            PublishedRef(
                f"r{len(FakeNetwork.stored) + 1}", f"https://fake.test/p/{idempotency_key}"
            ),
        )

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        return None

    def idempotency_key_window(self) -> timedelta | None:
        return None


class BlindNetwork(FakeNetwork):
    """A network that takes no idempotency key and cannot be searched (Telegram's situation):
    every publish is a new post, as on the weakest real network."""

    slug = "blindnet"
    capabilities: tuple[type, ...] = (Publisher,)
    # A Protocol method set to None is not implemented: this is no IdempotentPublisher.
    idempotency_key_window = None  # type: ignore[assignment]

    def _store(self, idempotency_key: str) -> PublishedRef:
        number = len(FakeNetwork.stored) + 1
        ref = PublishedRef(f"r{number}", f"https://fake.test/p/{number}")
        FakeNetwork.stored[f"{idempotency_key}#{number}"] = ref
        return ref


class SearchableNetwork(BlindNetwork):
    """No idempotency key, but the channel's recent posts can be searched."""

    slug = "searchnet"
    capabilities: tuple[type, ...] = (Publisher, Reconciler)
    found: PublishedRef | None = None
    searched: list[str] = []

    def reconcile(self, post, *, idempotency_key, not_before):
        SearchableNetwork.searched.append(idempotency_key)
        return SearchableNetwork.found


@pytest.fixture(autouse=True)
def networks():
    registry.reset(
        {
            **registry.CONNECTORS,
            "fakenet": f"{__name__}.FakeNetwork",
            "blindnet": f"{__name__}.BlindNetwork",
            "searchnet": f"{__name__}.SearchableNetwork",
        }
    )
    FakeNetwork.script, FakeNetwork.calls, FakeNetwork.stored = [], [], {}
    SearchableNetwork.found, SearchableNetwork.searched = None, []
    yield
    registry.reset()


def due_variant(members, network="fakenet", text="Chai at six. #ShantiTea") -> Variant:
    workspace = members["owner"].workspace
    editor = members["editor"]
    chan = channel(workspace, network=network, name=f"Shanti on {network}")
    post = posts.create_post(
        editor, Actor(user=editor.user), title="Chai", text=text, channel_ids=[chan.pk]
    )
    variant = post.variants.get()
    scheduling.schedule_variant(
        editor, Actor(user=editor.user), variant.pk, timezone.now() + timedelta(minutes=5)
    )
    # Due now: the services refuse a time in the past, the publisher is what happens after.
    Variant.objects.filter(pk=variant.pk).update(scheduled_at=timezone.now())
    return Variant.objects.select_related("channel", "post").get(pk=variant.pk)


def test_success_publishes_once_with_the_variants_key(members):
    variant = due_variant(members)
    assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    variant.refresh_from_db()
    assert variant.state == S.PUBLISHED
    assert variant.remote_id == "r1"
    assert variant.remote_url == f"https://fake.test/p/{variant.idempotency_key}"
    assert variant.published_at is not None
    [(post, key)] = FakeNetwork.calls
    assert key == variant.idempotency_key and post.text == variant.text
    [attempt] = variant.attempts.all()
    assert attempt.outcome == O.PUBLISHED and attempt.finished_at is not None
    # Published is final: asking again claims nothing and sends nothing.
    assert publisher.publish_variant(variant.pk) is None
    assert len(FakeNetwork.calls) == 1


def test_media_go_out_by_storage_name(members):

    variant = due_variant(members)
    asset = MediaAsset(
        workspace=variant.post.workspace, kind="image", mime_type="image/png", size=10
    )
    asset.alt_text = "A cup of chai"
    asset.file.save("x.png", ContentFile(png_bytes()), save=True)
    VariantMedia.objects.create(variant=variant, asset=asset, position=0)
    publisher.publish_variant(variant.pk)
    [(post, _key)] = FakeNetwork.calls
    [item] = post.media
    assert item.source == asset.file.name and item.alt_text == "A cup of chai"


def test_rejected_fails_without_retry_and_tells_author_and_managers(
    members, django_capture_on_commit_callbacks
):
    variant = due_variant(members)
    FakeNetwork.script = [Rejected("Text too long for this instance (max 500)")]
    with django_capture_on_commit_callbacks(execute=True):
        assert publisher.publish_variant(variant.pk) == S.FAILED
    variant.refresh_from_db()
    assert variant.state == S.FAILED
    assert variant.last_error == "Text too long for this instance (max 500)"
    [attempt] = variant.attempts.all()
    assert (attempt.outcome, attempt.error_type) == (O.REJECTED, "Rejected")
    assert attempt.error_text == "Text too long for this instance (max 500)"
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert told == {"owner@example.test", "manager@example.test", "editor@example.test"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told)
    assert "Text too long" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="variant.failed").exists()
    assert publisher.publish_variant(variant.pk) is None  # no retry
    assert len(FakeNetwork.calls) == 1


def test_auth_expired_fails_and_marks_the_channel_for_reconnecting(members):
    variant = due_variant(members)
    FakeNetwork.script = [AuthExpired("The access token was revoked")]
    assert publisher.publish_variant(variant.pk) == S.FAILED
    variant.refresh_from_db()
    variant.channel.refresh_from_db()
    assert variant.state == S.FAILED
    assert variant.channel.state == ChannelState.NEEDS_RECONNECT
    assert variant.channel.last_error == "The access token was revoked"
    assert variant.attempts.get().outcome == O.AUTH_EXPIRED
    assert Notification.objects.filter(variant=variant).count() == 3


def test_rate_limited_retries_after_what_the_network_said(members):
    variant = due_variant(members)
    FakeNetwork.script = [RateLimited("Slow down", retry_after=300)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        start = timezone.now()
        assert publisher.publish_variant(variant.pk) == S.SCHEDULED
        variant.refresh_from_db()
        assert variant.state == S.SCHEDULED
        assert variant.scheduled_at == start + timedelta(seconds=300)
        assert variant.last_error == "Slow down"
        assert variant.attempts.get().outcome == O.RATE_LIMITED
        variant.channel.refresh_from_db()
        assert variant.channel.state == ChannelState.RATE_LIMITED
        clock.shift(timedelta(seconds=299))
        assert publisher.publish_variant(variant.pk) is None  # not due yet
        clock.shift(timedelta(seconds=2))
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    assert [key for _post, key in FakeNetwork.calls] == [variant.idempotency_key] * 2
    variant.channel.refresh_from_db()
    assert variant.channel.state == ChannelState.ACTIVE  # a success clears the limit
    assert Notification.objects.count() == 0


def test_rate_limit_without_retry_after_uses_the_backoff(members):
    variant = due_variant(members)
    FakeNetwork.script = [RateLimited("429")]
    with time_machine.travel(timezone.now(), tick=False):
        start = timezone.now()
        publisher.publish_variant(variant.pk)
        variant.refresh_from_db()
        wait = variant.scheduled_at - start
    assert publisher.BACKOFF_BASE / 2 <= wait <= publisher.BACKOFF_BASE


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(7)  # noqa: S311 - jitter, not secrets
    for n in range(1, 12):
        step = min(publisher.BACKOFF_BASE * 2 ** (n - 1), publisher.BACKOFF_MAX)
        for _ in range(50):
            delay = publisher.backoff(n, rng)
            assert step / 2 <= delay <= step
    seeded = [random.Random(n) for n in (0, 1)]  # noqa: S311 - jitter, not secrets
    assert publisher.backoff(1, seeded[0]) != publisher.backoff(1, seeded[1])
    assert publisher.backoff(40, rng) <= publisher.BACKOFF_MAX


def test_transient_retries_with_backoff_then_fails(members, django_capture_on_commit_callbacks):
    variant = due_variant(members)
    FakeNetwork.script = [Transient("502 Bad Gateway")] * publisher.MAX_ATTEMPTS
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(1, publisher.MAX_ATTEMPTS):
            before = timezone.now()
            assert publisher.publish_variant(variant.pk) == S.SCHEDULED
            variant.refresh_from_db()
            wait = variant.scheduled_at - before
            step = publisher.BACKOFF_BASE * 2 ** (n - 1)
            assert step / 2 <= wait <= step
            waits.append(wait)
            clock.shift(wait)
        with django_capture_on_commit_callbacks(execute=True):
            assert publisher.publish_variant(variant.pk) == S.FAILED
    variant.refresh_from_db()
    assert variant.state == S.FAILED and variant.last_error == "502 Bad Gateway"
    outcomes = list(variant.attempts.order_by("started_at", "id").values_list("outcome", flat=True))
    assert outcomes == [O.TRANSIENT] * publisher.MAX_ATTEMPTS
    assert len(FakeNetwork.calls) == publisher.MAX_ATTEMPTS
    assert len(mail.outbox) == 3


def test_transient_then_success_sends_the_same_key(members):
    variant = due_variant(members)
    FakeNetwork.script = [Transient("timeout")]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        publisher.publish_variant(variant.pk)
        clock.shift(publisher.BACKOFF_BASE)
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    keys = {key for _post, key in FakeNetwork.calls}
    assert keys == {variant.idempotency_key}
    assert len(FakeNetwork.stored) == 1


def _die_while_publishing(variant: Variant) -> None:
    """A worker claimed the variant, wrote its attempt, called the network and died."""
    held = leases.claim_variant(variant.pk, "dead-worker", lease=timedelta(seconds=30))
    assert held is not None
    leases.start_attempt(held)


def test_a_dead_workers_variant_is_taken_over_and_resent_with_the_same_key(members):
    variant = due_variant(members)
    _die_while_publishing(variant)
    assert publisher.publish_variant(variant.pk) is None  # the lease still holds
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    outcomes = list(variant.attempts.order_by("started_at", "id").values_list("outcome", flat=True))
    assert outcomes == [O.UNKNOWN, O.PUBLISHED]
    assert [key for _post, key in FakeNetwork.calls] == [variant.idempotency_key]


def test_unknown_outcome_on_a_network_without_keys_or_search_fails_visibly(members):
    variant = due_variant(members, network="blindnet")
    _die_while_publishing(variant)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert publisher.publish_variant(variant.pk) == S.FAILED
    variant.refresh_from_db()
    assert FakeNetwork.calls == []  # never resent blind
    assert "cannot check" in variant.last_error
    assert variant.attempts.order_by("-id").first().outcome == O.UNKNOWN
    assert Notification.objects.filter(variant=variant).exists()


def test_transient_on_a_network_without_keys_or_search_fails_visibly(members):
    variant = due_variant(members, network="blindnet")
    FakeNetwork.script = [Transient("connection reset")]
    assert publisher.publish_variant(variant.pk) == S.FAILED
    variant.refresh_from_db()
    assert "connection reset" in variant.last_error and "cannot check" in variant.last_error
    assert len(FakeNetwork.calls) == 1


def test_mastodon_keys_expire_so_a_late_unknown_outcome_fails_visibly(members):
    mastodon = MastodonConnector(ConnectorContext(1, {"instance_url": "https://m.example"}))
    bluesky = BlueskyConnector(ConnectorContext(2))
    with opened(mastodon):
        assert publisher._key_still_known(mastodon, timezone.now(), timezone.now())
        window = mastodon.idempotency_key_window()
        assert window == timedelta(hours=1)
        old = timezone.now() - window - timedelta(seconds=1)
        assert not publisher._key_still_known(mastodon, old, timezone.now())
        assert publisher._key_still_known(bluesky, old, timezone.now())


def test_reconciliation_finds_the_post_and_does_not_send_again(members):
    variant = due_variant(members, network="searchnet")
    _die_while_publishing(variant)
    SearchableNetwork.found = PublishedRef("m-77", "https://search.test/m/77")
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    variant.refresh_from_db()
    assert (variant.remote_id, variant.remote_url) == ("m-77", "https://search.test/m/77")
    assert FakeNetwork.calls == []
    assert SearchableNetwork.searched == [variant.idempotency_key]


def test_reconciliation_that_finds_nothing_sends_again(members):
    variant = due_variant(members, network="searchnet")
    _die_while_publishing(variant)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    assert len(FakeNetwork.calls) == 1
    outcomes = list(variant.attempts.order_by("started_at", "id").values_list("outcome", flat=True))
    assert outcomes == [O.UNKNOWN, O.UNKNOWN, O.PUBLISHED]


def test_an_unapproved_variant_never_publishes(members):
    variant = due_variant(members)
    workspace_settings.update_publishing_settings(
        members["owner"],
        Actor(user=members["owner"].user),
        require_approval=True,
        reapprove_after_edit=True,
    )
    assert variant.approved_at is None
    assert publisher.publish_variant(variant.pk) == S.FAILED
    assert FakeNetwork.calls == []
    variant.refresh_from_db()
    assert variant.state == S.FAILED and "not approved" in variant.last_error


def test_a_paused_channels_variant_waits(members):
    variant = due_variant(members)
    variant.channel.state = ChannelState.PAUSED
    variant.channel.save()
    assert publisher.publish_variant(variant.pk) is None
    assert leases.claim_due_variants("w") == []
    variant.refresh_from_db()
    assert variant.state == S.SCHEDULED and FakeNetwork.calls == []
    variant.channel.state = ChannelState.ACTIVE
    variant.channel.save()
    assert publisher.publish_variant(variant.pk) == S.PUBLISHED


def test_a_channel_paused_after_the_claim_gets_its_variant_back(members):
    variant = due_variant(members)
    [held] = leases.claim_due_variants("w")
    held.channel.state = ChannelState.PAUSED
    assert publisher.publish_claimed(held) == S.SCHEDULED
    variant.refresh_from_db()
    assert variant.state == S.SCHEDULED and FakeNetwork.calls == []
    assert not variant.attempts.exists()


def test_a_rate_limited_channel_is_not_called_before_its_time(members):
    variant = due_variant(members)
    until = timezone.now() + timedelta(minutes=3)
    variant.channel.rate_limited_until = until
    variant.channel.save()
    assert publisher.publish_variant(variant.pk) == S.SCHEDULED
    variant.refresh_from_db()
    assert variant.scheduled_at == until and FakeNetwork.calls == []


def test_a_superseded_worker_records_nothing(members):
    variant = due_variant(members)
    [held] = leases.claim_due_variants("slow", lease=timedelta(seconds=5))
    attempt = leases.start_attempt(held)
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
    # The slow worker's network call finally fails; it no longer holds the variant.
    assert publisher._fail(held, attempt, O.REJECTED, "Rejected", "late") == S.FAILED
    variant.refresh_from_db()
    assert variant.state == S.PUBLISHED
    assert not Notification.objects.exists()


# --- publish now, tasks and the pages ----------------------------------------------------------


def _draft(members, network="fakenet") -> Variant:
    workspace = members["owner"].workspace
    editor = members["editor"]
    chan = channel(workspace, network=network, name="Now")
    post = posts.create_post(
        editor, Actor(user=editor.user), title="Now", text="Fresh chai.", channel_ids=[chan.pk]
    )
    return post.variants.get()


def test_publish_now_publishes_through_the_queue(members, django_capture_on_commit_callbacks):
    variant = _draft(members)
    manager = members["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.publish_now(manager, Actor(user=manager.user), variant.pk)
    variant.refresh_from_db()
    assert variant.state == S.PUBLISHED
    assert AuditEntry.objects.filter(action="variant.publish_now").exists()


def test_publish_now_is_for_publishers_and_respects_approval(members):
    variant = _draft(members)
    editor = members["editor"]
    with pytest.raises(PermissionDenied):
        scheduling.publish_now(editor, Actor(user=editor.user), variant.pk)
    owner = members["owner"]
    workspace_settings.update_publishing_settings(
        owner, Actor(user=owner.user), require_approval=True, reapprove_after_edit=True
    )

    with pytest.raises(ValidationError):
        scheduling.publish_now(owner, Actor(user=owner.user), variant.pk)
    assert FakeNetwork.calls == []


def test_publish_now_button(member_client, members, django_capture_on_commit_callbacks):
    variant = _draft(members)
    slug = variant.post.workspace.slug
    page = member_client("manager").get(f"/w/{slug}/posts/{variant.post_id}/")
    assert f"/w/{slug}/variants/{variant.pk}/publish-now/" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client("manager").post(f"/w/{slug}/variants/{variant.pk}/publish-now/")
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.state == S.PUBLISHED
    assert member_client("editor").post(
        f"/w/{slug}/variants/{variant.pk}/publish-now/"
    ).status_code in (403, 404)


def test_scheduling_soon_enqueues_with_an_eta(members, django_capture_on_commit_callbacks):

    variant = _draft(members)
    editor = members["editor"]
    HUEY.storage.flush_schedule()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_variant(
            editor, Actor(user=editor.user), variant.pk, timezone.now() + timedelta(seconds=50)
        )
    assert HUEY.scheduled_count() == 1
    far = _draft(members, network="searchnet")
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_variant(
            editor, Actor(user=editor.user), far.pk, timezone.now() + timedelta(hours=3)
        )
    assert HUEY.scheduled_count() == 1  # the sweep will get to it
    HUEY.storage.flush_schedule()


def test_the_sweep_publishes_what_is_due_and_takes_over_expired_leases(members):
    first = due_variant(members)
    second = due_variant(members, network="searchnet")
    _die_while_publishing(first)  # the second stays scheduled
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert sweep.sweep() == 2  # Huey runs the tasks inline here
    assert set(Variant.objects.values_list("state", flat=True)) == {S.PUBLISHED}
    assert second.attempts.get().outcome == O.PUBLISHED


def test_failures_are_counted_on_the_calendar_until_the_post_is_opened(member_client, members):
    variant = due_variant(members)
    FakeNetwork.script = [Rejected("Media type not supported")]
    publisher.publish_variant(variant.pk)
    slug = variant.post.workspace.slug
    client = member_client("manager")
    page = client.get(f"/w/{slug}/calendar/?view=list&state=failed").content.decode()
    assert "1 post failed to publish" in page
    assert "Media type not supported" in page
    client.get(f"/w/{slug}/posts/{variant.post_id}/")
    page = client.get(f"/w/{slug}/calendar/").content.decode()
    assert "failed to publish" not in page
