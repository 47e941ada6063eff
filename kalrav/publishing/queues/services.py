"""A channel's queue: weekly time slots in the workspace's time zone, and "add to queue", which
schedules a variant at the channel's next free slot through `scheduling.schedule_variant` (so the
approval and rule checks are the same as scheduling by hand).

Slots are wall-clock times: a 09:30 slot is 09:30 local on both sides of a daylight-saving change.
A slot that does not exist on a spring-forward day (02:30 when clocks jump from 02:00 to 03:00) is
moved forward by the length of the gap (to 03:30), as a wall clock would show it; a slot that occurs
twice on a fall-back day (01:30) takes the first occurrence, before the clocks go back.
"""

from __future__ import annotations

import bisect
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.publishing import scheduling, states, workspace_settings
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.publishing.queues.models import QueueSlot
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

Slot = tuple[int, time]  # (weekday, 0 = Monday; local wall-clock time)

MAX_SLOTS = 100
# A slot must be at least this far ahead, so the publisher has time to pick the variant up.
LEAD = timedelta(minutes=5)
# Another variant of the channel within this distance of a slot occupies it.
TOLERANCE = timedelta(minutes=5)
HORIZON_WEEKS = 26

ENGLISH_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ENGLISH_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {
    "daily": range(7),
    "every day": range(7),
    "everyday": range(7),
    "weekdays": range(5),
    "weekends": range(5, 7),
}
_TIME = re.compile(r"^(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm)?$", re.IGNORECASE)


