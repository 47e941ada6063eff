"""Posts, variants, approvals, media and the calendar over /api/v1/workspaces/{ws}/… — everything the
composer and the calendar do, for scripts. Each operation calls the same services as the pages."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.publishing import approvals, posts, scheduling, workspace_settings
from kalrav.publishing.calendar import grid
from kalrav.publishing.calendar.views import variants_between
from kalrav.publishing.composer import variant_options
from kalrav.publishing.media import library
from kalrav.publishing.models import ApprovalRequest, MediaAsset, Post, Variant, VariantState
from kalrav.workspaces.permissions import Perm

router = Router(tags=["publishing"])

MAX_API_UPLOAD = 7 * 1024 * 1024  # base64 in JSON; larger files go through the media library page


class VariantOut(Schema):
    id: int
    post_id: int
    channel_id: int
    network: str
    text: str
    media_ids: list[int]
    options: dict
    scheduled_at: datetime | None
    state: str
    remote_id: str
    remote_url: str
    published_at: datetime | None
    last_error: str

    @staticmethod
    def resolve_network(obj: Variant) -> str:
        return obj.channel.network

    @staticmethod
    def resolve_media_ids(obj: Variant) -> list[int]:
        return [link.asset_id for link in obj.media_links.order_by("position")]


class PostOut(Schema):
    id: int
    title: str
    text: str
    campaign: str
    tags: list[str]
    notes: str
    created_at: datetime
    updated_at: datetime
    variants: list[VariantOut]

    @staticmethod
    def resolve_variants(obj: Post) -> list[Variant]:
        return list(obj.variants.select_related("channel").order_by("id"))


class PostIn(Schema):
    title: str = ""
    text: str = ""
    campaign: str = ""
    tags: list[str] = []
    notes: str = ""
    channel_ids: list[int] = []
    media_ids: list[int] = []


class PostPatch(Schema):
    title: str | None = None
    text: str | None = None
    campaign: str | None = None
    tags: list[str] | None = None
    notes: str | None = None
    channel_ids: list[int] | None = None


class PollIn(Schema):
    options: list[str]
    duration: int | None = None  # seconds
    multiple: bool = False


class VariantPatch(Schema):
    text: str | None = None
    media_ids: list[int] | None = None
    options: dict | None = None
    # Extras where the network takes them; each replaces what the variant had ([]/""/null poll
    # options remove it). They are kept in `options` under the same names.
    thread: list[str] | None = None
    poll: PollIn | None = None
    first_comment: str | None = None


class ScheduleIn(Schema):
    scheduled_at: datetime


class MoveIn(Schema):
    date: date


class CommentIn(Schema):
    comment: str = ""


class ProblemOut(Schema):
    code: str
    message: str
    start: int | None
    end: int | None
    target: str


class CheckOut(Schema):
    network: str
    length: int
    limit: int
    unit: str
    valid: bool
    problems: list[ProblemOut]
    warnings: list[ProblemOut]
    notes: str


class MediaOut(Schema):
    id: int
    original_name: str
    kind: str
    mime_type: str
    size: int
    width: int | None
    height: int | None
    duration: float | None
    alt_text: str
    url: str
    created_at: datetime

    @staticmethod
    def resolve_url(obj: MediaAsset) -> str:
        return obj.file.url


class MediaIn(Schema):
    filename: str
    content_base64: str
    alt_text: str = ""


class ApprovalOut(Schema):
    id: int
    variant_id: int
    post_id: int
    channel_id: int
    requested_by: str | None
    requested_at: datetime
    comment: str

    @staticmethod
    def resolve_post_id(obj: ApprovalRequest) -> int:
        return obj.variant.post_id

    @staticmethod
    def resolve_channel_id(obj: ApprovalRequest) -> int:
        return obj.variant.channel_id

    @staticmethod
    def resolve_requested_by(obj: ApprovalRequest) -> str | None:
        return obj.requested_by.email if obj.requested_by else None


class CalendarEntry(Schema):
    day: date
    local_time: str
    variant: VariantOut
    post_title: str
    campaign: str


class CalendarQuery(Schema):
    start: date | None = None
    end: date | None = None
    channel: int | None = None
    state: str | None = None


def _variant(member, variant_id: int) -> Variant:
    return get_object_or_404(
        Variant.objects.select_related("channel"),
        pk=variant_id,
        post__workspace=member.workspace,
    )


@router.get("/{ws}/posts", response={200: list[PostOut], **ERRORS})
@requires(Perm.CONTENT_VIEW)
def list_posts(request: ApiRequest, ws: str, campaign: str = "", limit: int = 100):
    member = request.member
    found = Post.objects.filter(workspace=member.workspace)
    if campaign:
        found = found.filter(campaign=campaign)
    return found[: max(1, min(limit, 500))]


@router.post("/{ws}/posts", response={201: PostOut, **ERRORS})
@requires(Perm.CONTENT_EDIT)
def create_post(request: ApiRequest, ws: str, payload: PostIn):
    who = caller(request)
    member = request.member
    return Status(201, posts.create_post(member, who.actor, **payload.dict()))


@router.get(
    "/{ws}/posts/{post_id}",
    response={200: PostOut, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def get_post(request: ApiRequest, ws: str, post_id: int):
    member = request.member
    return get_object_or_404(Post, pk=post_id, workspace=member.workspace)


@router.patch(
    "/{ws}/posts/{post_id}",
    response={200: PostOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def update_post(request: ApiRequest, ws: str, post_id: int, payload: PostPatch):
    who = caller(request)
    member = request.member
    fields = payload.dict(exclude_none=True)
    channel_ids = fields.pop("channel_ids", None)
    return posts.update_post(member, who.actor, post_id, channel_ids=channel_ids, **fields)


@router.delete("/{ws}/posts/{post_id}", response={204: None, **ERRORS})
@requires(Perm.CONTENT_EDIT)
def delete_post(request: ApiRequest, ws: str, post_id: int):
    who = caller(request)
    member = request.member
    posts.delete_post(member, who.actor, post_id)
    return Status(204, None)


@router.get(
    "/{ws}/variants/{variant_id}",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def get_variant(request: ApiRequest, ws: str, variant_id: int):
    member = request.member
    return _variant(member, variant_id)


@router.patch(
    "/{ws}/variants/{variant_id}",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def edit_variant(request: ApiRequest, ws: str, variant_id: int, payload: VariantPatch):
    who = caller(request)
    member = request.member
    variant = _variant(member, variant_id)
    fields = payload.dict(exclude_none=True)
    extras = {
        name: fields.pop(name) for name in ("thread", "poll", "first_comment") if name in fields
    }
    if extras:
        base = fields.get("options", variant.options)
        fields["options"] = variant_options.merged(base, **extras)
    return posts.edit_variant(member, who.actor, variant_id, **fields)


@router.get(
    "/{ws}/variants/{variant_id}/check",
    response={200: CheckOut, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def check_variant(request: ApiRequest, ws: str, variant_id: int):
    member = request.member
    report = scheduling.check(_variant(member, variant_id))
    return {
        "network": report.network,
        "length": report.length,
        "limit": report.limit,
        "unit": report.unit,
        "valid": report.valid,
        "problems": [p.as_dict() for p in report.problems],
        "warnings": [p.as_dict() for p in report.warnings],
        "notes": report.notes,
    }


def _transition(request: ApiRequest, variant_id: int, action):
    member = request.member
    _variant(member, variant_id)
    return action(member, request.auth.actor)


@router.post(
    "/{ws}/variants/{variant_id}/submit",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def submit_variant(request: ApiRequest, ws: str, variant_id: int, payload: CommentIn | None = None):
    return _transition(
        request,
        variant_id,
        lambda m, a: approvals.submit_for_approval(
            m, a, variant_id, comment=payload.comment if payload else ""
        ),
    )


@router.post(
    "/{ws}/variants/{variant_id}/approve",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_APPROVE)
def approve_variant(
    request: ApiRequest, ws: str, variant_id: int, payload: CommentIn | None = None
):
    return _transition(
        request,
        variant_id,
        lambda m, a: approvals.approve_variant(
            m, a, variant_id, comment=payload.comment if payload else ""
        ),
    )


@router.post(
    "/{ws}/variants/{variant_id}/request-changes",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_APPROVE)
def request_changes(request: ApiRequest, ws: str, variant_id: int, payload: CommentIn):
    return _transition(
        request,
        variant_id,
        lambda m, a: approvals.request_changes(m, a, variant_id, comment=payload.comment),
    )


@router.post(
    "/{ws}/variants/{variant_id}/schedule",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def schedule_variant(request: ApiRequest, ws: str, variant_id: int, payload: ScheduleIn):
    when = payload.scheduled_at
    if timezone.is_naive(when):
        raise ValidationError(
            {"scheduled_at": _("Give the time with its offset, e.g. 2025-03-31T09:30:00+05:30.")}
        )
    return _transition(
        request,
        variant_id,
        lambda m, a: scheduling.schedule_variant(m, a, variant_id, when),
    )


@router.post(
    "/{ws}/variants/{variant_id}/publish-now",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_PUBLISH)
def publish_variant_now(request: ApiRequest, ws: str, variant_id: int):
    """The page's "publish now": the same checks as scheduling, then due at once."""
    return _transition(
        request,
        variant_id,
        lambda m, a: scheduling.publish_now(m, a, variant_id),
    )


