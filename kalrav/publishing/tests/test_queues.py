"""Queues: the slot shortcut, the next free slot, daylight saving, approval, the page and the API."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kalrav.publishing import approvals, posts, scheduling, workspace_settings
from kalrav.publishing.models import QueueSlot, VariantState
from kalrav.publishing.queues import services as queues
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ATHENS = zoneinfo.ZoneInfo("Europe/Athens")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


def local(text: str, zone=KOLKATA) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture
def boss(members):
    """The workspace's owner as a member (the `owner` fixture is the user)."""
    return members["owner"]


@pytest.fixture
def actor(boss):
    return Actor(user=boss.user)


@pytest.fixture
def bluesky(workspace):
    return channel(workspace)


def _post(boss, actor, *channels, text="Fresh tea"):
    return posts.create_post(
        boss, actor, title="Tea", text=text, channel_ids=[c.pk for c in channels]
    )


# --- The text shortcut ---------------------------------------------------------------------------


def test_parse_reads_ranges_lists_and_groups():
    slots = queues.parse_slots("Mon-Fri 09:30, 13:00; Sat 11:00\nsun 7pm")
    assert len(slots) == 12
    assert (0, time(9, 30)) in slots and (4, time(13, 0)) in slots
    assert (5, time(11, 0)) in slots and (6, time(19, 0)) in slots
    assert (5, time(9, 30)) not in slots
    assert queues.parse_slots("Fri - Mon 08:00") == [(d, time(8)) for d in (0, 4, 5, 6)]
    assert queues.parse_slots("weekends 10:00") == [(5, time(10)), (6, time(10))]
    assert len(queues.parse_slots("every day 9:05")) == 7
    assert queues.parse_slots("  ") == []


def test_format_gives_back_what_parse_reads():
    text = "Mon-Fri 09:30, 13:00; Sat 11:00"
    assert queues.format_slots(queues.parse_slots(text)) == text
    odd = queues.parse_slots("Mon 08:00; Wed 08:00; Thu 08:00; Sun 20:15")
    assert queues.parse_slots(queues.format_slots(odd)) == odd


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mox 09:30", "“Mox” is not a day"),
        ("Mon-Fri", "add one or more times"),
        ("Mon 25:00", "“25:00” is not a time"),
        ("Mon 9:75", "“9:75” is not a time"),
        ("Mon 9", "“9” is not a time"),
        ("Tue 13pm", "“13pm” is not a time"),
        ("09:30", "say which days first"),
        ("Mon 09:30; Caturday 10:00", "Entry 2"),
    ],
)
def test_parse_errors_name_the_problem(text, says):
    with pytest.raises(ValidationError) as caught:
        queues.parse_slots(text)
    assert says in " ".join(caught.value.messages)


def test_every_bad_entry_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        queues.parse_slots("Mox 09:30; Tue 31:00; Wed 10:00")
    assert len(caught.value.messages) == 2


def test_too_many_slots_are_refused():
    with pytest.raises(ValidationError, match="100 slots"):
        queues.parse_slots(
            "daily " + ", ".join(f"{h:02d}:{m:02d}" for h in range(15) for m in (0, 30))
        )


# --- Next free slot -------------------------------------------------------------------------------


def test_next_free_slot_skips_occupied_and_too_soon(boss, actor, bluesky):
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Mon-Fri 09:30, 13:00"))
    post = _post(boss, actor, bluesky)
    other = _post(boss, actor, bluesky, text="Green tea")
    third = _post(boss, actor, bluesky, text="Black tea")
    # Monday 6 January 2025, 09:27 in Kolkata: 09:30 is less than the five minutes' lead away.
    with time_machine.travel(local("2025-01-06T09:27"), tick=False):
        first = queues.queue_variant(boss, actor, post.variants.get().pk)
        assert first.state == VariantState.SCHEDULED
        assert first.scheduled_at == local("2025-01-06T13:00")
        second = queues.queue_variant(boss, actor, other.variants.get().pk)
        assert second.scheduled_at == local("2025-01-07T09:30")
        # A variant scheduled by hand near a slot occupies it too.
        scheduling.schedule_variant(boss, actor, third.variants.get().pk, local("2025-01-07T13:02"))
        assert queues.free_slots(bluesky.pk, KOLKATA, limit=2) == [
            local("2025-01-08T09:30"),
            local("2025-01-08T13:00"),
        ]
        # Queueing a variant again moves it to the next free slot, never onto itself twice.
        again = queues.queue_variant(boss, actor, post.variants.get().pk)
        assert again.scheduled_at == local("2025-01-06T13:00")


