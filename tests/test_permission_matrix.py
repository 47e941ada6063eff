"""Every HTML view and API operation under a workspace, tried anonymously, as an outsider and as
each role: allowed roles get through, others get 403, outsiders 404, anonymous a sign-in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kalrav.api import tokens
from kalrav.api_root import api
from kalrav.publishing import approvals
from kalrav.web.sections import SECTIONS
from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm, Role

CALLERS = [*(r.value for r in Role), "outsider", "anonymous"]


def _other(members, caller: str) -> Member:
    """A member who is neither the caller nor an owner, to act upon."""
    return members["agent"] if caller != "agent" else members["editor"]


@dataclass
class Case:
    name: str
    method: str
    perm: Perm
    kwargs: object = None  # callable(members, caller, workspace) -> dict
    data: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def _invitation(members, caller, workspace):
    invitation, _ = services.invite(
        members["owner"], Actor(user=members["owner"].user), email="new@example.test", role="editor"
    )
    return {"invitation_id": invitation.pk}


def _own_token(members, caller, workspace):
    member = members.get(caller) or members["owner"]
    record, _ = tokens.create_token(
        member, Actor(user=member.user), name="script", role=member.role
    )
    return {"token_id": record.pk}


def _channel(members, caller, workspace):
    from kalrav.channels.models import Channel

    return {
        "channel_id": Channel.objects.create(
            workspace=workspace, network="bluesky", name="Brand"
        ).pk
    }


def _sandbox_channel(members, caller, workspace):
    from kalrav.channels.models import Channel

    channel = Channel.objects.create(workspace=workspace, network="sandbox", name="Sandbox")
    return {"channel_id": channel.pk}


def _scheduled_report(members, caller, workspace):
    from kalrav.analytics.reports.models import ScheduledReport

    report = ScheduledReport.objects.create(
        workspace=workspace, name="Weekly", frequency="weekly", language="en",
        formats=["csv"], recipients=["client@example.test"],
    )  # fmt: skip
    return {"report_id": report.pk}


def _conversation(members, caller, workspace):
    from kalrav.inbox.intake.ingest import ingest
    from kalrav.inbox.models import Conversation
    from kalrav.inbox.tests.fakes import item

    channel = _channel(members, caller, workspace)["channel_id"]
    from kalrav.channels.models import Channel

    ingest(Channel.objects.get(pk=channel), [item(f"m-{caller}", "Where is my order?")], via="poll")
    return {"conversation_id": Conversation.objects.filter(workspace=workspace).latest("pk").pk}


def _moderated(members, caller, workspace):
    """A Bluesky channel that knows its account, a thread it started, a fan's reply there (which
    may be liked and hidden) and the brand's own answer (which only it may delete)."""
    from kalrav.channels.models import Channel
    from kalrav.connectors.base import ItemKind
    from kalrav.inbox.intake.ingest import ingest
    from kalrav.inbox.models import Delivery, Direction, Message
    from kalrav.inbox.tests.fakes import item

    brand = "did:plc:brand"
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", remote_id=brand
    )
    root = f"at://{brand}/app.bsky.feed.post/3root{caller}"
    reply = f"at://did:plc:fan/app.bsky.feed.post/3reply{caller}"
    (fan,) = ingest(channel, [item(reply, "Love it", root=root, parent=root)], via="poll")
    own = Message.objects.create(
        conversation=fan.conversation,
        channel=channel,
        remote_id=f"at://{brand}/app.bsky.feed.post/3answer{caller}",
        kind=ItemKind.REPLY.value,
        direction=Direction.OUT,
        delivery=Delivery.SENT,
        text="Thank you!",
        created_at=fan.created_at,
    )
    return {"message_id": fan.pk, "own_message_id": own.pk}


def _fan_message(members, caller, workspace):
    return {"message_id": _moderated(members, caller, workspace)["message_id"]}


def _own_message(members, caller, workspace):
    return {"message_id": _moderated(members, caller, workspace)["own_message_id"]}


def _sla(members, caller, workspace):
    """A team reachable by email and by a helpdesk endpoint, a hand-off that failed, and a
    failed delivery to the endpoint (which no test request reaches: the address is public)."""
    from kalrav import crypto
    from kalrav.hooks.models import Delivery, DeliveryState, Endpoint
    from kalrav.inbox.models import Handoff, Team

    conversation_id = _conversation(members, caller, workspace)["conversation_id"]
    endpoint = Endpoint.objects.create(
        workspace=workspace,
        url="https://93.184.215.14/desk",
        events=["sla.breached"],
        secret=crypto.encrypt("whsec_test"),
    )
    team = Team.objects.create(
        workspace=workspace,
        name=f"Billing {caller}",
        email="billing@example.test",
        handoff_endpoint=endpoint,
    )
    handoff = Handoff.objects.create(
        conversation_id=conversation_id,
        team=team,
        team_name=team.name,
        via="email",
        target=team.email,
        state=Handoff.State.FAILED,
    )
    delivery = Delivery.objects.create(endpoint=endpoint, event="ping", state=DeliveryState.FAILED)
    return {
        "conversation_id": conversation_id,
        "team_id": team.pk,
        "endpoint_id": endpoint.pk,
        "handoff_id": handoff.pk,
        "delivery_id": delivery.pk,
    }


