"""The permission matrix: the one place that decides what each role may do in a workspace."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    EDITOR = "editor", _("Editor")
    AGENT = "agent", _("Agent")
    ANALYST = "analyst", _("Analyst")
    CLIENT = "client", _("Client")


class Perm(StrEnum):
    WORKSPACE_VIEW = "workspace.view"
    WORKSPACE_EDIT = "workspace.edit"
    WORKSPACE_EXPORT = "workspace.export"
    MEMBERS_VIEW = "members.view"
    MEMBERS_MANAGE = "members.manage"
    BRAND_VIEW = "brand.view"
    BRAND_EDIT = "brand.edit"
    AUDIT_VIEW = "audit.view"
    TOKENS_USE = "tokens.use"
    CHANNELS_VIEW = "channels.view"
    CHANNELS_MANAGE = "channels.manage"
    CONTENT_VIEW = "content.view"
    CONTENT_EDIT = "content.edit"
    CONTENT_APPROVE = "content.approve"
    CONTENT_PUBLISH = "content.publish"
    INBOX_VIEW = "inbox.view"
    INBOX_REPLY = "inbox.reply"
    INBOX_MODERATE = "inbox.moderate"
    INBOX_SENTIMENT = "inbox.sentiment"
    INBOX_REPORT = "inbox.report"
    WEBHOOKS_MANAGE = "webhooks.manage"
    LISTENING_VIEW = "listening.view"
    LISTENING_EDIT = "listening.edit"
    ANALYTICS_VIEW = "analytics.view"
    CAMPAIGNS_VIEW = "campaigns.view"
    CAMPAIGNS_EDIT = "campaigns.edit"


# One letter per role keeps the matrix below readable as a table.
O, M, E, A, N, C = Role.OWNER, Role.MANAGER, Role.EDITOR, Role.AGENT, Role.ANALYST, Role.CLIENT  # noqa: E741

MATRIX: dict[Perm, frozenset[Role]] = {
    Perm.WORKSPACE_VIEW: frozenset({O, M, E, A, N, C}),
    Perm.WORKSPACE_EDIT: frozenset({O, M}),
    # The full export holds every message, member and reading: the owners' to take away.
    Perm.WORKSPACE_EXPORT: frozenset({O}),
    Perm.MEMBERS_VIEW: frozenset({O, M, E, A, N}),
    Perm.MEMBERS_MANAGE: frozenset({O, M}),
    Perm.BRAND_VIEW: frozenset({O, M, E, A, N, C}),
    Perm.BRAND_EDIT: frozenset({O, M}),
    Perm.AUDIT_VIEW: frozenset({O, M}),
    Perm.TOKENS_USE: frozenset({O, M, E, A, N, C}),
    Perm.CHANNELS_VIEW: frozenset({O, M, E, A, N}),
    Perm.CHANNELS_MANAGE: frozenset({O, M}),
    Perm.CONTENT_VIEW: frozenset({O, M, E, A, N, C}),
    Perm.CONTENT_EDIT: frozenset({O, M, E}),
    Perm.CONTENT_APPROVE: frozenset({O, M, C}),
    Perm.CONTENT_PUBLISH: frozenset({O, M}),
    Perm.INBOX_VIEW: frozenset({O, M, A}),
    Perm.INBOX_REPLY: frozenset({O, M, A}),
    # Deleting someone's words on the network cannot be undone and can read as censorship in a
    # crisis: managers decide. Agents like and hide, which can be taken back (INBOX_REPLY).
    Perm.INBOX_MODERATE: frozenset({O, M}),
    # Correcting a message's sentiment also teaches the model: the people who work the inbox.
    Perm.INBOX_SENTIMENT: frozenset({O, M, A}),
    # The response-time report rates people: those who run the team and those who read numbers.
    Perm.INBOX_REPORT: frozenset({O, M, N}),
    # Endpoints receive every message of the workspace: only those who may change its settings.
    Perm.WEBHOOKS_MANAGE: frozenset({O, M}),
    Perm.LISTENING_VIEW: frozenset({O, M, E, A, N}),
    Perm.LISTENING_EDIT: frozenset({O, M}),
    Perm.ANALYTICS_VIEW: frozenset({O, M, E, N, C}),
    Perm.CAMPAIGNS_VIEW: frozenset({O, M, E, A, N, C}),
    Perm.CAMPAIGNS_EDIT: frozenset({O, M, E}),
}


def can(role: str | None, perm: Perm) -> bool:
    return role is not None and role in MATRIX[perm]


def permissions_of(role: str) -> frozenset[Perm]:
    return frozenset(perm for perm, roles in MATRIX.items() if role in roles)


def roles_grantable_by(role: str) -> list[str]:
    """Roles someone may hand out (to a person or a token): never more than they hold themselves.

    Only an owner makes owners; a manager may grant any role whose permissions are within theirs.
    """
    if role == Role.OWNER:
        return [r.value for r in Role]
    if not can(role, Perm.MEMBERS_MANAGE):
        return []
    mine = permissions_of(role)
    return [r.value for r in Role if r != Role.OWNER and permissions_of(r) <= mine]


def token_roles_for(role: str) -> list[str]:
    """Roles an API token may carry for a member: any whose permissions are within the member's."""
    mine = permissions_of(role)
    return [r.value for r in Role if permissions_of(r) <= mine]