def local_to_utc(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day. With fold=0 (Python's default) a time in
    the spring gap is read with the offset before the change, which lands it one gap later on the
    clock (02:30 → 03:30), and an ambiguous autumn time is the first of its two occurrences."""
    return datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone).astimezone(UTC)


# --- The text shortcut ---------------------------------------------------------------------------


def _day_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for n in range(7):
        for name in (
            ENGLISH_DAYS[n],
            _ENGLISH_FULL[n],
            _ENGLISH_FULL[n][:2],
            str(WEEKDAYS[n]),
            str(WEEKDAYS_ABBR[n]),
        ):
            names[name.casefold().rstrip(".")] = n
    return names


def _days(text: str, names: dict[str, int]) -> list[int]:
    text = re.sub(r"\s*[-–—]\s*", "-", text.strip())
    text = re.sub(r"every\s+day", "daily", text, flags=re.IGNORECASE)
    found: list[int] = []
    for part in re.split(r"\s*,\s*|\s+", text):
        if not part:
            continue
        if part.casefold() in _GROUPS:
            found.extend(_GROUPS[part.casefold()])
            continue
        ends = part.split("-")
        unknown = [end for end in ends if end.casefold().rstrip(".") not in names]
        if unknown or len(ends) > 2:
            raise ValidationError(
                _(
                    "“%(word)s” is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range "
                    "such as Mon-Fri."
                )
                % {"word": unknown[0] if unknown else part}
            )
        first, last = (names[end.casefold().rstrip(".")] for end in (ends[0], ends[-1]))
        # A range may wrap round the week end: Fri-Mon is Friday to Monday.
        found.extend((first + k) % 7 for k in range((last - first) % 7 + 1))
    return found


def _time(text: str) -> time:
    match = _TIME.match(text.strip())
    problem = ValidationError(
        _("“%(word)s” is not a time: write it as 24-hour HH:MM, such as 09:30 or 13:00.")
        % {"word": text.strip()}
    )
    if not match:
        raise problem
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise problem
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match[2] is None:
        raise problem  # a bare "9" is more likely a typo than a time
    if hour > 23 or minute > 59:
        raise problem
    return time(hour, minute)


def parse_slots(text: str) -> list[Slot]:
    """Read "Mon-Fri 09:30, 13:00; Sat 11:00" (entries separated by ";" or new lines). Every
    problem is reported at once, each naming its entry, so nothing the user typed is silently lost."""
    names = _day_names()
    slots: set[Slot] = set()
    problems: list[str] = []
    entries = [e.strip() for e in re.split(r"[;\n]+", text or "") if e.strip()]
    for number, entry in enumerate(entries, start=1):
        match = re.match(r"^(?P<days>.*?)\s*(?P<times>\d.*)?$", entry)
        days_text = (match["days"] if match else entry).strip().rstrip(":")
        times_text = (match["times"] if match else "") or ""
        prefix = _("Entry %(n)d (“%(entry)s”): ") % {"n": number, "entry": entry}
        if not days_text:
            problems.append(prefix + _("say which days first, such as “Mon-Fri 09:30”."))
            continue
        if not times_text.strip():
            problems.append(prefix + _("add one or more times, such as “Mon-Fri 09:30, 13:00”."))
            continue
        try:
            days = _days(days_text, names)
            times = [_time(t) for t in re.split(r"\s*,\s*|\s+(?!am|pm)", times_text) if t.strip()]
        except ValidationError as error:
            problems.append(prefix + " ".join(error.messages))
            continue
        slots.update((d, t) for d in days for t in times)
    if problems:
        raise ValidationError(problems)
    return check_slots(slots)


def check_slots(slots: Iterable[Slot]) -> list[Slot]:
    unique = sorted(set(slots))
    for weekday, at in unique:
        if not 0 <= weekday <= 6:
            raise ValidationError(_("Weekdays go from 0 (Monday) to 6 (Sunday)."))
        if at.second or at.microsecond:
            raise ValidationError(_("Give slot times to the minute."))
    if len(unique) > MAX_SLOTS:
        raise ValidationError(
            _("Keep a queue to %(max)d slots a week or fewer.") % {"max": MAX_SLOTS}
        )
    return unique


def _runs(days: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def format_slots(slots: Iterable[Slot], *, localized: bool = False) -> str:
    """The shortest text that `parse_slots` reads back as the same slots: days that share their
    times are grouped into ranges ("Mon-Fri 09:30, 13:00; Sat 11:00")."""
    names = [str(WEEKDAYS_ABBR[n]) for n in range(7)] if localized else list(ENGLISH_DAYS)
    by_day: dict[int, list[time]] = defaultdict(list)
    for weekday, at in sorted(set(slots)):
        by_day[weekday].append(at)
    groups: dict[tuple[time, ...], list[int]] = defaultdict(list)
    for weekday in sorted(by_day):
        groups[tuple(by_day[weekday])].append(weekday)
    entries = []
    for times, days in sorted(groups.items(), key=lambda item: item[1][0]):
        day_text = ", ".join(
            names[a] if a == b else f"{names[a]}-{names[b]}" for a, b in _runs(days)
        )
        entries.append(f"{day_text} {', '.join(t.strftime('%H:%M') for t in times)}")
    return "; ".join(entries)


# --- Finding the next free slot ------------------------------------------------------------------


def slots_of(channel_id: int) -> list[Slot]:
    return [
        (s.weekday, s.time)
        for s in QueueSlot.objects.filter(channel_id=channel_id).order_by("weekday", "time")
    ]


def upcoming(
    slots: Iterable[Slot], zone: zoneinfo.ZoneInfo, after: datetime, weeks: int | None = None
) -> Iterator[datetime]:
    """Every slot instant (UTC) after `after`, in order, for `weeks` weeks. Two slots that land on the
    same instant (03:30 and a 02:30 moved forward by the spring gap) come out once."""
    by_day: dict[int, list[time]] = defaultdict(list)
    for weekday, at in sorted(set(slots)):
        by_day[weekday].append(at)
    if not by_day:
        return
    first = after.astimezone(zone).date()
    weeks = HORIZON_WEEKS if weeks is None else weeks
    last_seen: datetime | None = None
    for offset in range(weeks * 7 + 1):
        day = first + timedelta(days=offset)
        for at in by_day.get(day.weekday(), ()):
            when = local_to_utc(day, at, zone)
            if when > after and when != last_seen:
                last_seen = when
                yield when


def occupied_times(channel_id: int, start: datetime, end: datetime, exclude: int | None) -> list:
    found = Variant.objects.filter(
        channel_id=channel_id,
        state__in=[VariantState.SCHEDULED, VariantState.PUBLISHING],
        scheduled_at__gte=start - TOLERANCE,
        scheduled_at__lt=end + TOLERANCE,
    )
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return sorted(found.values_list("scheduled_at", flat=True))


def free_slots(
    channel_id: int,
    zone: zoneinfo.ZoneInfo,
    *,
    now: datetime | None = None,
    exclude_variant: int | None = None,
    limit: int = 1,
    slots: list[Slot] | None = None,
) -> list[datetime]:
    """The next `limit` slots of the channel that no other scheduled or publishing variant of the
    channel occupies (within TOLERANCE), at least LEAD from now."""
    now = now or timezone.now()
    slots = slots_of(channel_id) if slots is None else slots
    if not slots:
        return []
    after = now + LEAD
    taken = occupied_times(
        channel_id, after, after + timedelta(weeks=HORIZON_WEEKS + 1), exclude_variant
    )
    found: list[datetime] = []
    for when in upcoming(slots, zone, after - timedelta(microseconds=1)):
        at = bisect.bisect_left(taken, when - TOLERANCE)
        if at < len(taken) and taken[at] < when + TOLERANCE:
            continue
        found.append(when)
        if len(found) >= limit:
            break
    return found


# --- Services ------------------------------------------------------------------------------------


def _channel(member: Member, channel_id: int, *, lock: bool = False) -> Channel:
    found = Channel.objects.filter(pk=channel_id, workspace_id=member.workspace_id)
    if lock:
        found = found.select_for_update()
    return found.get()


@transaction.atomic
def replace_slots(
    member: Member, actor: Actor, channel_id: int, slots: Iterable[Slot]
) -> list[Slot]:
    """Make a channel's queue exactly `slots`. Variants already scheduled keep their times."""
    member.require(Perm.CONTENT_EDIT)
    channel = _channel(member, channel_id, lock=True)
    wanted = check_slots(slots)
    before = slots_of(channel.pk)
    if wanted == before:
        return before
    QueueSlot.objects.filter(channel=channel).delete()
    QueueSlot.objects.bulk_create(QueueSlot(channel=channel, weekday=d, time=t) for d, t in wanted)
    audit.record(
        member.workspace,
        actor,
        "queue.update",
        channel,
        {"slots": [format_slots(before), format_slots(wanted)]},
    )
    return wanted


def add_slots(member: Member, actor: Actor, channel_id: int, slots: Iterable[Slot]) -> list[Slot]:
    return replace_slots(member, actor, channel_id, [*slots_of(channel_id), *slots])


@transaction.atomic
def remove_slot(member: Member, actor: Actor, slot_id: int) -> list[Slot]:
    member.require(Perm.CONTENT_EDIT)
    slot = QueueSlot.objects.select_related("channel").get(
        pk=slot_id, channel__workspace_id=member.workspace_id
    )
    kept = [s for s in slots_of(slot.channel_id) if s != (slot.weekday, slot.time)]
    return replace_slots(member, actor, slot.channel_id, kept)


def _no_slot_error(channel: Channel, has_slots: bool) -> ValidationError:
    if not has_slots:
        return ValidationError(
            _("%(channel)s has no queue yet: add its time slots on the Queues page first.")
            % {"channel": channel.name}
        )
    return ValidationError(
        _(
            "Every slot of %(channel)s is taken for the next %(weeks)d weeks: add slots or "
            "choose a time."
        )
        % {"channel": channel.name, "weeks": HORIZON_WEEKS}
    )


@transaction.atomic
def queue_variant(
    member: Member, actor: Actor, variant_id: int, *, now: datetime | None = None
) -> Variant:
    """Schedule a variant at its channel's next free slot."""
    member.require(Perm.CONTENT_EDIT)
    variant = Variant.objects.select_related("channel").get(
        pk=variant_id, post__workspace_id=member.workspace_id
    )
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot move."))
    when = next_free_slot(member, variant, now=now)
    return scheduling.schedule_variant(member, actor, variant.pk, when)


def next_free_slot(member: Member, variant: Variant, *, now: datetime | None = None) -> datetime:
    """The next slot of the variant's channel that no other variant occupies, or a refusal that
    says what to do. Call inside a transaction: the channel stays locked until it ends."""
    # Locking the channel makes two "add to queue" clicks on one channel take two slots.
    channel = _channel(member, variant.channel_id, lock=True)
    slots = slots_of(channel.pk)
    found = free_slots(
        channel.pk,
        workspace_settings.zone_of(member.workspace),
        now=now,
        exclude_variant=variant.pk,
        slots=slots,
    )
    if not found:
        raise _no_slot_error(channel, bool(slots))
    return found[0]


@transaction.atomic
def queue_post(
    member: Member, actor: Actor, post_id: int, *, now: datetime | None = None
) -> list[Variant]:
    """Every variant of a post that is not scheduled yet goes to its own channel's next free slot:
    all of them, or none when one is refused."""
    member.require(Perm.CONTENT_EDIT)
    post = Post.objects.select_for_update().get(pk=post_id, workspace_id=member.workspace_id)
    waiting = list(
        post.variants.filter(state__in=states.EDITABLE)
        .exclude(state=VariantState.SCHEDULED)
        .order_by("id")
    )
    if not waiting:
        if not post.variants.exists():
            raise ValidationError(_("Choose at least one channel for this post first."))
        raise ValidationError(_("Nothing to add: every variant is scheduled or published."))
    return [queue_variant(member, actor, v.pk, now=now) for v in waiting]
