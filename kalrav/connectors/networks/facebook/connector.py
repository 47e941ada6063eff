"""Facebook Pages, through the Graph API with a Page token (client.py).

One sign-in connects many Pages (`OAuthConnectMany`): Facebook Login for Business gives a user
token, traded for a long-lived one, which lists the person's Pages with a token each (oauth.py);
the person picks which become channels. Each channel keeps its Page token (encrypted) and the
user token's expiry, shown ahead so the Page is signed in again in time.

Publishing: text and a link with its preview card on /feed; photos uploaded unpublished to
/photos and then attached to one /feed post; a video through /videos; a reel through
/video_reels (publishing.py). Meta takes no idempotency key, so the connector is a `Reconciler`:
after an unknown outcome it looks for the post among the Page's published posts since the first
try, by its words.

The inbox is pushed by Meta's app webhook (`AppWebhookReceiver`, checked in webhooks.py) and
read back by polling as a backstop (inbox.py); comments can be answered in public or in private,
hidden, liked and deleted, and Messenger conversations answered within Meta's 24 hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from kalrav.connectors.account import (
    AccountInfo,
    AccountVerifier,
    Connection,
    OAuthConnect,
    OAuthConnectMany,
)
from kalrav.connectors.base import (
    ConnectorContext,
    InboxReader,
    InsightsReader,
    MediaItem,
    MetricRow,
    Moderator,
    NetworkRules,
    OutgoingPost,
    Problem,
    PublishedRef,
    Publisher,
    RateBudgetReporter,
    Reconciler,
    ReplyHider,
    SettingsField,
)
from kalrav.connectors.declared import metrics
from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.networks.facebook import mapping, oauth, publishing, webhooks
from kalrav.connectors.networks.facebook.client import GraphClient
from kalrav.connectors.networks.facebook.inbox import PageInbox, page_delivery
from kalrav.connectors.networks.facebook.rules import RULES, reel_problems
from kalrav.connectors.rules import validate_post
from kalrav.connectors.webhooks import (
    AppDelivery,
    AppWebhookReceiver,
    HandshakeAnswer,
    ItemCompleter,
)

MediaReader = Callable[[MediaItem], bytes]
CLOCK_SKEW = timedelta(minutes=2)
RECENT_PAGES = 5  # of 100 posts: far more than a Page posts between a crash and its retry
# Named as Meta names them (https://developers.facebook.com/docs/graph-api/reference/insights/).
# Meta retired most impression metrics in 2025 for "views" (post_media_view, page_media_view);
# the ones below are those it still answers for a Page and its posts.
POST_METRICS = ("post_media_view", "post_reactions_by_type_total", "post_clicks")
# Meta's names for figures Kalrav adds up across networks (kalrav.connectors.declared.metrics); the
# others, and each reaction type (`post_reactions_by_type_total.love`), keep Meta's name.
RENAMED = {
    "post_media_view": metrics.VIEWS,
    "page_media_view": metrics.VIEWS,
    "followers_count": metrics.FOLLOWERS,
}
PAGE_METRICS = ("page_media_view", "page_post_engagements", "page_follows")


def read_from_storage(item: MediaItem) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(item.source, "rb") as handle:
        return handle.read()


class FacebookConnector(PageInbox):
    slug: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        Reconciler,
        InboxReader,
        InsightsReader,
        Moderator,
        ReplyHider,
        RateBudgetReporter,
        AccountVerifier,
        OAuthConnect,
        OAuthConnectMany,
        AppWebhookReceiver,
        ItemCompleter,
    )
    # Pages are connected by signing in (OAuthConnectMany); nothing is typed in.
    settings_fields: ClassVar[tuple[SettingsField, ...]] = ()

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http_options: Mapping[str, Any] | None = None,
        read_media: MediaReader = read_from_storage,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        base_url: str = "",  # "" is client.graph_url(), read when the client is made
    ) -> None:
        self.context = context
        self.http_options = dict(http_options or {})
        self.read_media = read_media
        self.sleep = sleep
        self.clock = clock
        self.base_url = base_url
        self._graph: GraphClient | None = None

    @property
    def graph(self) -> GraphClient:
        if self._graph is None:
            self._graph = GraphClient(
                self.context.credentials.get("page_token", ""),
                app_secret=webhooks.meta_app_secret(),
                base_url=self.base_url,
                http_options=self.http_options,
                clock=self.clock,
                sleep=self.sleep,
                shared_budget=True,
            )
        return self._graph

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    @property
    def page_id(self) -> str:
        known = self.context.account_id or str(self.context.config.get("page_id") or "")
        return known or self.verify().remote_id

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    # --- Connecting ------------------------------------------------------------------------------

    @classmethod
    def oauth_start(
        cls, server_url: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]:
        url = oauth.dialog_url(redirect_uri=redirect_uri, state=state, scopes=oauth.PAGE_SCOPES)
        return url, {"redirect_uri": redirect_uri}

    @classmethod
    def oauth_finish(cls, kept: dict[str, Any], code: str) -> Connection:
        found = cls.oauth_finish_many(kept, code)
        if not found:
            raise Rejected(_("This Facebook account manages no Page that Kalrav was allowed."))
        return found[0]

    @classmethod
    def oauth_finish_many(cls, kept: dict[str, Any], code: str) -> list[Connection]:
        return cls.connect_pages(kept, code)

    @classmethod
    def connect_pages(
        cls,
        kept: Mapping[str, Any],
        code: str,
        *,
        http_options: Mapping[str, Any] | None = None,
        base_url: str = "",  # "" is client.graph_url(), read when the client is made
    ) -> list[Connection]:
        """One connection per Page the person manages and let Kalrav use."""
        secret = webhooks.meta_app_secret()
        options = dict(http_options or {})
        with GraphClient("", base_url=base_url, http_options=options) as anonymous:
            user = oauth.user_token(
                anonymous, code=code, redirect_uri=str(kept.get("redirect_uri") or "")
            )
        with GraphClient(
            user.token, app_secret=secret, base_url=base_url, http_options=options
        ) as graph:
            pages = oauth.managed_pages(graph)
        connections = []
        for page in pages:
            token = str(page.get("access_token") or "")
            if not token or not page.get("id"):
                continue  # a Page shared without a task Kalrav asked for
            account = mapping.author(page)
            account = AccountInfo(
                remote_id=account.remote_id,
                handle=str(page.get("username") or ""),
                display_name=account.display_name,
                url=str(page.get("link") or mapping.post_url(account.remote_id)),
                avatar_url=account.avatar_url,
            )
            connections.append(
                Connection(
                    config={"page_id": account.remote_id, "tasks": list(page.get("tasks") or ())},
                    credentials={"page_token": token},
                    account=account,
                    expires_at=user.expires_at,
                )
            )
        return connections

    def verify(self) -> AccountInfo:
        """The Page, and its subscription to the app's webhook (POST subscribed_apps is
        idempotent: asking again after a Page was unsubscribed by hand mends it)."""
        answer = self.graph.get("me", {"fields": "id,name,username,link,picture{url}"})
        if not answer.get("id"):
            raise Transient(_("Facebook did not say which Page this is."))
        found = mapping.author(answer)
        self.graph.post(
            f"{answer['id']}/subscribed_apps",
            {"subscribed_fields": "feed,messages"},
        )
        return AccountInfo(
            remote_id=found.remote_id,
            handle=str(answer.get("username") or ""),
            display_name=found.display_name,
            url=str(answer.get("link") or ""),
            avatar_url=found.avatar_url,
        )

    # --- Publisher -------------------------------------------------------------------------------

    def validate(self, post: OutgoingPost) -> list[Problem]:
        problems = validate_post(post, self.rules)
        if post.options.get("reel"):
            problems.extend(reel_problems(post.media))
        if post.poll is not None:
            problems.append(
                Problem(
                    "poll", _("Facebook Pages cannot post polls through the API."), target="poll"
                )
            )
        if post.thread:
            problems.append(
                Problem(
                    "thread",
                    _("Facebook has no threads; post the parts separately."),
                    target="thread",
                )
            )
        return problems

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        post_id = publishing.publish(self, post)
        extra: dict[str, str] = {}
        if post.first_comment:
            try:
                made = self.graph.post(f"{post_id}/comments", {"message": post.first_comment})
                extra["first_comment"] = str(made.get("id") or "")
            except Rejected as refused:
                # The post is out: failing now would publish it again. The refusal is kept.
                extra["first_comment_error"] = refused.reason[:300]
        return PublishedRef(
            post_id, url=mapping.post_url(post_id), published_at=self.now(), extra=extra
        )

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        try:
            self.graph.delete(ref.remote_id)
        except Rejected as refused:
            if "does not exist" not in refused.reason.lower():
                raise  # gone already counts as deleted; any other refusal is shown

    # --- Reconciler ------------------------------------------------------------------------------

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        since = int((not_before - CLOCK_SKEW).timestamp())
        wanted = mapping.comparable(post.text)
        params: dict[str, Any] = {"fields": mapping.POST_FIELDS, "since": since, "limit": 100}
        answer = self.graph.get(f"{self.page_id}/published_posts", params)
        matches: list[Mapping[str, Any]] = []
        for _round in range(RECENT_PAGES):
            matches.extend(
                found
                for found in answer.get("data") or ()
                if mapping.comparable(str(found.get("message") or "")) == wanted
            )
            following = (answer.get("paging") or {}).get("next")
            if not following:
                break
            answer = self.graph.get(str(following))
        else:
            raise Transient(
                _("Too many recent posts on Facebook to look through; trying again later.")
            )
        if not matches:
            return None
        # Meta lists newest first and its times are whole seconds: reading the list backwards
        # makes a tie go to the one listed last, the oldest.
        oldest = min(reversed(matches), key=lambda found: mapping.when(found.get("created_time")))
        post_id = str(oldest["id"])
        return PublishedRef(
            post_id,
            url=str(oldest.get("permalink_url") or mapping.post_url(post_id)),
            published_at=mapping.when(oldest.get("created_time")),
        )

    # --- InsightsReader --------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        rows: list[MetricRow] = []
        for ref in refs:
            try:
                answer = self.graph.get(
                    f"{ref.remote_id}/insights", {"metric": ",".join(POST_METRICS)}
                )
                rows.extend(_metric_rows(answer, self.now(), ref.remote_id))
            except Rejected:
                # Meta retires metrics (code 100, "invalid metric") and keeps none for some
                # posts (a reel, a post younger than a day): the counts below still come.
                pass
            counts = self.graph.get(
                ref.remote_id,
                {
                    "fields": "shares,comments.limit(0).summary(true),reactions.limit(0).summary(true)"
                },
            )
            rows.extend(_count_rows(counts, self.now(), ref.remote_id))
        return rows

    def channel_metrics(self) -> list[MetricRow]:
        answer = self.graph.get(
            f"{self.page_id}/insights", {"metric": ",".join(PAGE_METRICS), "period": "day"}
        )
        rows = _metric_rows(answer, self.now(), "")
        page = self.graph.get(self.page_id, {"fields": "followers_count,fan_count"})
        for name in ("followers_count", "fan_count"):
            if isinstance(page.get(name), int):
                rows.append(MetricRow(RENAMED.get(name, name), page[name], self.now()))
        return rows

    # --- AppWebhookReceiver ----------------------------------------------------------------------

    @classmethod
    def answer_handshake(
        cls, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> HandshakeAnswer | None:
        return webhooks.answer_subscribe(query, webhooks.meta_verify_token())

    @classmethod
    def receive_for_app(cls, headers: Mapping[str, str], body: bytes) -> AppDelivery:
        webhooks.verify_signature(webhooks.meta_app_secret(), headers, body)
        return page_delivery(body)


def _metric_rows(answer: Mapping[str, Any], now: datetime, remote_id: str) -> list[MetricRow]:
    """Each metric's latest value; a breakdown (reactions by type) becomes one row per part,
    named metric.part."""
    rows = []
    for metric in answer.get("data") or ():
        values = metric.get("values") or ()
        if not values:
            continue
        value = values[-1].get("value")
        name = str(metric.get("name") or "")
        if isinstance(value, int | float):
            rows.append(MetricRow(RENAMED.get(name, name), value, now, remote_id))
        elif isinstance(value, dict):
            rows.extend(
                MetricRow(f"{name}.{part}", count, now, remote_id)
                for part, count in sorted(value.items())
                if isinstance(count, int | float)
            )
    return rows


def _count_rows(answer: Mapping[str, Any], now: datetime, remote_id: str) -> list[MetricRow]:
    rows = []
    shares = (answer.get("shares") or {}).get("count")
    if isinstance(shares, int):
        rows.append(MetricRow("shares", shares, now, remote_id))
    for edge in ("comments", "reactions"):
        total = ((answer.get(edge) or {}).get("summary") or {}).get("total_count")
        if isinstance(total, int):
            rows.append(MetricRow(edge, total, now, remote_id))
    return rows