def _pick(*names):
    return lambda m, c, w: {k: v for k, v in _sla(m, c, w).items() if k in names}


def _rule(members, caller, workspace):
    from kalrav.inbox.models import RoutingRule

    return {"rule_id": RoutingRule.objects.create(workspace=workspace, name="Late").pk}


def _saved_reply(members, caller, workspace):
    from kalrav.inbox.models import SavedReply

    return {
        "reply_id": SavedReply.objects.create(
            workspace=workspace, title="Hi", text="Hi {first_name}"
        ).pk
    }


def _saved_view(members, caller, workspace):
    from kalrav.inbox.models import SavedView

    owner = members.get(caller) or members["owner"]
    view = SavedView.objects.create(workspace=workspace, owner=owner.user, name="Late")
    return {"view_id": view.pk}


def _incoming_message(members, caller, workspace):
    from kalrav.inbox.models import Message

    found = _conversation(members, caller, workspace)
    message = Message.objects.filter(conversation_id=found["conversation_id"]).latest("pk")
    return {**found, "message_id": message.pk}


def _post(members, caller, workspace):
    """A post with one variant waiting for approval, valid for its network, planned for later."""
    from datetime import UTC, datetime

    from kalrav.publishing import approvals, posts, scheduling

    owner = members["owner"]
    channel_id = _channel(members, caller, workspace)["channel_id"]
    post = posts.create_post(
        owner, Actor(user=owner.user), title="Tea", text="Fresh tea", channel_ids=[channel_id]
    )
    variant = post.variants.get()
    scheduling.plan_variant(
        owner, Actor(user=owner.user), variant.pk, datetime(2099, 1, 1, tzinfo=UTC)
    )
    approvals.submit_for_approval(owner, Actor(user=owner.user), variant.pk)
    # A queue on the channel, so "add to queue" has a slot to take.
    from kalrav.publishing.models import QueueSlot

    QueueSlot.objects.create(channel_id=channel_id, weekday=0, time="09:30")
    return {"post_id": post.pk, "variant_id": variant.pk}


def _variant(members, caller, workspace):
    return {"variant_id": _post(members, caller, workspace)["variant_id"]}


def _post_only(members, caller, workspace):
    return {"post_id": _post(members, caller, workspace)["post_id"]}


def _slot(members, caller, workspace):
    from kalrav.publishing.models import QueueSlot

    channel_id = _channel(members, caller, workspace)["channel_id"]
    return {"slot_id": QueueSlot.objects.create(channel_id=channel_id, weekday=2, time="13:00").pk}


def _published_variant(members, caller, workspace):
    """A variant published on a network that allows editing (Mastodon), for the buttons that act
    on a published post; the network itself is only called by a task after the request."""
    from kalrav.publishing.models import Variant

    found = _variant(members, caller, workspace)
    variant = Variant.objects.get(pk=found["variant_id"])
    variant.channel.network = "mastodon"
    variant.channel.save(update_fields=["network"])
    Variant.objects.filter(pk=variant.pk).update(state="published", remote_id="109")
    return found


def _asset(members, caller, workspace):
    from kalrav.publishing.models import MediaAsset

    asset = MediaAsset.objects.create(
        workspace=workspace, file="publishing/x.png", kind="image", mime_type="image/png", size=1
    )
    return {"asset_id": asset.pk}


BLUESKY = {
    "service_url": "https://pds.example.test",
    "handle": "brand.example.test",
    "app_password": "x-y-z",
}

