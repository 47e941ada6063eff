"""Each channel's remaining rate budgets: kept after every use of a RateBudgetReporter through
`opened`, one row per limit overwritten each time, and shown on the channel's page as a table
with a bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelRateBudget, ChannelState
from kalrav.connectors.base import ConnectorContext, RateBudget, RateBudgetReporter, opened

pytestmark = pytest.mark.django_db


class Reporting:
    """A connector that reports what its network said, as X's does after its calls."""

    def __init__(self, context: ConnectorContext, budgets: list[RateBudget]) -> None:
        self.context = context
        self.budgets = budgets

    def rate_budgets(self) -> list[RateBudget]:
        return self.budgets


@pytest.fixture(autouse=True)
def _no_earlier_writes():
    services._budgets_written.clear()


@pytest.fixture
def channel(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="x", name="Chai", state=ChannelState.ACTIVE
    )


def _use(channel: Channel, budgets: list[RateBudget]) -> None:
    connector = Reporting(services.context_for(channel), budgets)
    assert isinstance(connector, RateBudgetReporter)
    with opened(connector):
        pass


def test_budgets_are_kept_after_use_and_overwritten_the_next_time(channel, monkeypatch) -> None:
    monkeypatch.setattr(services, "BUDGET_WRITE_EVERY", 0.0)
    reset = datetime.now(UTC) + timedelta(minutes=10)
    _use(channel, [RateBudget("GET /2/users/:id/mentions", 170, 180, reset)])
    _use(
        channel,
        [
            RateBudget("GET /2/users/:id/mentions", 169, 180, reset),
            RateBudget("POST /2/tweets (24-hour, user)", 97, 100, reset + timedelta(hours=23)),
        ],
    )
    kept = {
        b.name: (b.remaining, b.limit) for b in ChannelRateBudget.objects.filter(channel=channel)
    }
    assert kept == {
        "GET /2/users/:id/mentions": (169, 180),
        "POST /2/tweets (24-hour, user)": (97, 100),
    }


def test_a_busy_channel_writes_at_most_every_few_seconds_unless_nearly_spent(channel) -> None:
    _use(channel, [RateBudget("POST /2/tweets", 90, 100)])
    _use(channel, [RateBudget("POST /2/tweets", 89, 100)])  # a moment later: not written
    assert ChannelRateBudget.objects.get(channel=channel).remaining == 90
    _use(channel, [RateBudget("POST /2/tweets", 9, 100)])  # nearly spent: written at once
    assert ChannelRateBudget.objects.get(channel=channel).remaining == 9


def test_a_connector_that_said_nothing_keeps_what_was_there(channel) -> None:
    _use(channel, [RateBudget("GET /2/dm_events", 10, 15, None)])
    _use(channel, [])
    assert ChannelRateBudget.objects.get(channel=channel).remaining == 10


def test_failing_to_keep_the_budgets_never_fails_the_work(channel) -> None:
    def broken(_budgets) -> None:
        raise RuntimeError("database gone")

    context = ConnectorContext(channel_id=channel.pk, keep_budgets=broken)
    with opened(Reporting(context, [RateBudget("GET /2/dm_events", 1, 15)])):
        pass  # no exception


def test_the_channel_page_shows_each_budget_with_a_bar(client, members, channel) -> None:
    now = timezone.now()
    ChannelRateBudget.objects.create(
        channel=channel,
        name="GET /2/users/:id/mentions",
        remaining=45,
        limit=180,
        resets_at=now + timedelta(minutes=5),
    )
    ChannelRateBudget.objects.create(
        channel=channel,
        name="GET /2/dm_events",
        remaining=0,
        limit=15,
        resets_at=now - timedelta(minutes=1),  # the window started again since
    )
    client.force_login(members["analyst"].user)
    page = client.get(
        f"/w/{channel.workspace.slug}/settings/channels/{channel.pk}/"
    ).content.decode()
    assert "Rate limits left" in page
    assert 'max="180"' in page and 'value="45"' in page and "45 of 180" in page
    assert "15 of 15" in page and "Started again" in page


def test_a_channel_without_budgets_shows_no_table(client, members, channel) -> None:
    client.force_login(members["analyst"].user)
    page = client.get(
        f"/w/{channel.workspace.slug}/settings/channels/{channel.pk}/"
    ).content.decode()
    assert "Rate limits left" not in page
