"""Conversions: what the brand's site reports (a registration, a call, a sale with its value),
attributed to the click through a tracked link that brought the visitor.

Two ways in. The brand's server signs each report with the workspace's conversion key
(`Kalrav-Signature`, the scheme of Kalrav's own webhooks: HMAC-SHA256 over `<t>.<body>`, five
minutes' tolerance), so values can be trusted. A small script on the brand's pages reports
without a secret (it would be public); it is accepted only for a real click of the last
ATTRIBUTION days and carries no value. Every report has the brand's own event id; a repeat of
an id is refused, so a retried or replayed report never counts twice.

Attribution: the last click through a tracked link before the conversion, within
KALRAV_ATTRIBUTION_DAYS (30 by default), like the last-click window of the networks' own ads
managers. A conversion without a click in that window is kept, unattributed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kalrav.analytics.models import (
    Click,
    Conversion,
    ConversionKey,
    ConversionKind,
    ConversionSource,
)
from kalrav.hooks import signing
from kalrav.workspaces.models import Workspace

SECRET_PREFIX = "cvsec_"  # noqa: S105 - says what the value is
EARLIEST_FUTURE = timedelta(minutes=5)


def attribution_window() -> timedelta:
    return timedelta(days=settings.KALRAV_ATTRIBUTION_DAYS)


class Repeated(Exception):
    """This event id was reported before: nothing is counted twice."""


@dataclass(frozen=True)
class Report:
    kind: str
    event_id: str
    occurred_at: datetime
    value: Decimal | None
    currency: str
    click_id: str


def new_key(workspace: Workspace) -> str:
    """A new conversion key for the workspace, replacing the old one; shown once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    ConversionKey.objects.update_or_create(workspace=workspace, defaults={"secret": secret})
    return secret


def signed_by_workspace(workspace: Workspace, body: bytes, header: str) -> bool:
    key = ConversionKey.objects.filter(workspace=workspace).first()
    return key is not None and bool(header) and signing.verify(key.secret, body, header)


def parse(payload: object, *, with_value: bool) -> Report:
    """A report checked field by field; every problem named at once."""
    if not isinstance(payload, dict):
        raise ValidationError(_("Send a JSON object."))
    errors: dict[str, str] = {}
    kind = str(payload.get("kind", ""))
    if kind not in ConversionKind.values:
        errors["kind"] = _("Use one of: %(kinds)s.") % {"kinds": ", ".join(ConversionKind.values)}
    event_id = str(payload.get("event_id", "")).strip()
    if not event_id or len(event_id) > 120:
        errors["event_id"] = _("Give your own id of this event, up to 120 characters.")
    occurred_at = timezone.now()
    if payload.get("occurred_at"):
        found = parse_datetime(str(payload["occurred_at"]))
        if found is None or timezone.is_naive(found):
            errors["occurred_at"] = _("Give the time as ISO 8601 with its offset.")
        elif found > timezone.now() + EARLIEST_FUTURE:
            errors["occurred_at"] = _("The time is in the future.")
        else:
            occurred_at = found
    value: Decimal | None = None
    currency = ""
    if with_value and payload.get("value") not in (None, ""):
        try:
            value = Decimal(str(payload["value"]))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0 or value >= Decimal(10) ** 12:
            errors["value"] = _("Give the value as a number, 0 or more.")
            value = None
        currency = str(payload.get("currency", "")).upper()
        if len(currency) != 3 or not currency.isalpha():
            errors["currency"] = _("Give the currency as its three-letter code, such as INR.")
    click_id = str(payload.get("click", "") or "")[:24]
    if errors:
        raise ValidationError(errors)
    return Report(kind, event_id, occurred_at, value, currency, click_id)


def _attributed_click(workspace: Workspace, report: Report) -> Click | None:
    if not report.click_id:
        return None
    return (
        Click.objects.filter(
            click_id=report.click_id,
            link__workspace=workspace,
            automated=False,
            at__lte=report.occurred_at + EARLIEST_FUTURE,
            at__gte=report.occurred_at - attribution_window(),
        )
        .select_related("link")
        .first()
    )


def record(workspace: Workspace, report: Report, source: str) -> Conversion:
    click = _attributed_click(workspace, report)
    if source == ConversionSource.BROWSER and click is None:
        raise ValidationError(
            {"click": _("The page's script reports only for a recent click on a tracked link.")}
        )
    link = click.link if click is not None else None
    try:
        with transaction.atomic():
            return Conversion.objects.create(
                workspace=workspace,
                kind=report.kind,
                event_id=report.event_id,
                value=report.value,
                currency=report.currency,
                source=source,
                occurred_at=report.occurred_at,
                click=click,
                link=link,
                post_id=link.post_id if link else None,
                channel_id=link.channel_id if link else None,
                campaign=link.campaign if link else "",
            )
    except IntegrityError:
        raise Repeated(report.event_id) from None
