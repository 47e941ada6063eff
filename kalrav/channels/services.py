"""Connecting, checking, pausing and removing channels, and keeping their state truthful.

Views, the API and tasks call these; only the functions that run in tasks (check_channel,
renew_credentials, each queued by the task defined beside it at the end) call a connector, and
connectors never touch the database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav import public_media
from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelRateBudget, ChannelState
from kalrav.channels.sessions import ChannelSessions
from kalrav.connectors import catalogue, registry
from kalrav.connectors.account import (
    AccountInfo,
    AccountVerifier,
    ConfigReader,
    Connection,
    CredentialRefresher,
    OAuthConnect,
    OAuthConnectMany,
    OAuthRoutes,
    SignInRoute,
)
from kalrav.connectors.base import (
    Connector,
    ConnectorContext,
    RateBudget,
    SettingsField,
    opened,
)
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited
from kalrav.connectors.webhooks import WebhookReceiver
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

DEFAULT_RATE_LIMIT_PAUSE = timedelta(minutes=15)
# A failing channel is checked again after FIRST_PROBE, then after twice as long each time it
# still fails, up to LAST_PROBE apart: an outage of a minute costs a minute, a night-long one
# costs a few dozen checks (kalrav.channels.probing runs them).
FIRST_PROBE = timedelta(seconds=30)
LAST_PROBE = timedelta(minutes=30)


def networks() -> list[tuple[str, str]]:
    """(slug, label) of every network Kalrav can connect, for forms and the API."""
    return catalogue.choices()


def network_info(network: str) -> catalogue.Network:
    """What Kalrav knows of a network, or a ValidationError that names it."""
    try:
        return catalogue.network(network)
    except registry.UnknownNetwork:
        raise ValidationError(
            {"network": _("Kalrav does not know the network %(network)s.") % {"network": network}}
        ) from None


def _split(
    fields: tuple[SettingsField, ...], values: dict[str, Any], keep: dict[str, str] | None = None
) -> tuple[dict, dict]:
    """Check submitted settings against the connector's declaration; secrets apart from config.

    With `keep` (reconnecting), an empty secret keeps the stored one: secrets are never shown
    back, so the form cannot be pre-filled with them."""
    config: dict[str, str] = {}
    secrets: dict[str, str] = dict(keep or {})
    problems: dict[str, str] = {}
    for field in fields:
        value = str(values.get(field.name) or "").strip()
        if not value:
            if field.required and not (field.secret and keep and keep.get(field.name)):
                problems[field.name] = _("This field is required.")
            continue
        if field.kind == "url":
            try:
                URLValidator(schemes=["https", "http"])(value)
            except ValidationError:
                problems[field.name] = _("Enter a full address starting with https://")
                continue
            value = value.rstrip("/")
        (secrets if field.secret else config)[field.name] = value
    if problems:
        raise ValidationError(problems)
    return config, secrets


def _schedule_check(channel: Channel) -> None:
    transaction.on_commit(lambda: check_channel_task(channel.pk))


@transaction.atomic
def connect_channel(
    member: Member, actor: Actor, *, network: str, name: str, values: dict[str, Any]
) -> Channel:
    member.require(Perm.CHANNELS_MANAGE)
    known = network_info(network)
    config, secrets = _split(known.settings_fields, values)
    channel = Channel(
        workspace=member.workspace,
        network=network,
        name=(name or "").strip() or config.get("handle") or known.label,
        config=config,
        credentials=sealed.seal(secrets),
        created_by=actor.user,
    )
    channel.full_clean()
    channel.save()
    audit.record(
        member.workspace,
        actor,
        "channel.connect",
        channel,
        {
            "network": [None, network],
            "name": [None, channel.name],
            **{k: [None, v] for k, v in config.items()},
        },
    )
    _schedule_check(channel)
    return channel


def supports_oauth(network: str) -> bool:
    return network_info(network).can(OAuthConnect)


def oauth_routes(network: str) -> tuple[SignInRoute, ...]:
    """The sign-in pages of a network that has several (Instagram: Facebook or Instagram)."""
    cls = network_info(network).connector
    return tuple(cls.oauth_routes()) if issubclass(cls, OAuthRoutes) else ()


def sign_in_again(channel: Channel) -> dict[str, str] | None:
    """How the channel's account signs in again (its network's route and server), or None when
    it connects some other way (a pasted token, an app password) or is a demo channel."""
    known = network_info(channel.network)
    if channel.is_demo or not known.can(OAuthConnect):
        return None
    server = ""
    if known.server_field is not None:
        server = str(channel.config.get(known.server_field.name) or "")
        if not server:
            return None
    cls = known.connector
    route = cls.oauth_route_of(channel.config) if issubclass(cls, OAuthRoutes) else ""
    return {"route": route, "server": server}


def oauth_start(
    network: str, server_url: str, *, redirect_uri: str, state: str, route: str = ""
) -> tuple[str, dict[str, Any]]:
    cls = network_info(network).connector
    if not issubclass(cls, OAuthConnect):
        raise ValidationError({"network": _("This network has no sign-in page; use its token.")})
    if route and issubclass(cls, OAuthRoutes):
        if route not in {known.slug for known in cls.oauth_routes()}:
            raise ValidationError({"route": _("This network has no such sign-in.")})
        return cls.oauth_start_route(route, redirect_uri=redirect_uri, state=state)
    # Only a network that asks which server to sign in on gets an address to check.
    if network_info(network).server_field is not None:
        try:
            URLValidator(schemes=["https", "http"])(server_url)
        except ValidationError:
            raise ValidationError(
                {"server": _("Enter a full address starting with https://")}
            ) from None
    return cls.oauth_start(server_url.rstrip("/"), redirect_uri=redirect_uri, state=state)


def oauth_finish(network: str, kept: dict[str, Any], code: str) -> Connection:
    """The connection a completed sign-in yields (ConnectorError when the network refuses)."""
    cls = network_info(network).connector
    if not issubclass(cls, OAuthConnect):
        raise ValidationError({"network": _("This network has no sign-in page; use its token.")})
    return cls.oauth_finish(kept, code)


def signs_in_many(network: str) -> bool:
    """One sign-in lists several accounts to pick from (a person's Facebook Pages)."""
    return network_info(network).can(OAuthConnectMany)


def oauth_finish_many(network: str, kept: dict[str, Any], code: str) -> list[Connection]:
    """Every account a completed sign-in may connect (ConnectorError when the network refuses)."""
    cls = network_info(network).connector
    if not issubclass(cls, OAuthConnectMany):
        raise ValidationError({"network": _("This network connects one account per sign-in.")})
    return cls.oauth_finish_many(kept, code)


def connected_remote_ids(member: Member, network: str) -> set[str]:
    """The accounts of this network the workspace already has as channels."""
    return set(
        Channel.objects.filter(workspace=member.workspace, network=network)
        .exclude(remote_id="")
        .values_list("remote_id", flat=True)
    )


@transaction.atomic
def connect_oauth_channel(
    member: Member, actor: Actor, *, network: str, connection: Connection, check: bool = False
) -> Channel:
    """Store what a completed sign-in gave: the network already vouched for the account. With
    `check`, the channel is checked once stored (where checking also sets up the network's side,
    as subscribing a Facebook Page to the app's webhook)."""
    member.require(Perm.CHANNELS_MANAGE)
    channel = Channel(
        workspace=member.workspace,
        network=network,
        name=connection.account.handle
        or connection.account.display_name
        or network_info(network).label,
        config=dict(connection.config),
        credentials=sealed.seal(connection.credentials),
        remote_id=connection.account.remote_id,
        handle=connection.account.handle,
        url=connection.account.url,
        avatar_url=connection.account.avatar_url,
        state=ChannelState.ACTIVE,
        last_success_at=timezone.now(),
        credentials_expire_at=connection.expires_at,
        created_by=actor.user,
    )
    channel.full_clean()
    channel.save()
    visible = {k: [None, v] for k, v in connection.config.items() if isinstance(v, str)}
    audit.record(
        member.workspace,
        actor,
        "channel.connect",
        channel,
        {"network": [None, network], "name": [None, channel.name], **visible},
    )
    if check:
        _schedule_check(channel)
    return channel


@transaction.atomic
def renew_oauth_channel(
    member: Member,
    actor: Actor,
    *,
    network: str,
    connection: Connection,
    channel_id: int | None = None,
) -> Channel | None:
    """A new sign-in for an account the workspace already has: its channel takes the new
    credentials and expiry and is live again (a channel that needed reconnecting included).
    None when the workspace has no channel for that account. With `channel_id` (the channel's
    "Sign in again"), that channel, which must be the account signed in to."""
    member.require(Perm.CHANNELS_MANAGE)
    if not connection.account.remote_id:
        return None
    found = Channel.objects.select_for_update().filter(workspace=member.workspace, network=network)
    if channel_id is None:
        channel = found.filter(remote_id=connection.account.remote_id).first()
    else:
        channel = found.filter(pk=channel_id).first()
        if channel is not None and channel.remote_id not in ("", connection.account.remote_id):
            raise ValidationError(
                _(
                    "You signed in as %(handle)s, but this channel is another account. Sign in "
                    "as the channel's account, or connect %(handle)s as a new channel."
                )
                % {"handle": connection.account.handle or connection.account.remote_id}
            )
    if channel is None:
        return None
    channel.config = {**channel.config, **dict(connection.config)}
    channel.credentials = sealed.seal(connection.credentials)
    channel.credentials_expire_at = connection.expires_at
    channel.credentials_renewed_at = timezone.now()
    channel.expiry_notices = []
    channel.state, channel.state_detail, channel.rate_limited_until = (
        ChannelState.ACTIVE,
        "",
        None,
    )
    channel.save()
    audit.record(member.workspace, actor, "channel.reconnect", channel, {})
    _schedule_check(channel)
    return channel


def _locked(member: Member, channel_id: int) -> Channel:
    return Channel.objects.select_for_update().get(pk=channel_id, workspace_id=member.workspace_id)


@transaction.atomic
def reconnect_channel(
    member: Member, actor: Actor, channel_id: int, values: dict[str, Any]
) -> Channel:
    member.require(Perm.CHANNELS_MANAGE)
    channel = _locked(member, channel_id)
    known = network_info(channel.network)
    config, secrets = _split(known.settings_fields, values, keep=sealed.unseal(channel.credentials))
    changes = audit.diff(channel.config, config)
    channel.config, channel.credentials = config, sealed.seal(secrets)
    channel.state, channel.state_detail, channel.rate_limited_until = (
        ChannelState.CHECKING,
        "",
        None,
    )
    channel.save()
    audit.record(member.workspace, actor, "channel.reconnect", channel, changes)
    _schedule_check(channel)
    return channel


@transaction.atomic
def pause_channel(member: Member, actor: Actor, channel_id: int) -> Channel:
    member.require(Perm.CHANNELS_MANAGE)
    channel = _locked(member, channel_id)
    if channel.state != ChannelState.PAUSED:
        before = channel.state
        channel.state = ChannelState.PAUSED
        channel.save(update_fields=["state"])
        audit.record(
            member.workspace, actor, "channel.pause", channel, {"state": [before, channel.state]}
        )
    return channel


@transaction.atomic
def resume_channel(member: Member, actor: Actor, channel_id: int) -> Channel:
    member.require(Perm.CHANNELS_MANAGE)
    channel = _locked(member, channel_id)
    if channel.is_demo:
        # It has no account to check: resuming would only turn it into a failing channel.
        raise ValidationError(_("A demo channel cannot be resumed: connect your own account."))
    if channel.state == ChannelState.PAUSED:
        channel.state = ChannelState.CHECKING
        channel.save(update_fields=["state"])
        audit.record(
            member.workspace,
            actor,
            "channel.resume",
            channel,
            {"state": [ChannelState.PAUSED, channel.state]},
        )
        _schedule_check(channel)
    return channel


@transaction.atomic
def remove_channel(member: Member, actor: Actor, channel_id: int) -> None:
    member.require(Perm.CHANNELS_MANAGE)
    channel = _locked(member, channel_id)
    audit.record(
        member.workspace,
        actor,
        "channel.remove",
        channel,
        {"network": [channel.network, None], "name": [channel.name, None]},
    )
    # Posts that never went out leave with the channel; what it published and what its audience
    # said stay on the record, so a channel with history is archived, its secrets wiped.
    channel.variants.filter(published_at=None).delete()
    if channel.variants.exists() or channel.conversations.exists():
        channel.credentials = ""
        channel.archived_at = timezone.now()
        channel.save(update_fields=["credentials", "archived_at"])
    else:
        channel.delete()


def context_for(channel: Channel) -> ConnectorContext:
    credentials = sealed.unseal(channel.credentials)
    return ConnectorContext(
        channel_id=channel.pk,
        config=dict(channel.config),
        credentials=credentials,
        account_id=channel.remote_id,
        sessions=ChannelSessions(
            channel.pk, credentials.get("session", ""), schedule_renewal=_renew_at
        ),
        keep_budgets=partial(keep_rate_budgets, channel.pk),
        public_url=public_media.url_builder(),
    )


# Budgets are for people to read: a busy channel (the publishing dispatcher's threads) writes
# them at most this often, unless one is nearly spent.
BUDGET_WRITE_EVERY = 5.0  # seconds
_budgets_written: dict[int, float] = {}


def keep_rate_budgets(channel_id: int, budgets: Sequence[RateBudget]) -> None:
    """Overwrite the channel's budgets with what the network said last (one upsert)."""
    moment = time.monotonic()
    nearly_spent = any(b.remaining * 10 <= b.limit for b in budgets)
    if not nearly_spent and moment - _budgets_written.get(channel_id, -1e9) < BUDGET_WRITE_EVERY:
        return
    _budgets_written[channel_id] = moment
    now = timezone.now()
    ChannelRateBudget.objects.bulk_create(
        [
            ChannelRateBudget(
                channel_id=channel_id,
                name=budget.name[:120],
                remaining=max(budget.remaining, 0),
                limit=max(budget.limit, 0),
                resets_at=budget.resets_at,
                seen_at=now,
            )
            for budget in budgets
        ],
        update_conflicts=True,
        unique_fields=["channel", "name"],
        update_fields=["remaining", "limit", "resets_at", "seen_at"],
    )


def _renew_at(channel_id: int, when: datetime) -> None:
    """Queue renew_credentials for `when` (ahead of the network session's expiry)."""
    transaction.on_commit(lambda: renew_credentials_task.schedule((channel_id,), eta=when))


def connector_for(channel: Channel) -> Connector:
    """A connector for the channel. It may hold an HTTP client: use it as
    `with opened(connector_for(channel)) as connector:` so that it is closed."""
    return registry.get(channel.network)(context_for(channel))


# --- what the tasks record -----------------------------------------------------------------


def probe_delay(attempts: int) -> timedelta:
    """How long a failing channel waits before its next check after `attempts` failed checks."""
    return min(FIRST_PROBE * 2 ** min(attempts, 20), LAST_PROBE)


def record_success(
    channel_id: int, account: AccountInfo | None = None, *, notice: str = ""
) -> None:
    """The channel works; `notice` is what the connector says beside that (shown as the
    channel's detail, not as an error)."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        if channel.state == ChannelState.PAUSED:
            return
        channel.last_success_at = timezone.now()
        channel.state, channel.state_detail, channel.rate_limited_until = (
            ChannelState.ACTIVE,
            notice[:2000],
            None,
        )
        channel.unheard_since, channel.probe_attempts, channel.next_probe_at = None, 0, None
        if account is not None:
            channel.remote_id = account.remote_id
            channel.handle = account.handle or channel.handle
            channel.url = account.url or channel.url
            channel.avatar_url = account.avatar_url or channel.avatar_url
        channel.save()


def record_failure(channel_id: int, error: ConnectorError) -> None:
    """Turn a connector's error into the state a person sees, with the network's own words."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        now = timezone.now()
        channel.last_error_at, channel.last_error = now, str(error)[:2000]
        if channel.state != ChannelState.PAUSED:
            channel.unheard_since = channel.unheard_since or now
            if isinstance(error, AuthExpired):
                channel.state = ChannelState.NEEDS_RECONNECT
            elif isinstance(error, RateLimited):
                channel.state = ChannelState.RATE_LIMITED
                wait = (
                    timedelta(seconds=error.retry_after)
                    if error.retry_after
                    else DEFAULT_RATE_LIMIT_PAUSE
                )
                channel.rate_limited_until = now + wait
            else:
                # A failure while already failing is a failed check: wait twice as long.
                failing = channel.state == ChannelState.FAILING
                channel.probe_attempts = channel.probe_attempts + 1 if failing else 0
                channel.next_probe_at = now + probe_delay(channel.probe_attempts)
                channel.state = ChannelState.FAILING
            channel.state_detail = str(error)[:2000]
        channel.save()


def check_channel(channel_id: int) -> None:
    """Ask the network who the credentials belong to; the answer sets the channel's state."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or channel.state == ChannelState.PAUSED:
        return  # removed or paused since the check was queued
    with opened(connector_for(channel)) as connector:
        if not isinstance(connector, AccountVerifier):
            Channel.objects.filter(pk=channel_id).update(
                state=ChannelState.UNVERIFIED,
                state_detail=_(
                    "Kalrav cannot check this network's credentials yet; they are saved encrypted."
                ),
            )
            return
        try:
            account = connector.verify()
            extra = dict(connector.read_config()) if isinstance(connector, ConfigReader) else {}
            _use_webhook(channel, connector)
        except ConnectorError as error:
            record_failure(channel_id, error)
            return
    if extra:
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel_id)
            locked.config = {**locked.config, **extra}
            locked.save(update_fields=["config"])
    record_success(channel_id, account)


def _use_webhook(channel: Channel, connector: Connector) -> None:
    """Networks that push (Telegram) deliver to Kalrav when it has a public HTTPS address;
    otherwise polling fetches the same items."""
    if isinstance(connector, WebhookReceiver) and settings.BASE_URL.startswith("https://"):
        connector.set_webhook(
            settings.BASE_URL + reverse("channel-webhook", kwargs={"channel_id": channel.pk})
        )


def renew_credentials(channel_id: int) -> None:
    """Refresh expiring credentials. The new ones are merged over the old, so a network that
    sends no new refresh token never makes Kalrav forget the one it has."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return
    with opened(connector_for(channel)) as connector:
        if not isinstance(connector, CredentialRefresher):
            return
        try:
            renewed = connector.refresh()
        except ConnectorError as error:
            record_failure(channel_id, error)
            return
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel_id)
        merged = sealed.merge_renewed(sealed.unseal(locked.credentials), renewed.credentials)
        locked.credentials = sealed.seal(merged)
        locked.credentials_renewed_at = timezone.now()
        changed = ["credentials", "credentials_renewed_at"]
        if renewed.expires_at is not None:
            # The refreshed token's new end: the page shows it, and its notices start over.
            locked.credentials_expire_at, locked.expiry_notices = renewed.expires_at, []
            changed += ["credentials_expire_at", "expiry_notices"]
        locked.save(update_fields=changed)


# --- the queued tasks that run the two above (Huey registers them when a worker imports
# channels/tasks.py, which imports this module) ------------------------------------------------


@db_task(retries=2, retry_delay=30)
def check_channel_task(channel_id: int) -> None:
    check_channel(channel_id)


@db_task()
def renew_credentials_task(channel_id: int) -> None:
    renew_credentials(channel_id)
