"""Every change to posts, variants, approvals and media goes through here.

Each function is one transaction and writes its audit entry; views, the API, the CSV import and the
demo call these and hold no rules of their own. The rule that matters most: when a workspace requires
approval, a variant reaches `scheduled` only with an approval that no later edit has withdrawn.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.publishing import checks, states, variant_options
from kalrav.publishing.models import (
    ApprovalRequest,
    MediaAsset,
    Post,
    Variant,
    VariantMedia,
    VariantState,
    WorkspacePublishingSettings,
)
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import BrandProfile, Member, Workspace
from kalrav.workspaces.permissions import Perm

POST_FIELDS = ("title", "text", "campaign", "tags", "notes")
MAX_TAGS = 30


def _require(member: Member, perm: Perm) -> None:
    if not member.can(perm):
        raise PermissionDenied(_("Your role does not allow this."))


def zone_of(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.time_zone)


def publishing_settings(workspace: Workspace | int) -> WorkspacePublishingSettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = WorkspacePublishingSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def brand_of(workspace_id: int) -> BrandProfile | None:
    return BrandProfile.objects.filter(workspace_id=workspace_id).first()


@transaction.atomic
def update_publishing_settings(
    member: Member, actor: Actor, *, require_approval: bool, reapprove_after_edit: bool
) -> WorkspacePublishingSettings:
    _require(member, Perm.WORKSPACE_EDIT)
    found = publishing_settings(member.workspace)
    fields = ("require_approval", "reapprove_after_edit")
    before = audit.snapshot(found, fields)
    found.require_approval = bool(require_approval)
    found.reapprove_after_edit = bool(reapprove_after_edit)
    found.save()
    changes = audit.diff(before, audit.snapshot(found, fields))
    if changes:
        audit.record(member.workspace, actor, "publishing.settings", found, changes)
    return found


# --- Posts ---------------------------------------------------------------------------------------


def clean_tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"tags": _("Give tags as a list of words.")})
    tags: list[str] = []
    for tag in value:
        tag = tag.strip().lstrip("#").strip()
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag[:50])
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("Keep to %(n)d tags or fewer.") % {"n": MAX_TAGS}})
    return tags


def _channels(workspace_id: int, channel_ids: Iterable[int]) -> list[Channel]:
    ids = list(dict.fromkeys(int(i) for i in channel_ids))
    found = {c.pk: c for c in Channel.objects.filter(workspace_id=workspace_id, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"channels": _("Choose channels of this workspace.")})
    return [found[i] for i in ids]


def _assets(workspace_id: int, media_ids: Iterable[int]) -> list[MediaAsset]:
    ids = list(dict.fromkeys(int(i) for i in media_ids))
    found = {a.pk: a for a in MediaAsset.objects.filter(workspace_id=workspace_id, pk__in=ids)}
    if len(found) != len(ids):
        raise ValidationError({"media": _("Choose media from this workspace's library.")})
    return [found[i] for i in ids]


def _set_media(variant: Variant, assets: list[MediaAsset]) -> None:
    VariantMedia.objects.filter(variant=variant).delete()
    VariantMedia.objects.bulk_create(
        VariantMedia(variant=variant, asset=asset, position=n) for n, asset in enumerate(assets)
    )


def _locked_post(member: Member, post_id: int) -> Post:
    return Post.objects.select_for_update().get(pk=post_id, workspace_id=member.workspace_id)


def _locked_variant(member: Member, variant_id: int) -> Variant:
    return (
        Variant.objects.select_for_update()
        .select_related("post", "channel")
        .get(pk=variant_id, post__workspace_id=member.workspace_id)
    )


@transaction.atomic
def create_post(
    member: Member,
    actor: Actor,
    *,
    title: str = "",
    text: str = "",
    campaign: str = "",
    tags: Any = (),
    notes: str = "",
    channel_ids: Iterable[int] = (),
    media_ids: Iterable[int] = (),
) -> Post:
    """A post and a variant per channel, each starting from the master copy and media."""
    _require(member, Perm.CONTENT_EDIT)
    post = Post(
        workspace=member.workspace,
        title=title.strip(),
        text=text.strip(),
        campaign=campaign.strip(),
        tags=clean_tags(list(tags) if not isinstance(tags, str) else tags),
        notes=notes.strip(),
        author=actor.user,
    )
    if not post.title and not post.text:
        raise ValidationError({"text": _("Write a title or the master copy first.")})
    post.full_clean()
    post.save()
    assets = _assets(member.workspace_id, media_ids)
    channels = _channels(member.workspace_id, channel_ids)
    for channel in channels:
        variant = Variant.objects.create(post=post, channel=channel, text=post.text)
        _set_media(variant, assets)
    audit.record(
        member.workspace,
        actor,
        "post.create",
        post,
        {
            **audit.diff({}, audit.snapshot(post, POST_FIELDS)),
            "channels": [None, [c.name for c in channels]],
        },
    )
    return post


@transaction.atomic
def update_post(
    member: Member,
    actor: Actor,
    post_id: int,
    *,
    channel_ids: Iterable[int] | None = None,
    **fields,
) -> Post:
    """Change the post's own fields and, with `channel_ids`, which channels get a variant. Variants
    already written keep their text: after the first copy each is the channel's own."""
    _require(member, Perm.CONTENT_EDIT)
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    post = _locked_post(member, post_id)
    before = audit.snapshot(post, POST_FIELDS)
    for name, value in fields.items():
        setattr(post, name, clean_tags(value) if name == "tags" else str(value).strip())
    if not post.title and not post.text:
        raise ValidationError({"text": _("Write a title or the master copy first.")})
    post.full_clean()
    post.save()
    changes = audit.diff(before, audit.snapshot(post, POST_FIELDS))
    if channel_ids is not None:
        changes.update(_sync_channels(member, post, list(channel_ids)))
    if changes:
        audit.record(member.workspace, actor, "post.update", post, changes)
    return post


