"""POST /api/v1/validate: the composer's and scripts' door to the same validator the command line
uses. Checking text needs no workspace, only a signed-in caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kalrav.api.schemas import ERRORS, perm
from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import MediaItem, MediaKind, Poll
from kalrav.connectors.rules import check, utf16_offset

router = Router(tags=["validate"])

MAX_TEXT = 100_000  # far above any network's limit; keeps one request from costing much CPU


class MediaIn(Schema):
    kind: MediaKind
    mime_type: str
    size: int = Field(ge=0)
    width: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)
    duration: float | None = Field(default=None, ge=0)
    alt_text: str = Field(default="", max_length=10_000)


class PollIn(Schema):
    options: list[str] = Field(max_length=50)
    duration_seconds: int | None = Field(default=None, ge=0)
    multiple: bool = False


class ValidateIn(Schema):
    network: str
    text: str = Field(max_length=MAX_TEXT)
    media: list[MediaIn] = Field(default=[], max_length=50)
    poll: PollIn | None = None
    limit: int | None = Field(
        default=None,
        ge=1,
        description="The channel's own length limit, such as a Mastodon instance's.",
    )
    options: dict[str, Any] = Field(
        default={},
        description="The post's options as a variant keeps them (Instagram's "
        '"instagram_format": "reel"…): the rules for that format apply.',
    )


class ProblemOut(Schema):
    code: str
    message: str
    target: str
    start: int | None = Field(description="Index in the text, in Unicode code points.")
    end: int | None
    utf16_start: int | None = Field(
        description="The same position in UTF-16 code units, for JavaScript editors."
    )
    utf16_end: int | None


class ValidateOut(Schema):
    network: str
    length: int
    limit: int
    valid: bool
    problems: list[ProblemOut]


@router.post("", response={200: ValidateOut, **ERRORS}, openapi_extra=perm("authenticated"))
def validate_text(request: HttpRequest, payload: ValidateIn):
    try:
        rules = catalogue.network(payload.network).rules
    except registry.UnknownNetwork:
        raise ValidationError(
            {
                "network": [
                    _("Unknown network; choose one of: %(slugs)s.")
                    % {"slugs": ", ".join(registry.available())}
                ]
            }
        ) from None
    rules = rules.for_options(payload.options)
    if payload.limit is not None:
        rules = replace(rules, max_length=payload.limit)
    media = [MediaItem(**item.dict()) for item in payload.media]
    poll = None
    if payload.poll is not None:
        seconds = payload.poll.duration_seconds
        poll = Poll(
            tuple(payload.poll.options),
            timedelta(seconds=seconds) if seconds is not None else None,
            payload.poll.multiple,
        )
    report = check(payload.text, rules, media, poll)
    text = payload.text
    return {
        "network": payload.network,
        "length": report.length,
        "limit": report.limit,
        "valid": report.valid,
        "problems": [
            {
                **problem.as_dict(),
                "utf16_start": None if problem.start is None else utf16_offset(text, problem.start),
                "utf16_end": None if problem.end is None else utf16_offset(text, problem.end),
            }
            for problem in report.problems
        ],
    }