HTML_CASES = [
    Case("web:workspace-home", "GET", Perm.WORKSPACE_VIEW),
    *[
        Case("web:section", "GET", s.perm, lambda m, c, w, s=s: {"section": s.slug})
        for s in SECTIONS
    ],
    Case("workspaces:general", "GET", Perm.WORKSPACE_VIEW),
    Case(
        "workspaces:general",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={"name": "Acme Tea 2", "time_zone": "UTC", "language": "en"},
    ),
    Case("workspaces:members", "GET", Perm.MEMBERS_VIEW),
    Case(
        "workspaces:members",
        "POST",
        Perm.MEMBERS_MANAGE,
        data={"email": "new@example.test", "role": "client"},
    ),
    Case(
        "workspaces:member-role",
        "POST",
        Perm.MEMBERS_MANAGE,
        lambda m, c, w: {"member_id": _other(m, c).pk},
        {"role": "analyst"},
    ),
    Case(
        "workspaces:member-remove",
        "POST",
        Perm.MEMBERS_MANAGE,
        lambda m, c, w: {"member_id": _other(m, c).pk},
    ),
    Case("workspaces:invitation-revoke", "POST", Perm.MEMBERS_MANAGE, _invitation),
    Case("workspaces:brand", "GET", Perm.BRAND_VIEW),
    Case("workspaces:brand-edit", "GET", Perm.BRAND_EDIT),
    Case("workspaces:brand-edit", "POST", Perm.BRAND_EDIT, data={"mission": "Tea for all"}),
    Case("workspaces:audit", "GET", Perm.AUDIT_VIEW),
    Case("api-tokens", "GET", Perm.TOKENS_USE),
    Case("api-tokens", "POST", Perm.TOKENS_USE, data={"name": "script", "role": "CALLER"}),
    Case("api-token-revoke", "POST", Perm.TOKENS_USE, _own_token),
    Case("api-token-renew", "POST", Perm.TOKENS_USE, _own_token),
    Case("channels:list", "GET", Perm.CHANNELS_VIEW),
    Case("channels:connect", "GET", Perm.CHANNELS_MANAGE, lambda m, c, w: {"network": "bluesky"}),
    Case(
        "channels:connect",
        "POST",
        Perm.CHANNELS_MANAGE,
        lambda m, c, w: {"network": "bluesky"},
        BLUESKY,
    ),
    Case(
        "channels:oauth-start",
        "POST",
        Perm.CHANNELS_MANAGE,
        lambda m, c, w: {"network": "mastodon"},
        {"server": ""},
    ),
    # An unknown or spent choice sends the person back to the channels list (302).
    Case("channels:oauth-pick", "GET", Perm.CHANNELS_MANAGE, lambda m, c, w: {"pick": "spent"}),
    Case("channels:oauth-pick", "POST", Perm.CHANNELS_MANAGE, lambda m, c, w: {"pick": "spent"}),
    Case("channels:detail", "GET", Perm.CHANNELS_VIEW, _channel),
    Case("channels:detail", "POST", Perm.CHANNELS_MANAGE, _channel, BLUESKY),
    Case("channels:pause", "POST", Perm.CHANNELS_MANAGE, _channel),
    Case("channels:resume", "POST", Perm.CHANNELS_MANAGE, _channel),
    Case("channels:remove", "POST", Perm.CHANNELS_MANAGE, _channel),
    Case("sandbox:network", "GET", Perm.CHANNELS_VIEW),
    Case("sandbox:outage", "POST", Perm.CHANNELS_MANAGE, _sandbox_channel, {"outage": "on"}),
    Case("publishing:calendar", "GET", Perm.CONTENT_VIEW),
    Case("publishing:move", "POST", Perm.CONTENT_EDIT, _variant, {"day": "2099-01-05"}),
    Case("publishing:export-csv", "GET", Perm.CONTENT_VIEW),
    Case("publishing:export-ics", "GET", Perm.CONTENT_VIEW),
    Case("publishing:import", "GET", Perm.CONTENT_EDIT),
    Case("publishing:settings", "GET", Perm.CONTENT_VIEW),
    Case(
        "publishing:settings",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={"require_approval": "on", "reapprove_after_edit": "on"},
    ),
    Case("publishing:compose", "GET", Perm.CONTENT_EDIT),
    Case("publishing:compose", "POST", Perm.CONTENT_EDIT, data={"title": "Tea", "text": "Hi"}),
    Case("publishing:check", "POST", Perm.CONTENT_EDIT, _channel, {"text": "Hi"}),
    Case("publishing:post", "GET", Perm.CONTENT_VIEW, _post_only),
    Case("publishing:post", "POST", Perm.CONTENT_EDIT, _post_only, {"title": "T", "text": "x"}),
    Case("publishing:post-schedule", "POST", Perm.CONTENT_EDIT, _post_only),
    Case("publishing:post-submit", "POST", Perm.CONTENT_EDIT, _post_only),
    Case("publishing:post-delete", "POST", Perm.CONTENT_EDIT, _post_only),
    Case("publishing:variant-submit", "POST", Perm.CONTENT_EDIT, _variant),
    Case("publishing:variant-approve", "POST", Perm.CONTENT_APPROVE, _variant),
    Case("publishing:variant-changes", "POST", Perm.CONTENT_APPROVE, _variant, {"comment": "No"}),
    Case(
        "publishing:variant-schedule",
        "POST",
        Perm.CONTENT_EDIT,
        _variant,
        {"scheduled_at": "2099-01-02T09:30"},
    ),
    Case("publishing:variant-unschedule", "POST", Perm.CONTENT_EDIT, _variant),
    Case("publishing:variant-publish-now", "POST", Perm.CONTENT_PUBLISH, _variant),
    Case(
        "publishing:variant-delete-published",
        "POST",
        Perm.CONTENT_PUBLISH,
        _published_variant,
        {"confirm": "yes"},
    ),
    Case(
        "publishing:variant-edit-published",
        "POST",
        Perm.CONTENT_PUBLISH,
        _published_variant,
        {"text": "Green tea"},
    ),
    Case("publishing:queues", "GET", Perm.CONTENT_VIEW),
    Case("publishing:queue-replace", "POST", Perm.CONTENT_EDIT, _channel, {"c-text": ""}),
    Case(
        "publishing:queue-add",
        "POST",
        Perm.CONTENT_EDIT,
        _channel,
        {"a-days": "weekdays", "a-time": "09:30"},
    ),
    Case("publishing:queue-slot-delete", "POST", Perm.CONTENT_EDIT, _slot),
    Case("publishing:variant-queue", "POST", Perm.CONTENT_EDIT, _variant),
    Case("publishing:post-queue", "POST", Perm.CONTENT_EDIT, _post_only),
    Case(
        "publishing:post-recurrence",
        "POST",
        Perm.CONTENT_EDIT,
        _post_only,
        {"frequency": "weekly", "interval": "1"},
    ),
    Case("publishing:post-recurrence-clear", "POST", Perm.CONTENT_EDIT, _post_only),
    Case("publishing:media", "GET", Perm.CONTENT_VIEW),
    Case("publishing:media-update", "POST", Perm.CONTENT_EDIT, _asset, {"alt_text": "Tea"}),
    Case("publishing:media-delete", "POST", Perm.CONTENT_EDIT, _asset),
    Case("publishing:move-undo", "POST", Perm.CONTENT_EDIT),
    Case("publishing:approvals", "GET", Perm.CONTENT_VIEW),
    Case("publishing:approvals-decide", "POST", Perm.CONTENT_APPROVE),
    Case("publishing:post-approve", "POST", Perm.CONTENT_APPROVE, _post_only),
    Case("inbox:list", "GET", Perm.INBOX_VIEW),
    Case("inbox:conversation", "GET", Perm.INBOX_VIEW, _conversation),
    Case("inbox:assign", "POST", Perm.INBOX_REPLY, _conversation, {"assignee": ""}),
    Case("inbox:state", "POST", Perm.INBOX_REPLY, _conversation, {"state": "resolved"}),
    Case("inbox:answered", "POST", Perm.INBOX_REPLY, _conversation),
    Case("inbox:tags", "POST", Perm.INBOX_REPLY, _conversation, {"tags": "vip"}),
    Case("inbox:note", "POST", Perm.INBOX_VIEW, _conversation, {"text": "call them"}),
    Case("inbox:reply", "POST", Perm.INBOX_REPLY, _conversation, {"text": "Thanks!"}),
    Case("inbox:saved-reply-text", "GET", Perm.INBOX_VIEW, _conversation),
    Case("inbox:presence", "POST", Perm.INBOX_VIEW, _conversation),
    Case(
        "inbox:message-sentiment",
        "POST",
        Perm.INBOX_SENTIMENT,
        _incoming_message,
        {"sentiment": "positive"},
    ),
    Case("inbox:bulk", "POST", Perm.INBOX_REPLY, data={"ids": "999999", "action": "resolve"}),
    Case("inbox:views", "GET", Perm.INBOX_VIEW),
    Case("inbox:views", "POST", Perm.INBOX_VIEW, data={"name": "Late", "query": "state=open"}),
    Case("inbox:view-change", "POST", Perm.INBOX_VIEW, _saved_view, {"name": "Later"}),
    Case("inbox:view-delete", "POST", Perm.INBOX_VIEW, _saved_view),
    Case("inbox:mentions", "GET", Perm.INBOX_VIEW),
    Case("inbox:mention-suggestions", "GET", Perm.INBOX_VIEW),
    Case("inbox:saved-replies", "GET", Perm.INBOX_VIEW),
    Case("inbox:routing", "GET", Perm.INBOX_VIEW),
    Case(
        "inbox:routing",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={"form": "team", "team-name": "Billing", "team-first_response_minutes": "30"},
    ),
    Case("inbox:rule-delete", "POST", Perm.WORKSPACE_EDIT, _rule),
    # Response-time report, team pages, hand-offs (kalrav.inbox.sla.views).
    Case("inbox:sla-report", "GET", Perm.INBOX_REPORT),
    Case("inbox:sla-report-csv", "GET", Perm.INBOX_REPORT),
    Case("inbox:team", "GET", Perm.WORKSPACE_EDIT, _pick("team_id")),
    Case(
        "inbox:team",
        "POST",
        Perm.WORKSPACE_EDIT,
        _pick("team_id"),
        {"name": "Billing", "first_response_minutes": "20", "resolution_minutes": "600"},
    ),
    Case("inbox:handoff", "POST", Perm.INBOX_REPLY, _pick("conversation_id"), {"team": ""}),
    Case("inbox:handoff-retry", "POST", Perm.INBOX_REPLY, _pick("handoff_id")),
    # Outgoing webhooks (kalrav.hooks).
    Case("web:notifications", "GET", Perm.WORKSPACE_VIEW),
    Case("web:notifications-read", "POST", Perm.WORKSPACE_VIEW),
    Case("analytics:track-links", "POST", Perm.CONTENT_EDIT, _post_only),
    Case("analytics:conversion-settings", "GET", Perm.WORKSPACE_EDIT),
    Case("analytics:conversion-settings", "POST", Perm.WORKSPACE_EDIT),
    Case("analytics:reports", "GET", Perm.ANALYTICS_VIEW),
    Case("analytics:report-download", "GET", Perm.ANALYTICS_VIEW),
    Case("analytics:report-create", "GET", Perm.WORKSPACE_EDIT),
    Case(
        "analytics:report-create",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={
            "name": "Weekly",
            "frequency": "weekly",
            "weekday": "0",
            "day": "1",
            "language": "en",
            "formats": "csv",
            "recipients": "client@example.test",
        },
    ),
    Case("analytics:report-edit", "GET", Perm.WORKSPACE_EDIT, _scheduled_report),
    Case("analytics:report-send", "POST", Perm.WORKSPACE_EDIT, _scheduled_report),
    Case("analytics:report-delete", "POST", Perm.WORKSPACE_EDIT, _scheduled_report),
    Case("portability:export", "POST", Perm.WORKSPACE_EXPORT),
    Case("hooks:endpoints", "GET", Perm.WEBHOOKS_MANAGE),
    Case(
        "hooks:endpoints",
        "POST",
        Perm.WEBHOOKS_MANAGE,
        data={"url": "https://93.184.215.14/hook", "events": "sla.breached"},
    ),
    Case("hooks:endpoint", "GET", Perm.WEBHOOKS_MANAGE, _pick("endpoint_id")),
    Case(
        "hooks:endpoint",
        "POST",
        Perm.WEBHOOKS_MANAGE,
        _pick("endpoint_id"),
        {"url": "https://93.184.215.14/hook2", "enabled": "on"},
    ),
    Case("hooks:endpoint-test", "POST", Perm.WEBHOOKS_MANAGE, _pick("endpoint_id")),
    Case("hooks:endpoint-secret", "POST", Perm.WEBHOOKS_MANAGE, _pick("endpoint_id")),
    Case("hooks:endpoint-delete", "POST", Perm.WEBHOOKS_MANAGE, _pick("endpoint_id")),
    Case("hooks:delivery-retry", "POST", Perm.WEBHOOKS_MANAGE, _pick("delivery_id")),
    Case("inbox:settings", "GET", Perm.WORKSPACE_EDIT),
    Case(
        "inbox:settings",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={"first_response_minutes": "20", "business_hours": "", "holidays": ""},
    ),
    Case(
        "inbox:saved-replies",
        "POST",
        Perm.INBOX_REPLY,
        data={"title": "Thanks", "text": "Thank you {first_name}"},
    ),
    Case("inbox:saved-reply-delete", "POST", Perm.INBOX_REPLY, _saved_reply),
    Case("inbox:message-actions", "GET", Perm.INBOX_VIEW, _fan_message),
    Case("inbox:message-like", "POST", Perm.INBOX_REPLY, _fan_message),
    Case("inbox:message-unlike", "POST", Perm.INBOX_REPLY, _fan_message),
    Case("inbox:message-hide", "POST", Perm.INBOX_REPLY, _fan_message),
    Case("inbox:message-unhide", "POST", Perm.INBOX_REPLY, _fan_message),
    Case("inbox:message-delete", "POST", Perm.INBOX_MODERATE, _own_message),
]