def _sync_channels(member: Member, post: Post, channel_ids: list[int]) -> dict:
    wanted = {c.pk: c for c in _channels(member.workspace_id, channel_ids)}
    current = {v.channel_id: v for v in post.variants.select_related("channel")}
    # New variants take the media the post already carries; read it before any variant goes.
    first_media = next(iter(current.values())).ordered_media() if current else []
    for channel_id, variant in current.items():
        if channel_id not in wanted:
            if not variant.editable:
                raise ValidationError(
                    {
                        "channels": _("%(channel)s already has this post; it cannot be taken off.")
                        % {"channel": variant.channel.name}
                    }
                )
            variant.delete()
    for channel_id, channel in wanted.items():
        if channel_id not in current:
            variant = Variant.objects.create(post=post, channel=channel, text=post.text)
            _set_media(variant, first_media)
    before = sorted(v.channel.name for v in current.values())
    after = sorted(c.name for c in wanted.values())
    return {"channels": [before, after]} if before != after else {}


@transaction.atomic
def delete_post(member: Member, actor: Actor, post_id: int) -> None:
    _require(member, Perm.CONTENT_EDIT)
    post = _locked_post(member, post_id)
    if post.variants.exclude(state__in=states.EDITABLE | {VariantState.DELETED}).exists():
        raise ValidationError(
            _("Part of this post is published or being published; it cannot be deleted here.")
        )
    audit.record(member.workspace, actor, "post.delete", post, {"title": [post.title, None]})
    post.delete()


# --- Variants ------------------------------------------------------------------------------------


def _move(variant: Variant, target: str) -> str:
    if not states.allowed(variant.state, target):
        raise ValidationError(
            _("A variant that is “%(state)s” cannot become “%(target)s”.")
            % {
                "state": variant.get_state_display(),
                "target": VariantState(target).label,
            }
        )
    before = variant.state
    variant.state = target
    return before


def check(variant: Variant) -> checks.VariantCheck:
    return checks.check_variant(
        variant.text,
        variant.channel.network,
        variant.ordered_media(),
        brand_of(variant.post.workspace_id),
        variant.options,
    )