def test_queue_post_sends_each_variant_to_its_own_channel(boss, actor, workspace, bluesky):
    mastodon = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Mon 10:00"))
    queues.replace_slots(boss, actor, mastodon.pk, queues.parse_slots("Tue 18:00"))
    post = _post(boss, actor, bluesky, mastodon)
    with time_machine.travel(local("2025-01-06T08:00"), tick=False):
        queued = {v.channel_id: v.scheduled_at for v in queues.queue_post(boss, actor, post.pk)}
        assert queued == {
            bluesky.pk: local("2025-01-06T10:00"),
            mastodon.pk: local("2025-01-07T18:00"),
        }
        with pytest.raises(ValidationError, match="every variant is scheduled"):
            queues.queue_post(boss, actor, post.pk)


def test_queue_post_is_all_or_nothing(boss, actor, workspace, bluesky):
    mastodon = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Mon 10:00"))
    post = _post(boss, actor, bluesky, mastodon)
    with pytest.raises(ValidationError, match="Shanti on Mastodon has no queue yet"):
        queues.queue_post(boss, actor, post.pk)
    assert set(post.variants.values_list("state", flat=True)) == {VariantState.DRAFT}


def test_a_full_queue_says_so(boss, actor, bluesky, monkeypatch):
    monkeypatch.setattr(queues, "HORIZON_WEEKS", 1)
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Mon 10:00"))
    first, second, third = (_post(boss, actor, bluesky, text=t) for t in "abc")
    with time_machine.travel(local("2025-01-06T08:00"), tick=False):
        queues.queue_variant(boss, actor, first.variants.get().pk)
        queues.queue_variant(boss, actor, second.variants.get().pk)
        with pytest.raises(ValidationError, match="Every slot of Shanti on Bluesky is taken"):
            queues.queue_variant(boss, actor, third.variants.get().pk)


def test_queue_needs_approval_like_scheduling(boss, actor, members, bluesky):
    workspace_settings.update_publishing_settings(
        boss, actor, require_approval=True, reapprove_after_edit=True
    )
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("daily 10:00"))
    variant = _post(boss, actor, bluesky).variants.get()
    with pytest.raises(ValidationError) as by_hand:
        scheduling.schedule_variant(boss, actor, variant.pk, datetime(2099, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError) as queued:
        queues.queue_variant(boss, actor, variant.pk)
    assert queued.value.messages == by_hand.value.messages
    assert "requires approval" in queued.value.messages[0]
    approvals.submit_for_approval(boss, actor, variant.pk)
    approvals.approve_variant(members["client"], Actor(user=members["client"].user), variant.pk)
    assert queues.queue_variant(boss, actor, variant.pk).state == VariantState.SCHEDULED


# --- Daylight saving ------------------------------------------------------------------------------


def test_local_to_utc_moves_a_spring_gap_forward_and_takes_the_first_autumn_time():
    # New York springs forward at 02:00 on 9 March 2025: 02:30 does not exist; it becomes 03:30.
    gap = queues.local_to_utc(datetime(2025, 3, 9).date(), time(2, 30), NEW_YORK)
    assert gap == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert gap.astimezone(NEW_YORK).strftime("%H:%M") == "03:30"
    # 01:30 on 2 November 2025 happens twice: the first (still daylight time, UTC-4) is taken.
    twice = queues.local_to_utc(datetime(2025, 11, 2).date(), time(1, 30), NEW_YORK)
    assert twice == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


def test_slots_keep_their_wall_clock_time_across_both_changes(boss, actor, workspace, bluesky):
    workspace.time_zone = "America/New_York"
    workspace.save()
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("daily 02:30, 09:30"))
    spring = list(
        queues.upcoming(
            queues.slots_of(bluesky.pk), NEW_YORK, datetime(2025, 3, 8, 6, tzinfo=NEW_YORK), 1
        )
    )[:4]
    assert [w.astimezone(NEW_YORK).strftime("%d %H:%M %Z") for w in spring] == [
        "08 09:30 EST",
        "09 03:30 EDT",  # 02:30 fell in the gap and moved forward by it
        "09 09:30 EDT",
        "10 02:30 EDT",
    ]
    autumn = list(
        queues.upcoming(
            queues.slots_of(bluesky.pk), NEW_YORK, datetime(2025, 11, 1, 6, tzinfo=NEW_YORK), 1
        )
    )[:3]
    assert [w.astimezone(NEW_YORK).strftime("%d %H:%M %Z") for w in autumn] == [
        "01 09:30 EDT",
        "02 02:30 EST",
        "02 09:30 EST",
    ]
    assert autumn[2] - autumn[0] == datetime(2025, 11, 2, 14, 30) - datetime(2025, 11, 1, 13, 30)