# --- listening: monitors, mentions, sources -------------------------------------------------


def _monitor(members, caller, workspace):
    from kalrav.listening.models import Monitor

    return {"monitor_id": Monitor.objects.create(workspace=workspace, name="Tea", query="tea").pk}


def _mention(members, caller, workspace):
    from django.utils import timezone

    from kalrav.listening.models import Mention

    mention = Mention.objects.create(
        workspace=workspace,
        url="https://news.example/tea",
        url_key="k" * 64,
        text_key="t" * 64,
        text="The tea arrived cold",
        published_at=timezone.now(),
    )
    return {"mention_id": mention.pk}


def _source(members, caller, workspace):
    from kalrav.listening.models import Source, SourceState

    source = Source.objects.create(
        workspace=workspace, kind="feed", url="https://93.184.215.14/feed.xml",
        state=SourceState.PAUSED,
    )  # fmt: skip
    return {"source_id": source.pk}


HTML_CASES += [
    Case("listening:monitors", "GET", Perm.LISTENING_VIEW),
    Case("listening:monitor-new", "GET", Perm.LISTENING_EDIT),
    Case("listening:monitor-new", "POST", Perm.LISTENING_EDIT, data={"name": "Tea", "query": "tea OR chai", "kind": "brand", "is_active": "on"}),
    Case("listening:monitor-edit", "GET", Perm.LISTENING_EDIT, _monitor),
    Case("listening:monitor-delete", "POST", Perm.LISTENING_EDIT, _monitor),
    Case("listening:preview", "GET", Perm.LISTENING_VIEW),
    Case("listening:mentions", "GET", Perm.LISTENING_VIEW),
    Case("listening:export", "GET", Perm.LISTENING_VIEW),
    Case("listening:bulk", "POST", Perm.LISTENING_EDIT, data={"action": "read"}),
    Case("listening:mention", "GET", Perm.LISTENING_VIEW, _mention),
    Case("listening:mention-inbox", "POST", Perm.LISTENING_EDIT, _mention),
    Case("listening:sources", "GET", Perm.LISTENING_VIEW),
    Case("listening:feed-add", "POST", Perm.LISTENING_EDIT, data={"url": "https://93.184.215.14/feed.xml"}),
    Case("listening:opml", "POST", Perm.LISTENING_EDIT),
    Case("listening:stream-add", "POST", Perm.LISTENING_EDIT, data={"channel": "0"}),
    Case("listening:source-state", "POST", Perm.LISTENING_EDIT, _source, {"action": "pause"}),
]  # fmt: skip


