"""Values in the audit log read as the rest of the page: dates in the reader's style and zone."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from kalrav.workspaces.templatetags.audit_display import audit_value


def test_iso_times_read_as_dates_in_the_pages_zone_and_language():
    template = Template(
        '{% load tz audit_display %}{% timezone "Asia/Kolkata" %}{{ v|audit_value }}{% endtimezone %}'
    )
    with translation.override("en"):
        assert template.render(Context({"v": "2026-12-07T12:30:00+00:00"})) == "7 Dec 2026, 18:00"
    with translation.override("hi"):
        assert template.render(Context({"v": "2026-12-07T12:30:00+00:00"})) == (
            "7 दिसंबर 2026, 6:00 अपराह्न"
        )
    with translation.override("en"):
        assert audit_value("2026-12-25") == "25 Dec 2026"
        assert audit_value(True) == "Yes"
        assert audit_value("2026 plans") == "2026 plans"
        assert audit_value(None) == "—"


def test_choices_read_by_their_label_and_times_of_day_by_the_clock():
    from kalrav.workspaces.templatetags.audit_display import audit_shown

    with translation.override("el"):
        assert audit_shown("publishing.variant", "state", "draft") == "Πρόχειρο"
        assert audit_shown("publishing.variant", "nothing_such", "draft") == "draft"
    with translation.override("hi"):
        assert audit_value("08:00:00") == "8:00 पूर्वाह्न"