def test_a_gap_slot_and_the_slot_it_lands_on_are_one_slot(boss, actor, workspace, bluesky):
    workspace.time_zone = "Europe/Athens"
    workspace.save()
    # Athens springs forward at 03:00 on 30 March 2025: 03:30 becomes 04:30, where a slot exists.
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Sun 03:30, 04:30"))
    found = list(
        queues.upcoming(
            queues.slots_of(bluesky.pk), ATHENS, datetime(2025, 3, 29, 12, tzinfo=ATHENS), 1
        )
    )
    assert [w.astimezone(ATHENS).strftime("%m-%d %H:%M") for w in found] == ["03-30 04:30"]
    first, second = (_post(boss, actor, bluesky, text=t) for t in "ab")
    with time_machine.travel(datetime(2025, 3, 29, 12, tzinfo=ATHENS), tick=False):
        assert queues.queue_variant(boss, actor, first.variants.get().pk).scheduled_at == (
            datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
        )
        # The next free one is a week later, at 03:30 local again (EEST now).
        later = queues.queue_variant(boss, actor, second.variants.get().pk).scheduled_at
        assert later.astimezone(ATHENS).strftime("%m-%d %H:%M") == "04-06 03:30"


# --- Editing queues -------------------------------------------------------------------------------


def test_replace_add_and_remove_are_audited(boss, actor, members, bluesky):
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("Mon 09:30"))
    queues.add_slots(boss, actor, bluesky.pk, [(2, time(13))])
    assert queues.format_slots(queues.slots_of(bluesky.pk)) == "Mon 09:30; Wed 13:00"
    slot = QueueSlot.objects.get(channel=bluesky, weekday=0)
    queues.remove_slot(boss, actor, slot.pk)
    assert queues.slots_of(bluesky.pk) == [(2, time(13))]
    entries = AuditEntry.objects.filter(action="queue.update").order_by("pk")
    assert [e.changes["slots"] for e in entries] == [
        ["", "Mon 09:30"],
        ["Mon 09:30", "Mon 09:30; Wed 13:00"],
        ["Mon 09:30; Wed 13:00", "Wed 13:00"],
    ]
    analyst = members["analyst"]
    with pytest.raises(Exception, match="does not allow"):
        queues.replace_slots(analyst, Actor(user=analyst.user), bluesky.pk, [])


# --- Pages ----------------------------------------------------------------------------------------


def test_queue_page_shows_slots_and_takes_the_shortcut(member_client, workspace, bluesky):
    client = member_client("editor")
    url = f"/w/{workspace.slug}/calendar/queues/"
    empty = client.get(url).content.decode()
    assert "Shanti on Bluesky" in empty and "No times yet" in empty
    assert "Not enough history yet" in empty
    saved = client.post(
        f"{url}{bluesky.pk}/", {f"c{bluesky.pk}-text": "Mon-Fri 09:30, 13:00"}, follow=True
    )
    page = saved.content.decode()
    assert "Queue of Shanti on Bluesky saved." in page
    assert page.count('class="slot"') == 10 and "Next free slots" in page
    assert 'value="Mon-Fri 09:30, 13:00"' in page


