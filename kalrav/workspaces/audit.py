"""Recording changes to workspace data: one entry per change, with the fields that moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import AuditEntry, Workspace

ACTION_LABELS = {
    "workspace.create": _("created the workspace"),
    "workspace.update": _("changed the workspace settings"),
    "member.add": _("added a member"),
    "member.role": _("changed a member's role"),
    "member.remove": _("removed a member"),
    "invitation.create": _("invited someone"),
    "invitation.accept": _("accepted an invitation"),
    "invitation.revoke": _("withdrew an invitation"),
    "brand.update": _("changed the brand profile"),
    "token.create": _("created an API token"),
    "token.revoke": _("revoked an API token"),
    "token.renew": _("renewed an API token"),
    "channel.connect": _("connected a channel"),
    "channel.reconnect": _("reconnected a channel"),
    "channel.pause": _("paused a channel"),
    "channel.resume": _("resumed a channel"),
    "channel.remove": _("removed a channel"),
    "conversation.assign": _("assigned a conversation"),
    "conversation.state": _("changed a conversation's state"),
    "conversation.tag": _("tagged a conversation"),
    "conversation.reply": _("replied to a conversation"),
    "conversation.note": _("wrote an internal note"),
    "message.like": _("liked a message on the network"),
    "message.unlike": _("took back a like on the network"),
    "message.hide": _("hid a reply on the network"),
    "message.unhide": _("showed a hidden reply again"),
    "message.delete": _("deleted a message on the network"),
    "conversation.priority": _("changed a conversation's priority"),
    "conversation.sentiment": _("corrected a message's sentiment"),
    "inboxview.save": _("saved an inbox view"),
    "inboxview.change": _("changed an inbox view"),
    "inboxview.delete": _("deleted an inbox view"),
    "savedreply.save": _("saved a reply template"),
    "inbox.settings": _("changed the response-time targets"),
    "team.create": _("created a team"),
    "rule.create": _("created a routing rule"),
    "rule.delete": _("deleted a routing rule"),
    "savedreply.delete": _("deleted a reply template"),
    "publishing.settings": _("changed the publishing settings"),
    "post.create": _("wrote a post"),
    "post.update": _("changed a post"),
    "post.delete": _("deleted a post"),
    "variant.edit": _("edited a variant"),
    "variant.submit": _("asked for approval"),
    "variant.approve": _("approved a variant"),
    "variant.changes": _("asked for changes"),
    "variant.schedule": _("scheduled a variant"),
    "variant.unschedule": _("took a variant off the schedule"),
    "variant.move": _("moved a variant on the calendar"),
    "variant.published": _("published a variant"),
    "variant.failed": _("failed to publish a variant"),
    "variant.publish_now": _("asked to publish a variant now"),
    "variant.delete_requested": _("asked to delete a published variant from its network"),
    "variant.deleted": _("deleted a variant from its network"),
    "variant.delete_failed": _("failed to delete a variant from its network"),
    "variant.edit_requested": _("asked to edit a published variant"),
    "variant.edited_published": _("edited a published variant on its network"),
    "variant.edit_failed": _("failed to edit a published variant"),
    "media.upload": _("uploaded media"),
    "media.update": _("changed media"),
    "media.delete": _("deleted media"),
    "team.update": _("changed a team"),
    "conversation.handoff": _("handed a conversation off to a team"),
    "webhook.create": _("added a webhook endpoint"),
    "webhook.update": _("changed a webhook endpoint"),
    "webhook.secret": _("replaced a webhook endpoint's secret"),
    "webhook.delete": _("deleted a webhook endpoint"),
    "webhook.test": _("sent a test event to a webhook endpoint"),
    "queue.update": _("changed a channel's queue"),
    "post.recurrence": _("set a post to repeat"),
    "post.recurrence_clear": _("stopped a post repeating"),
    "post.occurrence": _("planned the next time a post repeats"),
    "sentiment.correct": _("corrected a sentiment"),
    "post.links_tracked": _("tracked a post's links"),
    "conversions.key_created": _("made a new conversion key"),
    "report.created": _("scheduled a report"),
    "report.changed": _("changed a scheduled report"),
    "report.deleted": _("deleted a scheduled report"),
    "report.sent": _("sent a report"),
    "workspace.exported": _("downloaded the workspace's full export"),
    "campaign.created": _("created a campaign"),
    "campaign.changed": _("changed a campaign"),
    "listening.alert_rule_created": _("added a listening alert rule"),
    "listening.alert_rule_changed": _("changed a listening alert rule"),
    "listening.alert_rule_deleted": _("removed a listening alert rule"),
    "listening.alert_assigned": _("assigned a listening alert"),
    "listening.alert_state": _("changed a listening alert's state"),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person through the web or the API, a command, or Kalrav itself."""

    user: Any = None
    via: str = "web"
    label: str = ""

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        return self.user.email if self.user is not None else "Kalrav"


SYSTEM = Actor(via="system")


def _plain(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, date | time):  # a datetime is a date too
        return value.isoformat()
    return value


def snapshot(instance: models.Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def entry(
    workspace: Workspace | int,
    actor: Actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """The entry for one change, not saved yet: `record` saves one, bulk writers save many."""
    assert action in ACTION_LABELS, f"unknown audit action {action}"
    return AuditEntry(
        workspace_id=workspace if isinstance(workspace, int) else workspace.pk,
        actor=actor.user,
        actor_label=actor.display[:200],
        via=actor.via,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk or ""),
        object_repr=str(target)[:200],
        changes=changes or {},
    )


def record(
    workspace: Workspace,
    actor: Actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    written = entry(workspace, actor, action, target, changes)
    written.save(force_insert=True)
    return written