@transaction.atomic
def edit_variant(
    member: Member,
    actor: Actor,
    variant_id: int,
    *,
    text: str | None = None,
    media_ids: Iterable[int] | None = None,
    options: dict | None = None,
) -> Variant:
    """Rewrite a variant. A last-minute edit of an approved or scheduled variant goes back to
    approval when the workspace asks for it, so nothing unapproved is ever published."""
    _require(member, Perm.CONTENT_EDIT)
    variant = _locked_variant(member, variant_id)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot change."))
    before = {"text": variant.text, "media": [a.pk for a in variant.ordered_media()]}
    before["options"] = variant.options
    if text is not None:
        variant.text = text
    if options is not None:
        rules, _label = checks.rules_for(variant.channel.network)
        variant.options = variant_options.clean(options, rules)
    if media_ids is not None:
        _set_media(variant, _assets(member.workspace_id, media_ids))
    after = {
        "text": variant.text,
        "media": [a.pk for a in variant.ordered_media()],
        "options": variant.options,
    }
    changes = audit.diff(before, after)
    if not changes:
        return variant
    setup = publishing_settings(member.workspace_id)
    if (
        setup.require_approval
        and setup.reapprove_after_edit
        and variant.state in (VariantState.APPROVED, VariantState.SCHEDULED)
    ):
        changes["state"] = [_move(variant, VariantState.PENDING_APPROVAL), variant.state]
        variant.approved_at = None
        variant.approved_by = None
        ApprovalRequest.objects.create(
            variant=variant,
            requested_by=actor.user,
            comment=_("Edited after approval; please look again."),
        )
    variant.last_error = "" if variant.state != VariantState.FAILED else variant.last_error
    variant.save()
    audit.record(member.workspace, actor, "variant.edit", variant, changes)
    return variant


@transaction.atomic
def submit_for_approval(
    member: Member, actor: Actor, variant_id: int, *, comment: str = ""
) -> Variant:
    _require(member, Perm.CONTENT_EDIT)
    variant = _locked_variant(member, variant_id)
    if variant.state == VariantState.PENDING_APPROVAL:
        return variant  # asked already; a second click changes nothing
    before = _move(variant, VariantState.PENDING_APPROVAL)
    variant.approved_at = None
    variant.approved_by = None
    variant.save()
    ApprovalRequest.objects.create(
        variant=variant, requested_by=actor.user, comment=comment.strip()
    )
    audit.record(
        member.workspace,
        actor,
        "variant.submit",
        variant,
        {"state": [before, variant.state], "comment": [None, comment.strip()]},
    )
    return variant


def _decide(
    member: Member, actor: Actor, variant_id: int, decision: str, comment: str, action: str
) -> Variant:
    _require(member, Perm.CONTENT_APPROVE)
    variant = _locked_variant(member, variant_id)
    if variant.state != VariantState.PENDING_APPROVAL:
        raise ValidationError(_("This variant is not waiting for approval."))
    now = timezone.now()
    before = _move(variant, decision)
    if decision == VariantState.APPROVED:
        variant.approved_at, variant.approved_by = now, actor.user
    variant.save()
    request = variant.approvals.filter(decided_at=None).first() or ApprovalRequest(variant=variant)
    request.decided_by, request.decided_at = actor.user, now
    request.decision, request.decision_comment = decision, comment.strip()
    request.save()
    audit.record(
        member.workspace,
        actor,
        action,
        variant,
        {"state": [before, variant.state], "comment": [None, comment.strip()]},
    )
    return variant


@transaction.atomic
def approve_variant(member: Member, actor: Actor, variant_id: int, *, comment: str = "") -> Variant:
    """Approve; a variant that already has its time (planned before it was sent, kept through a
    last-minute edit, or set by a recurring series) goes on the schedule for that time, as the
    approver would expect. Where it cannot (the time has passed, a rule now refuses it) it stays
    approved with its time, to be scheduled by hand."""
    variant = _decide(member, actor, variant_id, VariantState.APPROVED, comment, "variant.approve")
    when = variant.scheduled_at
    if when is not None and when > timezone.now():
        try:
            with transaction.atomic():
                # Approving is consent to publish at the planned time: the approver (a client,
                # say) need not hold the right to edit content for it to be scheduled.
                return _schedule(member, actor, variant, when)
        except ValidationError:
            variant.refresh_from_db()
    return variant


@transaction.atomic
def request_changes(member: Member, actor: Actor, variant_id: int, *, comment: str) -> Variant:
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should change.")})
    return _decide(
        member, actor, variant_id, VariantState.CHANGES_REQUESTED, comment, "variant.changes"
    )


