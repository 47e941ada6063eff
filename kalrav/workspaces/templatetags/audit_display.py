from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.formats import date_format, time_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def audit_field(object_type: str, field: str) -> str:
    """The changed field's translated label, from the model it belongs to."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return field.replace("_", " ")
    try:
        return str(model._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        pass
    # A field of a related record (a post's recurrence): the label of that field in the app.
    for other in model._meta.app_config.get_models():
        try:
            return str(other._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            continue
    return field.replace("_", " ")


def _moment(value: str) -> str | None:
    """A date or time the audit log kept as ISO text ("08:00:00", "2026-12-25",
    "2026-12-07T12:30:00+00:00"), as the reader's dates read, in the zone the page is in; None
    when the text is not one."""
    try:
        if len(value) == 8 and value[2] == ":":
            clock = parse_time(value)
            return time_format(clock, "TIME_FORMAT") if clock is not None else None
        if len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
            return None
        if len(value) == 10:
            day = parse_date(value)
            return date_format(day, "DATE_FORMAT") if day is not None else None
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "SHORT_DATETIME_FORMAT")


@register.filter
def audit_value(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if value is True or value is False:
        return _("Yes") if value else _("No")
    if isinstance(value, str) and (shown := _moment(value)) is not None:
        return shown
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    return Truncator(str(value)).chars(120)


@register.simple_tag
def audit_shown(object_type: str, field: str, value) -> str:
    """A recorded value as the page shows that field: a choice by its translated label
    ("draft" reads "Πρόχειρο" in Greek), anything else as `audit_value` reads it."""
    if isinstance(value, str) and value:
        try:
            choices = apps.get_model(object_type)._meta.get_field(field).flatchoices
        except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
            choices = []
        for key, label in choices or []:
            if key == value:
                return str(label)
    return audit_value(value)