# --- listening: dashboards, alerts, trends --------------------------------------------------


def _alert_rule(members, caller, workspace):
    from kalrav.listening.alerts.models import AlertRule

    monitor = _monitor(members, caller, workspace)["monitor_id"]
    rule = AlertRule.objects.create(workspace=workspace, monitor_id=monitor, kind="spike")
    return {"rule_id": rule.pk}


def _alert(members, caller, workspace):
    from django.utils import timezone

    from kalrav.listening.alerts.models import Alert

    rule = _alert_rule(members, caller, workspace)["rule_id"]
    monitor = _monitor(members, caller, workspace)["monitor_id"]
    alert = Alert.objects.create(
        workspace=workspace, rule_id=rule, monitor_id=monitor, kind="spike",
        started_at=timezone.now(), summary="20 mentions",
    )  # fmt: skip
    return {"alert_id": alert.pk}


def _alert_mention(members, caller, workspace):
    from kalrav.channels.models import Channel

    Channel.objects.create(workspace=workspace, network="sandbox", name="Sandbox")
    return {**_alert(members, caller, workspace), **_mention(members, caller, workspace)}


HTML_CASES += [
    Case("listening_dashboards:monitor", "GET", Perm.LISTENING_VIEW, _monitor),
    Case("listening_dashboards:share-of-voice", "GET", Perm.LISTENING_VIEW),
    Case("listening_trends:trends", "GET", Perm.LISTENING_VIEW),
    Case("listening_alerts:alerts", "GET", Perm.LISTENING_VIEW),
    Case("listening_alerts:alerts", "POST", Perm.LISTENING_EDIT, data={"kind": "spike"}),
    Case("listening_alerts:rule-delete", "POST", Perm.LISTENING_EDIT, _alert_rule),
    Case("listening_alerts:alert", "GET", Perm.LISTENING_VIEW, _alert),
    Case("listening_alerts:alert-assign", "POST", Perm.INBOX_REPLY, _alert, {"assignee": ""}),
    Case("listening_alerts:alert-state", "POST", Perm.INBOX_REPLY, _alert, {"state": "acknowledged"}),
    Case("listening_alerts:alert-mention-inbox", "POST", Perm.INBOX_REPLY, _alert_mention),
]  # fmt: skip