def _check_schedulable(member: Member, variant: Variant, when: datetime) -> None:
    if timezone.is_naive(when):
        raise ValueError("scheduled times must be aware")
    if when <= timezone.now():
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    setup = publishing_settings(member.workspace_id)
    if setup.require_approval and variant.approved_at is None:
        raise ValidationError(
            _("This workspace requires approval: %(channel)s's variant is not approved yet.")
            % {"channel": variant.channel.name}
        )
    report = check(variant)
    if not report.valid:
        raise ValidationError(
            [
                _("%(channel)s: %(problem)s")
                % {"channel": variant.channel.name, "problem": problem.message}
                for problem in report.problems
            ]
        )


@transaction.atomic
def schedule_variant(member: Member, actor: Actor, variant_id: int, when: datetime) -> Variant:
    """Commit a variant to be published at `when` (aware). Refused while the network or the brand
    would object to it, and without approval where the workspace requires one."""
    _require(member, Perm.CONTENT_EDIT)
    return _schedule(member, actor, _locked_variant(member, variant_id), when)


def _schedule(member: Member, actor: Actor, variant: Variant, when: datetime) -> Variant:
    _check_schedulable(member, variant, when)
    before_time = variant.scheduled_at
    before = variant.state
    if variant.state != VariantState.SCHEDULED:
        _move(variant, VariantState.SCHEDULED)
    variant.scheduled_at = when
    variant.last_error = ""
    variant.save()
    _enqueue_on_commit(variant)
    audit.record(
        member.workspace,
        actor,
        "variant.schedule",
        variant,
        audit.diff(
            {"state": before, "scheduled_at": before_time and before_time.isoformat()},
            {"state": variant.state, "scheduled_at": when.isoformat()},
        ),
    )
    return variant


def _enqueue_on_commit(variant: Variant) -> None:
    # A variant due within minutes gets its publishing task now, with an eta, so it goes out on
    # time instead of waiting for the next sweep; the sweep is the backstop either way.
    from kalrav.publishing.tasks import enqueue_if_soon

    transaction.on_commit(lambda: enqueue_if_soon(variant))


@transaction.atomic
def publish_now(member: Member, actor: Actor, variant_id: int) -> Variant:
    """The "publish now" button: the same checks as scheduling (approval, the network's and the
    brand's rules), then due at once. A failed variant may be sent again this way."""
    _require(member, Perm.CONTENT_PUBLISH)
    variant = _locked_variant(member, variant_id)
    if variant.state not in (
        VariantState.DRAFT,
        VariantState.APPROVED,
        VariantState.SCHEDULED,
        VariantState.FAILED,
    ):
        raise ValidationError(
            _("A variant that is “%(state)s” cannot be published now.")
            % {"state": variant.get_state_display()}
        )
    now = timezone.now()
    # Checked as if scheduled a moment ahead: "now" is never in the future by the time it runs.
    _check_schedulable(member, variant, now + timedelta(seconds=1))
    before = variant.state
    before_time = variant.scheduled_at
    if variant.state != VariantState.SCHEDULED:
        _move(variant, VariantState.SCHEDULED)
    variant.scheduled_at = now
    variant.last_error = ""
    variant.save()
    _enqueue_on_commit(variant)
    audit.record(
        member.workspace,
        actor,
        "variant.publish_now",
        variant,
        audit.diff(
            {"state": before, "scheduled_at": before_time and before_time.isoformat()},
            {"state": variant.state, "scheduled_at": now.isoformat()},
        ),
    )
    return variant


@transaction.atomic
def unschedule_variant(member: Member, actor: Actor, variant_id: int) -> Variant:
    """Take a variant off the schedule; its planned time stays on the calendar, and an approval it
    had still holds."""
    _require(member, Perm.CONTENT_EDIT)
    variant = _locked_variant(member, variant_id)
    if variant.state != VariantState.SCHEDULED:
        return variant
    target = VariantState.APPROVED if variant.approved_at else VariantState.DRAFT
    before = _move(variant, target)
    variant.save()
    audit.record(
        member.workspace, actor, "variant.unschedule", variant, {"state": [before, variant.state]}
    )
    return variant