@router.post(
    "/{ws}/variants/{variant_id}/unschedule",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def unschedule_variant(request: ApiRequest, ws: str, variant_id: int):
    return _transition(
        request,
        variant_id,
        lambda m, a: scheduling.unschedule_variant(m, a, variant_id),
    )


@router.post(
    "/{ws}/variants/{variant_id}/move",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def move_variant(request: ApiRequest, ws: str, variant_id: int, payload: MoveIn):
    return _transition(
        request,
        variant_id,
        lambda m, a: scheduling.move_variant(m, a, variant_id, payload.date),
    )


@router.get(
    "/{ws}/approvals",
    response={200: list[ApprovalOut], **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def list_approvals(request: ApiRequest, ws: str):
    """Variants waiting for a decision, oldest request first."""
    member = request.member
    return (
        ApprovalRequest.objects.filter(
            variant__post__workspace=member.workspace,
            variant__state=VariantState.PENDING_APPROVAL,
            decided_at=None,
        )
        .select_related("variant", "requested_by")
        .order_by("requested_at")
    )


@router.get("/{ws}/media", response={200: list[MediaOut], **ERRORS})
@requires(Perm.CONTENT_VIEW)
def list_media(request: ApiRequest, ws: str):
    member = request.member
    return MediaAsset.objects.filter(workspace=member.workspace)


@router.post("/{ws}/media", response={201: MediaOut, **ERRORS})
@requires(Perm.CONTENT_EDIT)
def upload_media(request: ApiRequest, ws: str, payload: MediaIn):
    """Upload a file as base64 in JSON (up to 7 MB); its type is read from its content."""
    who = caller(request)
    member = request.member
    if len(payload.content_base64) > MAX_API_UPLOAD * 4 // 3 + 4:
        raise ValidationError(
            {
                "content_base64": _(
                    "The file is too large for the API; upload it in the media library."
                )
            }
        )
    try:
        content = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"content_base64": _("This is not valid base64.")}) from None
    upload = SimpleUploadedFile(payload.filename[:200] or "upload", content)
    return Status(201, library.upload_media(member, who.actor, upload, alt_text=payload.alt_text))


@router.get(
    "/{ws}/calendar",
    response={200: list[CalendarEntry], **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def calendar(request: ApiRequest, ws: str, filters: Query[CalendarQuery]):
    """Variants planned between two local dates (inclusive, in the workspace's time zone); this
    month when no dates are given."""
    member = request.member
    zone = workspace_settings.zone_of(member.workspace)
    today = timezone.now().astimezone(zone).date()
    month = grid.span("month", today)
    start, end = filters.start or month.first, filters.end or month.last
    if end < start or (end - start).days > 366:
        raise ValidationError({"end": _("Ask for at most a year, with end on or after start.")})
    found = variants_between(member, start, end)
    if filters.channel:
        found = found.filter(channel_id=filters.channel)
    if filters.state:
        found = found.filter(state=filters.state)
    entries = []
    for variant in found:
        local = variant.scheduled_at.astimezone(zone)  # type: ignore[union-attr]
        entries.append(
            {
                "day": local.date(),
                "local_time": local.strftime("%H:%M"),
                "variant": variant,
                "post_title": variant.post.title,
                "campaign": variant.post.campaign,
            }
        )
    return entries