# --- analytics: dashboard and campaigns ----------------------------------------------------


def _campaign(members, caller, workspace):
    from datetime import date

    from kalrav.analytics.models import Campaign

    made = Campaign.objects.create(
        workspace=workspace, name=f"Diwali {caller}", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
    )  # fmt: skip
    return {"campaign_id": made.pk}


HTML_CASES += [
    Case("analytics:dashboard", "GET", Perm.ANALYTICS_VIEW),
    Case("analytics:campaigns", "GET", Perm.ANALYTICS_VIEW),
    Case("analytics:campaign-new", "GET", Perm.CAMPAIGNS_EDIT),
    Case("analytics:campaign-new", "POST", Perm.CAMPAIGNS_EDIT, data={"name": "Winter", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}),
    Case("analytics:campaign-edit", "GET", Perm.CAMPAIGNS_EDIT, _campaign),
    Case("analytics:campaign-edit", "POST", Perm.CAMPAIGNS_EDIT, _campaign, {"name": "Winter 2", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}),
]  # fmt: skip


def _workspace_patterns(patterns=None, prefix="", namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _workspace_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and "<slug:ws>" in prefix + str(entry.pattern):
            yield f"{namespace}{entry.name}"


def test_every_workspace_view_is_in_the_matrix_test():
    covered = {case.name for case in HTML_CASES}
    assert set(_workspace_patterns()) <= covered


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", HTML_CASES, ids=str)
def test_html_view(case: Case, caller, client, workspace, members, outsider):
    kwargs = {
        "ws": workspace.slug,
        **(case.kwargs(members, caller, workspace) if case.kwargs else {}),
    }
    url = reverse(case.name, kwargs=kwargs)
    if caller == "outsider":
        client.force_login(outsider)
    elif caller != "anonymous":
        client.force_login(members[caller].user)
    data = {k: (caller if v == "CALLER" else v) for k, v in case.data.items()}
    response = client.get(url) if case.method == "GET" else client.post(url, data)
    if caller == "anonymous":
        assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
    elif caller == "outsider":
        assert response.status_code == 404
    elif caller in MATRIX[case.perm]:
        assert response.status_code in (200, 302), response.content[:500]
    else:
        assert response.status_code == 403


# --- API -----------------------------------------------------------------------------------

BODIES = {
    ("patch", "/api/v1/workspaces/{ws}/inbox-targets"): {"resolution_minutes": 600},
    ("patch", "/api/v1/workspaces/{ws}/teams/{team_id}"): {"resolution_minutes": 600},
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/handoffs"): {
        "team_id": "ID:team_id"
    },
    ("post", "/api/v1/workspaces/{ws}/webhooks"): {
        "url": "https://93.184.215.14/hook",
        "events": ["sla.breached"],
    },
    ("patch", "/api/v1/workspaces/{ws}/webhooks/{endpoint_id}"): {"description": "Desk"},
    ("patch", "/api/v1/workspaces/{ws}"): {"name": "Renamed"},
    ("patch", "/api/v1/workspaces/{ws}/members/{member_id}"): {"role": "analyst"},
    ("post", "/api/v1/workspaces/{ws}/invitations"): {
        "email": "new@example.test",
        "role": "client",
    },
    ("patch", "/api/v1/workspaces/{ws}/brand"): {"mission": "Tea for all"},
    ("post", "/api/v1/workspaces/{ws}/tokens"): {"name": "script", "role": "CALLER"},
    ("post", "/api/v1/workspaces/{ws}/channels"): {"network": "bluesky", "settings": BLUESKY},
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/assign"): {
        "assignee_id": None
    },
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/state"): {
        "state": "resolved"
    },
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/tags"): {"tags": ["vip"]},
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/replies"): {
        "text": "Thanks!"
    },
    ("post", "/api/v1/workspaces/{ws}/conversations/{conversation_id}/notes"): {
        "text": "call them"
    },
    ("post", "/api/v1/workspaces/{ws}/conversations-bulk"): {
        "ids": [999999],
        "action": "state",
        "value": "resolved",
    },
    ("post", "/api/v1/workspaces/{ws}/views"): {"name": "Open", "filters": {"state": "open"}},
    ("patch", "/api/v1/workspaces/{ws}/views/{view_id}"): {"name": "Later"},
    ("post", "/api/v1/workspaces/{ws}/messages/{message_id}/sentiment"): {"sentiment": "positive"},
    ("post", "/api/v1/workspaces/{ws}/posts"): {"title": "Tea", "text": "Fresh tea"},
    ("patch", "/api/v1/workspaces/{ws}/posts/{post_id}"): {"title": "Green tea"},
    ("patch", "/api/v1/workspaces/{ws}/variants/{variant_id}"): {"text": "Green tea"},
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/edit-published"): {"text": "Green tea"},
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/request-changes"): {"comment": "No"},
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/schedule"): {
        "scheduled_at": "2099-01-02T09:30:00+05:30"
    },
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/move"): {"date": "2099-01-05"},
    ("put", "/api/v1/workspaces/{ws}/channels/{channel_id}/queue"): {"text": "Mon-Fri 09:30"},
    ("put", "/api/v1/workspaces/{ws}/posts/{post_id}/recurrence"): {"frequency": "weekly"},
    ("post", "/api/v1/workspaces/{ws}/media"): {
        "filename": "dot.png",
        "content_base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    },
}