def keep_time_on(moment: datetime, day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """`moment` moved to `day` at the same wall-clock time in `zone`, as UTC; across a
    daylight-saving change the UTC offset changes and the local time does not."""
    local = moment.astimezone(zone)
    moved = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
    # A wall time that does not exist on that day (the hour skipped in spring) is normalised by
    # a round trip through UTC, as clocks do.
    return moved.astimezone(zoneinfo.ZoneInfo("UTC"))


DEFAULT_TIME = time(9, 0)


@transaction.atomic
def move_variant(member: Member, actor: Actor, variant_id: int, day: date) -> Variant:
    """Drag on the calendar: the same time of day (in the workspace's zone) on another day."""
    _require(member, Perm.CONTENT_EDIT)
    variant = _locked_variant(member, variant_id)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot move."))
    zone = zone_of(member.workspace)
    if variant.scheduled_at is None:
        when = datetime.combine(day, DEFAULT_TIME, tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))
    else:
        when = keep_time_on(variant.scheduled_at, day, zone)
    if variant.state == VariantState.SCHEDULED and when <= timezone.now():
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    before = variant.scheduled_at
    variant.scheduled_at = when
    variant.save()
    audit.record(
        member.workspace,
        actor,
        "variant.move",
        variant,
        {"scheduled_at": [before and before.isoformat(), when.isoformat()]},
    )
    return variant


@transaction.atomic
def plan_variant(member: Member, actor: Actor, variant_id: int, when: datetime | None) -> Variant:
    """Put a time on a variant that is not scheduled yet, so it shows on the calendar."""
    _require(member, Perm.CONTENT_EDIT)
    variant = _locked_variant(member, variant_id)
    if variant.state == VariantState.SCHEDULED:
        if when is None:
            raise ValidationError(_("Take the variant off the schedule first."))
        return schedule_variant(member, actor, variant_id, when)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot move."))
    before = variant.scheduled_at
    variant.scheduled_at = when
    variant.save()
    audit.record(
        member.workspace,
        actor,
        "variant.move",
        variant,
        {"scheduled_at": [before and before.isoformat(), when and when.isoformat()]},
    )
    return variant


# --- Whole posts ---------------------------------------------------------------------------------


@transaction.atomic
def schedule_post(member: Member, actor: Actor, post_id: int, when: datetime) -> list[Variant]:
    """Schedule every variant of a post at one time: all of them, or none if one is refused."""
    post = _locked_post(member, post_id)
    variants = list(post.variants.exclude(state__in=[VariantState.PUBLISHED]).order_by("id"))
    if not variants:
        raise ValidationError(_("Choose at least one channel for this post first."))
    return [schedule_variant(member, actor, v.pk, when) for v in variants]


@transaction.atomic
def submit_post(member: Member, actor: Actor, post_id: int, *, comment: str = "") -> list[Variant]:
    post = _locked_post(member, post_id)
    waiting = post.variants.filter(
        state__in=[VariantState.DRAFT, VariantState.CHANGES_REQUESTED, VariantState.FAILED]
    )
    return [submit_for_approval(member, actor, v.pk, comment=comment) for v in waiting]


@transaction.atomic
def compose_post(
    member: Member,
    actor: Actor,
    post_id: int | None,
    *,
    fields: dict[str, Any],
    channel_ids: list[int],
    media_ids: list[int],
    variant_texts: dict[int, str],
    variant_extras: dict[int, dict[str, Any]] | None = None,
) -> Post:
    """What the composer saves in one go: the post, its channels, its media on every variant, and
    each variant's own text (an empty one takes the master copy) and extras (thread, poll, first
    comment), merged into its options."""
    if post_id is None:
        post = create_post(member, actor, **fields, channel_ids=channel_ids, media_ids=media_ids)
    else:
        post = update_post(member, actor, post_id, channel_ids=channel_ids, **fields)
    for variant in post.variants.all():
        if not variant.editable:
            continue  # published (or going out): the post page's own buttons act on it
        text = variant_texts.get(variant.channel_id, "").strip() or post.text
        extras = (variant_extras or {}).get(variant.channel_id)
        options = variant_options.merged(variant.options, **extras) if extras else None
        try:
            edit_variant(member, actor, variant.pk, text=text, media_ids=media_ids, options=options)
        except ValidationError as error:
            raise ValidationError(
                {f"extras-{variant.channel_id}": variant_options.explain(variant.channel, error)}
            ) from None
    return post