def test_queue_page_keeps_bad_text_and_says_why(member_client, workspace, bluesky):
    client = member_client("editor")
    bad = client.post(
        f"/w/{workspace.slug}/calendar/queues/{bluesky.pk}/",
        {f"c{bluesky.pk}-text": "Mon-Fri 09:30, 25:00"},
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "“25:00” is not a time" in page and 'value="Mon-Fri 09:30, 25:00"' in page
    assert not QueueSlot.objects.exists()


def test_queue_page_adds_and_removes_one_time(member_client, workspace, bluesky):
    client = member_client("manager")
    url = f"/w/{workspace.slug}/calendar/queues/{bluesky.pk}/add/"
    client.post(url, {f"a{bluesky.pk}-days": "weekends", f"a{bluesky.pk}-time": "11:15"})
    assert queues.format_slots(queues.slots_of(bluesky.pk)) == "Sat-Sun 11:15"
    slot = QueueSlot.objects.filter(channel=bluesky).first()
    client.post(f"/w/{workspace.slug}/calendar/queues/slots/{slot.pk}/delete/")
    assert (
        queues.format_slots(queues.slots_of(bluesky.pk)) == "Sat 11:15"
        or queues.format_slots(queues.slots_of(bluesky.pk)) == "Sun 11:15"
    )


def test_post_page_adds_to_queue(member_client, workspace, boss, actor, bluesky):
    queues.replace_slots(boss, actor, bluesky.pk, queues.parse_slots("daily 10:00"))
    post = _post(boss, actor, bluesky)
    client = member_client("editor")
    page = client.get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    assert "Add to queue" in page and "next free slot" in page
    assert "Add every variant to its channel's queue" in page
    variant = post.variants.get()
    done = client.post(f"/w/{workspace.slug}/variants/{variant.pk}/queue/", follow=True)
    assert "Added to the queue of Shanti on Bluesky" in done.content.decode()
    variant.refresh_from_db()
    assert variant.state == VariantState.SCHEDULED
    assert variant.scheduled_at.astimezone(KOLKATA).strftime("%H:%M") == "10:00"


def test_calendar_links_to_queues(member_client, workspace):
    page = member_client("client").get(f"/w/{workspace.slug}/calendar/").content.decode()
    assert f"/w/{workspace.slug}/calendar/queues/" in page


# --- API ------------------------------------------------------------------------------------------


def test_api_replaces_reads_and_uses_a_queue(call, boss, actor, bluesky):
    path = f"/channels/{bluesky.pk}/queue"
    bad = call("editor", "PUT", path, {"text": "Mon 25:00"})
    assert bad.status_code == 400 and "is not a time" in bad.json()["message"]
    both = call("editor", "PUT", path, {"text": "Mon 09:00", "slots": []})
    assert both.status_code == 400
    put = call("editor", "PUT", path, {"slots": [{"weekday": 1, "time": "18:00"}]})
    assert put.status_code == 200, put.content
    assert put.json()["text"] == "Tue 18:00" and put.json()["time_zone"] == "Asia/Kolkata"
    got = call("client", "GET", path).json()
    assert got["slots"] == [{"weekday": 1, "time": "18:00:00"}]
    assert datetime.fromisoformat(got["next_free"][0]).astimezone(KOLKATA).strftime("%a %H:%M") == (
        "Tue 18:00"
    )
    assert call("analyst", "PUT", path, {"text": ""}).status_code == 403
    listed = call("client", "GET", "/queues").json()
    assert [q["channel_id"] for q in listed] == [bluesky.pk]
    post = _post(boss, actor, bluesky)
    queued = call("editor", "POST", f"/posts/{post.pk}/queue")
    assert queued.status_code == 200 and queued.json()[0]["state"] == "scheduled"
    other = _post(boss, actor, bluesky, text="Green tea").variants.get()
    one = call("editor", "POST", f"/variants/{other.pk}/queue")
    assert one.status_code == 200
    assert datetime.fromisoformat(one.json()["scheduled_at"]) - datetime.fromisoformat(
        queued.json()[0]["scheduled_at"]
    ) == (datetime(2025, 1, 8) - datetime(2025, 1, 1))