def _api_operations():
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            perm = operation.get("x-kalrav-permission")
            assert perm, f"{method.upper()} {path} declares no x-kalrav-permission"
            if "{ws}" in path:
                yield method, path, Perm(perm)


def _session_only_operations() -> set[tuple[str, str]]:
    """Operations a token may not call (making and renewing tokens): a person signs in."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {
        (method, path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if operation.get("x-kalrav-session-only")
    }


API_OPERATIONS = list(_api_operations())
SESSION_ONLY = _session_only_operations()


def test_api_has_workspace_operations():
    assert len(API_OPERATIONS) >= 12


def _token_for(member: Member) -> str:
    return tokens.create_token(member, Actor(user=member.user), name="matrix", role=member.role)[1]


MODERATION_ENDS = ("/moderation", "/like", "/unlike", "/hide", "/unhide", "/delete")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "perm"), API_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in API_OPERATIONS]
)
def test_api_operation(method, path, perm, caller, client, workspace, members, outsider):
    ids = {
        "ws": workspace.slug,
        "member_id": _other(members, caller).pk,
        "invitation_id": _invitation(members, caller, workspace)["invitation_id"],
        "token_id": _own_token(members, caller, workspace)["token_id"] if caller in members else 0,
        "channel_id": _channel(members, caller, workspace)["channel_id"],
        **_post(members, caller, workspace),
        **_conversation(members, caller, workspace),
    }
    # A received message (sentiment corrections) and a saved view the caller owns.
    ids.update(_incoming_message(members, caller, workspace))
    ids.update(_saved_view(members, caller, workspace))
    ids.update(_sla(members, caller, workspace))
    if path.endswith("-published"):
        # Deleting or editing on the network acts on a published variant only.
        ids.update(_published_variant(members, caller, workspace))
    if path.endswith("/publish-now"):
        # Publishing now takes a variant that no longer waits for approval.
        owner = members["owner"]
        approvals.approve_variant(owner, Actor(user=owner.user), ids["variant_id"])
    if "/messages/{message_id}/" in path and path.endswith(MODERATION_ENDS):
        # Liking and hiding act on a fan's reply; deleting on the network, on the brand's own.
        found = _moderated(members, caller, workspace)
        ids["message_id"] = found["own_message_id" if path.endswith("/delete") else "message_id"]
    url = path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in path})
    headers = {}
    if (method, path) in SESSION_ONLY:
        # The same matrix through a signed-in session (a token is refused: see below).
        if caller in members:
            client.force_login(members[caller].user)
        elif caller == "outsider":
            client.force_login(outsider)
    elif caller == "outsider":
        other_member = Member.objects.get(user=outsider)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {_token_for(other_member)}"
    elif caller != "anonymous":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {_token_for(members[caller])}"
    body = {
        k: (caller if v == "CALLER" else ids[v[3:]] if str(v).startswith("ID:") else v)
        for k, v in BODIES.get((method, path), {}).items()
    } or None
    if (method, path) in SESSION_ONLY and caller in members:
        refused = client.generic(
            method.upper(),
            url,
            data=json.dumps(body) if body else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {_token_for(members[caller])}",
        )
        assert refused.status_code == 403, refused.content[:500]
        assert refused.json()["code"] == "forbidden"
    response = client.generic(
        method.upper(),
        url,
        data=json.dumps(body) if body else "",
        content_type="application/json",
        **headers,
    )
    if caller == "anonymous":
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    elif caller == "outsider":
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    elif caller in MATRIX[perm]:
        assert 200 <= response.status_code < 300, response.content[:500]
    else:
        assert response.status_code == 403, response.content[:500]
        assert response.json()["code"] == "forbidden"
