"""Every HTML view and API operation under a workspace, tried anonymously, as an outsider and as
each role: allowed roles get through, others get 403, outsiders 404, anonymous a sign-in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kalrav.api import tokens
from kalrav.api.main import api
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


def _conversation(members, caller, workspace):
    from kalrav.inbox.ingest import ingest
    from kalrav.inbox.models import Conversation
    from kalrav.inbox.tests.fakes import item

    channel = _channel(members, caller, workspace)["channel_id"]
    from kalrav.channels.models import Channel

    ingest(Channel.objects.get(pk=channel), [item(f"m-{caller}", "Where is my order?")], via="poll")
    return {"conversation_id": Conversation.objects.filter(workspace=workspace).latest("pk").pk}


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


def _post(members, caller, workspace):
    """A post with one variant waiting for approval, valid for its network, planned for later."""
    from datetime import UTC, datetime

    from kalrav.publishing import services as publishing

    owner = members["owner"]
    channel_id = _channel(members, caller, workspace)["channel_id"]
    post = publishing.create_post(
        owner, Actor(user=owner.user), title="Tea", text="Fresh tea", channel_ids=[channel_id]
    )
    variant = post.variants.get()
    publishing.plan_variant(
        owner, Actor(user=owner.user), variant.pk, datetime(2099, 1, 1, tzinfo=UTC)
    )
    publishing.submit_for_approval(owner, Actor(user=owner.user), variant.pk)
    return {"post_id": post.pk, "variant_id": variant.pk}


def _variant(members, caller, workspace):
    return {"variant_id": _post(members, caller, workspace)["variant_id"]}


def _post_only(members, caller, workspace):
    return {"post_id": _post(members, caller, workspace)["post_id"]}


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
    Case("channels:detail", "GET", Perm.CHANNELS_VIEW, _channel),
    Case("channels:detail", "POST", Perm.CHANNELS_MANAGE, _channel, BLUESKY),
    Case("channels:pause", "POST", Perm.CHANNELS_MANAGE, _channel),
    Case("channels:resume", "POST", Perm.CHANNELS_MANAGE, _channel),
    Case("channels:remove", "POST", Perm.CHANNELS_MANAGE, _channel),
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
    Case("publishing:media", "GET", Perm.CONTENT_VIEW),
    Case("publishing:media-update", "POST", Perm.CONTENT_EDIT, _asset, {"alt_text": "Tea"}),
    Case("publishing:media-delete", "POST", Perm.CONTENT_EDIT, _asset),
    Case("inbox:list", "GET", Perm.INBOX_VIEW),
    Case("inbox:conversation", "GET", Perm.INBOX_VIEW, _conversation),
    Case("inbox:assign", "POST", Perm.INBOX_REPLY, _conversation, {"assignee": ""}),
    Case("inbox:state", "POST", Perm.INBOX_REPLY, _conversation, {"state": "resolved"}),
    Case("inbox:tags", "POST", Perm.INBOX_REPLY, _conversation, {"tags": "vip"}),
    Case("inbox:note", "POST", Perm.INBOX_VIEW, _conversation, {"text": "call them"}),
    Case("inbox:reply", "POST", Perm.INBOX_REPLY, _conversation, {"text": "Thanks!"}),
    Case("inbox:saved-reply-text", "GET", Perm.INBOX_VIEW, _conversation),
    Case("inbox:saved-replies", "GET", Perm.INBOX_VIEW),
    Case("inbox:routing", "GET", Perm.INBOX_VIEW),
    Case(
        "inbox:routing",
        "POST",
        Perm.WORKSPACE_EDIT,
        data={"form": "team", "team-name": "Billing", "team-first_response_minutes": "30"},
    ),
    Case("inbox:rule-delete", "POST", Perm.WORKSPACE_EDIT, _rule),
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
]


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
    ("post", "/api/v1/workspaces/{ws}/posts"): {"title": "Tea", "text": "Fresh tea"},
    ("patch", "/api/v1/workspaces/{ws}/posts/{post_id}"): {"title": "Green tea"},
    ("patch", "/api/v1/workspaces/{ws}/variants/{variant_id}"): {"text": "Green tea"},
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/request-changes"): {"comment": "No"},
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/schedule"): {
        "scheduled_at": "2099-01-02T09:30:00+05:30"
    },
    ("post", "/api/v1/workspaces/{ws}/variants/{variant_id}/move"): {"date": "2099-01-05"},
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


API_OPERATIONS = list(_api_operations())


def test_api_has_workspace_operations():
    assert len(API_OPERATIONS) >= 12


def _token_for(member: Member) -> str:
    return tokens.create_token(member, Actor(user=member.user), name="matrix", role=member.role)[1]


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
    url = path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in path})
    headers = {}
    if caller == "outsider":
        other_member = Member.objects.get(user=outsider)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {_token_for(other_member)}"
    elif caller != "anonymous":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {_token_for(members[caller])}"
    body = {
        k: (caller if v == "CALLER" else v) for k, v in BODIES.get((method, path), {}).items()
    } or None
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
