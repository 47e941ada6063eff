"""The composer's "When": keep the post as a draft, publish it now, schedule it at a date and time
in the workspace's time zone, or put it in the next free slot of each channel's queue, in the same
step as saving it.

Nothing here decides whether a post may go out: scheduling.py, approvals.py and the queues do, as
they do from the post page. Where the workspace requires approval, a time chosen here becomes the
planned time and the post is sent for approval; approving it schedules it for that time.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.publishing import approvals, scheduling, states
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.queues import services as queues
from kalrav.publishing.queues.models import QueueSlot
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member

DRAFT, NOW, AT, QUEUE = "draft", "now", "at", "queue"


class WhenForm(forms.Form):
    when = forms.ChoiceField(
        label=gettext_lazy("When"), widget=forms.RadioSelect, initial=DRAFT, required=False
    )
    when_date = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    when_time = forms.TimeField(
        label=gettext_lazy("Time"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(
        self,
        *args,
        zone: zoneinfo.ZoneInfo,
        require_approval: bool,
        can_publish: bool,
        has_queues: bool,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.require_approval = require_approval
        if require_approval:
            choices = [
                (DRAFT, _("Save as a draft")),
                (AT, _("Ask for approval, to publish at a date and time")),
            ]
            if has_queues:
                choices.append((QUEUE, _("Ask for approval, for the next free slot in the queue")))
        else:
            choices = [(DRAFT, _("Save as a draft"))]
            if can_publish:
                choices.append((NOW, _("Publish now")))
            choices.append((AT, _("Schedule at a date and time")))
            if has_queues:
                choices.append((QUEUE, _("Next free slot in the queue")))
        self.fields["when"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        data["when"] = data.get("when") or DRAFT
        if data["when"] == AT:
            day, at = data.get("when_date"), data.get("when_time")
            if day is None or at is None:
                raise ValidationError(_("Choose a date and a time."))
            moment = datetime.combine(day, at, tzinfo=self.zone)
            if moment <= timezone.now():
                raise ValidationError(_("Choose a time in the future."))
            data["at"] = moment
        return data


def has_queues(workspace_id: int) -> bool:
    return QueueSlot.objects.filter(channel__workspace_id=workspace_id).exists()


def _waiting(post_id: int) -> list[Variant]:
    return list(
        Variant.objects.filter(post_id=post_id, state__in=states.EDITABLE)
        .exclude(state=VariantState.SCHEDULED)
        .select_related("channel")
        .order_by("id")
    )


@transaction.atomic
def apply(
    member: Member,
    actor: Actor,
    post_id: int,
    choice: str,
    at: datetime | None,
    *,
    require_approval: bool,
) -> list[Variant]:
    """Carry out the composer's choice for a saved post; every variant, or none when one is refused.
    The variants it touched come back."""
    if choice == DRAFT:
        return []
    variants = _waiting(post_id)
    if not variants:
        raise ValidationError(_("Choose at least one channel for this post first."))
    if choice == NOW:
        return [scheduling.publish_now(member, actor, v.pk) for v in variants]
    if not require_approval:
        if choice == QUEUE:
            return queues.queue_post(member, actor, post_id)
        if at is None:
            raise ValidationError(_("Choose a date and a time."))
        return scheduling.schedule_post(member, actor, post_id, at)
    # Approval first: each variant keeps its time as the plan the approver consents to.
    for variant in variants:
        when = queues.next_free_slot(member, variant) if choice == QUEUE else at
        scheduling.plan_variant(member, actor, variant.pk, when)
    return approvals.submit_post(member, actor, post_id)
