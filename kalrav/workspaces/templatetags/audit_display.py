from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import Truncator

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


@register.filter
def audit_value(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    return Truncator(str(value)).chars(120)
