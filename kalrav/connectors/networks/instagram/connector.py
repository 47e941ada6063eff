"""Instagram professional accounts, through the Graph API with the token of the Facebook Page
they are connected to (client.py).

Publishing is Meta's container flow: each photo or video is given to Instagram as a public,
signed, expiring address (the ConnectorContext's `public_url`, KALRAV_PUBLIC_URL), Instagram
fetches it into a container, the connector waits for the container to be FINISHED and publishes
it. The first comment (where people put their hashtags) follows as a comment on the new media.

Never twice: Instagram takes no idempotency key. The container's id is kept by the variant's key
(client.ContainerMemory) the moment Meta answers, so a retry after a crash publishes that same
container, and a container that says PUBLISHED is never published again; `reconcile` looks for
the media among the account's recent posts by caption and time. See docs.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import (
    AccountInfo,
    AccountVerifier,
    Connection,
    CredentialRefresher,
    OAuthConnect,
    OAuthConnectMany,
    RenewedCredentials,
    SignInRoute,
)
from kalrav.connectors.base import (
    ConnectorContext,
    InboxReader,
    InsightsReader,
    MediaItem,
    MediaKind,
    Moderator,
    NetworkRules,
    OutgoingPost,
    Problem,
    PublishedRef,
    Publisher,
    PublishQuota,
    RateBudget,
    RateBudgetReporter,
    Reconciler,
    ReplyHider,
    SettingsField,
)
from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.networks.instagram import client, login, mapping, oauth
from kalrav.connectors.networks.instagram.inbox import InstagramInbox
from kalrav.connectors.networks.instagram.rules import RULES, format_of, format_problems
from kalrav.connectors.rules import validate_post
from kalrav.connectors.sessions import KeptInMemory, SessionKeeper
from kalrav.connectors.webhooks import AppWebhookReceiver, ItemCompleter

RECENT_PAGES = 4  # of 50 media each
CLOCK_SKEW = timedelta(minutes=2)


class InstagramConnector(InstagramInbox):
    slug: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        Reconciler,
        PublishQuota,
        InboxReader,
        InsightsReader,
        Moderator,
        ReplyHider,
        RateBudgetReporter,
        AccountVerifier,
        CredentialRefresher,
        OAuthConnect,
        OAuthConnectMany,
        AppWebhookReceiver,
        ItemCompleter,
    )
    # Connecting signs in with Facebook (docs.md); a Page token and the account's id may be
    # pasted instead, from Meta's Graph API Explorer.
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "access_token",
            gettext_lazy("Page access token"),
            secret=True,
            kind="password",
            help_text=gettext_lazy(
                "A long-lived token of the Facebook Page the Instagram professional account is "
                "connected to, made with this Kalrav's Meta app."
            ),
        ),
        SettingsField(
            "ig_user_id",
            gettext_lazy("Instagram account id"),
            help_text=gettext_lazy(
                "The numeric id of the Instagram professional account (IG User)."
            ),
        ),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http_options: Mapping[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        base_url: str = "",  # "" is facebook.client.graph_url()
        containers: client.ContainerMemory | None = None,
    ) -> None:
        self.context = context
        self.http_options = dict(http_options or {})
        self.sleep = sleep
        self.base_url = base_url
        # A channel's containers outlive the worker (Django's cache); a connector made
        # outside a channel keeps them as long as it lives.
        self.containers = containers or (
            client.CacheMemory() if context.sessions is not None else client.DictMemory()
        )
        self._graph: client.GraphClient | None = None
        self._keeper: SessionKeeper | None = None

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    @property
    def graph(self) -> client.GraphClient:
        if self._graph is None:
            if login.uses_instagram_login(self.context.config):
                # Instagram Login: graph.instagram.com, with the token the channel's session
                # keeps (login.py); no appsecret_proof, which that host does not document.
                self._graph = client.GraphClient(
                    self._instagram_login_token(),
                    base_url=login.API_URL,
                    http_options=self.http_options,
                    sleep=self.sleep,
                )
            else:
                self._graph = client.client_for(
                    self.context.credentials,
                    base_url=self.base_url,
                    http_options=self.http_options,
                    sleep=self.sleep,
                )
        return self._graph

    @property
    def keeper(self) -> SessionKeeper:
        if self._keeper is None:
            self._keeper = self.context.sessions or KeptInMemory(
                self.context.credentials.get("session", "")
            )
        return self._keeper

    def _instagram_login_token(self) -> str:
        token = login.current(self.keeper, self.context.credentials)
        if token is not None and token.wants_refresh(time.time()):
            # The old token still works for days: a refresh that fails now is tried again daily.
            with contextlib.suppress(Transient):
                token = login.refresh(self.keeper, http_options=self.http_options) or token
        if token is None:
            return str(self.context.credentials.get("access_token") or "")
        return token.access_token

    @property
    def user_id(self) -> str:
        known = self.context.account_id or str(self.context.config.get("ig_user_id") or "")
        return known or self.verify().remote_id

    # --- OAuthConnect, OAuthConnectMany (oauth.py) ----------------------------------------------

    @classmethod
    def oauth_start(
        cls, server_url: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]:
        return oauth.start(redirect_uri=redirect_uri, state=state)

    @classmethod
    def oauth_routes(cls) -> tuple[SignInRoute, ...]:
        return (
            SignInRoute(
                login.FACEBOOK,
                gettext_lazy("Continue with Facebook"),
                gettext_lazy(
                    "For Instagram professional accounts linked to a Facebook Page: one sign-in "
                    "lists every such account your Pages have."
                ),
            ),
            SignInRoute(
                login.INSTAGRAM,
                gettext_lazy("Continue with Instagram"),
                gettext_lazy(
                    "For one Instagram professional account (business or creator), with or "
                    "without a Facebook Page: sign in as that account."
                ),
            ),
        )

    @classmethod
    def oauth_route_of(cls, config: Mapping[str, Any]) -> str:
        return login.INSTAGRAM if login.uses_instagram_login(config) else login.FACEBOOK

    @classmethod
    def oauth_start_route(
        cls, route: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]:
        if route == login.INSTAGRAM:
            return login.start(redirect_uri=redirect_uri, state=state)
        return oauth.start(redirect_uri=redirect_uri, state=state)

    @classmethod
    def oauth_finish(cls, kept: dict[str, Any], code: str) -> Connection:
        found = cls.oauth_finish_many(kept, code)
        if not found:
            raise Rejected(
                _(
                    "None of the Facebook Pages you manage has an Instagram professional "
                    "account linked to it."
                )
            )
        return found[0]

    @classmethod
    def oauth_finish_many(cls, kept: dict[str, Any], code: str) -> list[Connection]:
        if kept.get(login.LOGIN_KEY) == login.INSTAGRAM:
            return [login.finish(kept, code)]  # one account per Instagram sign-in
        return oauth.finish_many(kept, code)

    # --- CredentialRefresher (Instagram Login's 60-day token; login.py) -------------------------

    def refresh(self) -> RenewedCredentials:
        """Refresh an Instagram Login token when 10 days or less are left, through the keeper,
        which stores the new token before it is used and lets one refresh run per channel. A
        channel connected through a Page has nothing to refresh: its Page token lasts while the
        person's Facebook sign-in does, renewed by signing in again."""
        if not login.uses_instagram_login(self.context.config):
            return RenewedCredentials(credentials={})
        token = login.refresh(self.keeper, http_options=self.http_options)
        return RenewedCredentials(credentials={}, expires_at=token.ends if token else None)

    # --- AccountVerifier -------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        if login.uses_instagram_login(self.context.config):
            return self._verify_instagram_login()
        known = self.context.account_id or str(self.context.config.get("ig_user_id") or "")
        if not known:
            raise Rejected(_("Say which Instagram account this is (its numeric id)."))
        answer = self.graph.get(known, {"fields": ",".join(mapping.USER_FIELDS)})
        if not answer.get("id"):
            raise Transient(_("Meta did not say who the Instagram account is."))
        page = str(self.context.config.get("page_id") or "")
        if page:
            # Instagram's webhooks reach an app only while the linked Page has "Page
            # subscriptions enabled" (Webhooks for Instagram, "Receive Live Webhook
            # Notifications"); subscribing again is harmless, and mends a removed one.
            self.graph.post(f"{page}/subscribed_apps", {"subscribed_fields": "feed"})
        return mapping.author(answer)

    def _verify_instagram_login(self) -> AccountInfo:
        """`/me` on graph.instagram.com, and the account's webhook subscription (Instagram
        Login's "Webhooks": `POST /me/subscribed_apps`; asking again mends a removed one)."""
        answer = self.graph.get("me", {"fields": ",".join(login.ME_FIELDS)})
        if not answer.get("user_id"):
            raise Transient(_("Meta did not say who the Instagram account is."))
        self.graph.post("me/subscribed_apps", {"subscribed_fields": "comments,messages"})
        return mapping.author({**answer, "id": answer["user_id"]})

    # --- RateBudgetReporter ----------------------------------------------------------------------

    def rate_budgets(self) -> list[RateBudget]:
        """Meta's usage headers of the last answer (facebook/client.Usage) as one budget of 100
        percent; nothing when no call was made."""
        if self._graph is None or not self._graph.usage.read_at:
            return []
        usage = self._graph.usage
        resets = None
        if usage.regain_seconds:
            resets = datetime.fromtimestamp(usage.read_at + usage.regain_seconds, UTC)
        return [RateBudget("Meta API usage (%)", max(0, int(100 - usage.percent)), 100, resets)]

    # --- PublishQuota ----------------------------------------------------------------------------

    def remaining_posts(self) -> int | None:
        """`GET /{ig-user-id}/content_publishing_limit?fields=config,quota_usage`: 100 posts
        published through the API in a rolling 24 hours (a carousel counts as one)."""
        answer = self.graph.get(
            f"{self.user_id}/content_publishing_limit", {"fields": "config,quota_usage"}
        )
        rows = answer.get("data") or []
        if not rows or not (rows[0].get("config") or {}).get("quota_total"):
            return None
        row = rows[0]
        try:
            total = int((row.get("config") or {}).get("quota_total") or 0)
            used = int(row.get("quota_usage") or 0)
        except (TypeError, ValueError):
            return None
        return max(total - used, 0)

    # --- Publisher -------------------------------------------------------------------------------

    def validate(self, post: OutgoingPost) -> list[Problem]:
        return [*validate_post(post, self.rules.for_options(post.options)), *format_problems(post)]

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        refused = format_problems(post)
        if refused:
            raise Rejected("; ".join(problem.message for problem in refused))
        if not post.media:
            raise Rejected(_("Instagram takes no post without a photo or video."))
        address = self._address_maker()
        key = f"{self.context.channel_id}:{idempotency_key}"
        kept = self.containers.get(key)  # "<container id>@<unix time it was made>"
        if kept is None:
            made_at = datetime.now(UTC)
            container = self._create(post, address)
            self.containers.set(key, f"{container}@{int(made_at.timestamp())}")  # before all else
        else:
            container, _at, stamp = kept.partition("@")
            made_at = (
                datetime.fromtimestamp(int(stamp), UTC)
                if stamp.isdigit()
                else datetime.now(UTC) - timedelta(hours=24)
            )
        videos = any(item.kind != MediaKind.IMAGE for item in post.media)
        try:
            code = client.wait_until_finished(
                self.graph,
                container,
                patience=client.VIDEO_PATIENCE if videos else client.PHOTO_PATIENCE,
                sleep=self.sleep,
            )
        except Rejected:
            self.containers.forget(key)  # ERROR or EXPIRED: the next try makes a new one
            raise
        if code == "PUBLISHED":
            # Published before a crash: never publish it twice; find what it became.
            found = self._find(post, made_at - CLOCK_SKEW)
            if found is None:
                raise Rejected(
                    _(
                        "Instagram says this post's container was already published, but the "
                        "post is not among the account's recent posts; look at the account."
                    )
                )
            return found
        answer = self.graph.post(f"{self.user_id}/media_publish", {"creation_id": container})
        media_id = str(answer.get("id") or "")
        if not media_id:
            raise Transient(_("Instagram took the post but did not say its id."))
        self.containers.forget(key)
        extra = {}
        if post.first_comment and format_of(post) != "story":
            extra = self._first_comment(media_id, post.first_comment)
        return replace(self._ref(media_id), extra=extra)

    def _address_maker(self) -> Callable[[MediaItem], str]:
        """The context's public addresses, each checked to be https: Meta fetches nothing else."""
        make = self.context.public_url
        refusal = _(
            "Instagram fetches media from a public address; set KALRAV_PUBLIC_URL to "
            "the https:// address Meta can reach this Kalrav at."
        )
        if make is None:
            raise Rejected(refusal)

        def address(item: MediaItem) -> str:
            url = make(item)
            if not url.startswith("https://"):
                raise Rejected(refusal)
            return url

        return address

    def _create(self, post: OutgoingPost, address: Callable[[MediaItem], str]) -> str:
        chosen = format_of(post)
        account = self.user_id
        if chosen == "story":
            data = _media_fields(post.media[0], address, media_type="STORIES")
        elif chosen == "reel" or (len(post.media) == 1 and post.media[0].kind != MediaKind.IMAGE):
            data = _media_fields(post.media[0], address, media_type="REELS")
            feed = not post.options.get("instagram_reels_tab_only")
            data.update(caption=post.text, share_to_feed=feed)
        elif len(post.media) == 1:
            data = _media_fields(post.media[0], address)
            data["caption"] = post.text
        else:
            children = [self._child(item, address) for item in post.media]
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text}
        return self._container(account, data)

    def _child(self, item: MediaItem, address: Callable[[MediaItem], str]) -> str:
        """A carousel item's own container; video children must be FINISHED before the
        carousel's container is made (content-publishing guide, "Carousel posts")."""
        media_type = "VIDEO" if item.kind != MediaKind.IMAGE else None
        data = _media_fields(item, address, media_type=media_type)
        data["is_carousel_item"] = True
        child = self._container(self.user_id, data)
        if media_type:
            client.wait_until_finished(
                self.graph, child, patience=client.VIDEO_PATIENCE, sleep=self.sleep
            )
        return child

    def _container(self, account: str, data: dict[str, Any]) -> str:
        answer = self.graph.post(f"{account}/media", data)
        container = str(answer.get("id") or "")
        if not container:
            raise Transient(_("Instagram did not say the id of the media container."))
        return container

    def _first_comment(self, media_id: str, text: str) -> dict[str, str]:
        """The comment on the new media. The post is out whatever happens here: a refused
        comment must not fail the variant (a person would publish it again), so the refusal is
        kept with the reference instead."""
        try:
            answer = self.graph.post(f"{media_id}/comments", {"message": text})
        except (Rejected, Transient) as refused:
            return {"first_comment_error": str(refused)}
        return {"first_comment": str(answer.get("id") or "")}

    def _ref(self, media_id: str) -> PublishedRef:
        try:
            found = self.graph.get(media_id, {"fields": "permalink,timestamp"})
        except Transient:
            found = {}
        published = mapping.timestamp(found["timestamp"]) if found.get("timestamp") else None
        return PublishedRef(media_id, url=str(found.get("permalink") or ""), published_at=published)

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        """The Instagram Graph API has no way to delete published media (IG Media reference:
        "Deleting: This operation is not supported")."""
        raise Rejected(
            _("Instagram's API cannot delete a published post; delete it in the Instagram app.")
        )

    # --- Reconciler ------------------------------------------------------------------------------

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        return self._find(post, not_before - CLOCK_SKEW)

    def _find(self, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        """The oldest of the account's media since `since` with this caption (stories: the
        live stories, which carry no caption, by time alone)."""
        story = format_of(post) == "story"
        path = f"{self.user_id}/stories" if story else f"{self.user_id}/media"
        params: dict[str, Any] = {"fields": ",".join(mapping.MEDIA_FIELDS), "limit": 50}
        wanted = mapping.comparable(post.text)
        matches: list[tuple[datetime, str]] = []
        for _page in range(RECENT_PAGES):
            answer = self.graph.get(path, params)
            rows = answer.get("data") or []
            older = False
            for row in rows:
                when = mapping.timestamp(row.get("timestamp"))
                if when < since:
                    older = True
                    continue
                if story or mapping.comparable(str(row.get("caption") or "")) == wanted:
                    matches.append((when, str(row["id"])))
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if older or not rows or not after:
                break
            params["after"] = after
        else:
            raise Transient(_("Too many recent posts on Instagram to look through; trying later."))
        if not matches:
            return None
        return self._ref(min(matches)[1])


def _media_fields(
    item: MediaItem, address: Callable[[MediaItem], str], *, media_type: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if media_type:
        data["media_type"] = media_type
    if item.kind == MediaKind.IMAGE:
        data["image_url"] = address(item)
        if item.alt_text and media_type != "STORIES":
            data["alt_text"] = item.alt_text  # feed images only (content-publishing guide)
    else:
        data["video_url"] = address(item)
    return data
