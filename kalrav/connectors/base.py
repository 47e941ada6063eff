"""The connector contract: capability Protocols, the frozen values that cross them, and the
declarations (settings fields, text and media rules) a connector makes about its network.

A connector class declares `slug`, `label`, `rules`, `settings_fields` and `capabilities` (the
Protocols below that it implements) and is built from a `ConnectorContext`. Services ask it what it
can do through `capabilities`; they never branch on the network's name.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kalrav.connectors.declared.options import PostOption as PostOption  # declared with the rules
from kalrav.connectors.sessions import SessionKeeper
from kalrav.safe_urls import web_url

log = logging.getLogger("kalrav.connectors")

# --- What goes out -------------------------------------------------------------------------------


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    GIF = "gif"  # animated; most networks treat it as a video
    VIDEO = "video"


@dataclass(frozen=True)
class MediaItem:
    kind: MediaKind
    mime_type: str
    size: int  # bytes
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds, for video and GIF
    alt_text: str = ""
    source: str = ""  # storage key or path; connectors read the bytes from there


@dataclass(frozen=True)
class Poll:
    options: tuple[str, ...]
    duration: timedelta | None = None
    multiple: bool = False


@dataclass(frozen=True)
class PublishedRef:
    """Where a published item lives on its network."""

    remote_id: str
    url: str = ""
    published_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. a content hash a reply must cite

    def __post_init__(self) -> None:
        # A network's answer is not trusted to be a web address (see kalrav.safe_urls).
        object.__setattr__(self, "url", web_url(self.url))


@dataclass(frozen=True)
class OutgoingPost:
    text: str
    media: tuple[MediaItem, ...] = ()
    poll: Poll | None = None
    thread: tuple[OutgoingPost, ...] = ()  # the parts that follow this one, in order
    reply_to: PublishedRef | None = None
    first_comment: str = ""
    language: str = ""
    options: Mapping[str, Any] = field(
        default_factory=dict
    )  # declared per network: visibility, CW…


# --- What comes in -------------------------------------------------------------------------------


class ItemKind(enum.StrEnum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    REVIEW = "review"


@dataclass(frozen=True)
class Author:
    remote_id: str
    handle: str = ""
    display_name: str = ""
    url: str = ""
    avatar_url: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", web_url(self.url))
        object.__setattr__(self, "avatar_url", web_url(self.avatar_url))


@dataclass(frozen=True)
class IncomingItem:
    kind: ItemKind
    remote_id: str
    author: Author
    text: str
    created_at: datetime
    url: str = ""
    parent_id: str = ""  # remote id of the item this answers, empty for a top-level item
    root_id: str = ""  # remote id of the conversation's first item
    rating: int | None = None  # reviews only
    language: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", web_url(self.url))


@dataclass(frozen=True)
class Cursor:
    """Opaque position in a network's feed; only the connector that made it reads it."""

    value: str


@dataclass(frozen=True)
class Page:
    items: tuple[IncomingItem, ...]
    cursor: Cursor | None  # where to continue next time; None when the network gave none
    # Something the channel should show while it works (X: direct messages need a higher
    # access level); "" when there is nothing to say.
    notice: str = ""


class Moderation(enum.StrEnum):
    """What a channel can do to an item already on the network, besides answering it."""

    LIKE = "like"
    UNLIKE = "unlike"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"


@dataclass(frozen=True)
class ItemRef:
    """An item on the network, as the inbox knows it, for liking, hiding or deleting it."""

    remote_id: str
    kind: ItemKind = ItemKind.COMMENT
    root_id: str = ""  # the thread's first item
    parent_id: str = ""
    author_id: str = ""
    ours: bool = False  # written by the channel's own account
    created_at: datetime | None = None
    like_id: str = ""  # what like() returned, which unlike() undoes


@dataclass(frozen=True)
class MetricRow:
    metric: str  # "likes", "reposts", "replies", "views"…
    value: int | float
    measured_at: datetime
    remote_id: str = ""  # the post measured; empty for a channel-wide metric


@dataclass(frozen=True)
class RateBudget:
    """What a network said is left of one of its rate limits: `name` is the network's own family
    ("POST /2/tweets", "24-hour posts"), `resets_at` when the window starts again."""

    name: str
    remaining: int
    limit: int
    resets_at: datetime | None = None


# --- How a connector is built and configured -----------------------------------------------------


@dataclass(frozen=True)
class ConnectorContext:
    """One channel as a connector sees it. Credentials are kept out of repr so they never reach a
    log line or an error report by accident."""

    channel_id: int | str
    config: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The account's own id on the network as the channel last verified it (a DID, a chat id…);
    # empty until then. Lets a connector tell its own items from others' without a request.
    account_id: str = ""
    # Where a network's sign-in session is kept between uses (connectors/sessions.py); None for
    # a connector made outside a channel, which keeps its session only as long as it lives.
    sessions: SessionKeeper | None = field(default=None, repr=False, compare=False)
    # A public, signed, expiring address of a media item, for networks that fetch media from a
    # URL instead of taking an upload (Instagram); None when Kalrav has no public address
    # (KALRAV_PUBLIC_URL unset).
    public_url: Callable[[MediaItem], str] | None = field(default=None, repr=False, compare=False)
    # Where a RateBudgetReporter's budgets are kept when the connector is closed by `opened`
    # (the channel's health page shows them); None outside a channel.
    keep_budgets: Callable[[Sequence[RateBudget]], None] | None = field(
        default=None, repr=False, compare=False
    )


@dataclass(frozen=True)
class SettingsField:
    """One field of the form that connects a channel; secret ones are stored encrypted and never
    shown back."""

    name: str
    label: str | Promise
    secret: bool = False
    required: bool = True
    help_text: str | Promise = ""
    kind: str = "text"  # "text", "url", "password"


# --- Rules: how a network counts and what it accepts ---------------------------------------------


class LengthUnit(enum.StrEnum):
    GRAPHEMES = "graphemes"
    UTF16 = "utf16"
    WEIGHTED = "weighted"
    UTF8_BYTES = "utf8_bytes"

    @property
    def label(self):
        return {
            LengthUnit.GRAPHEMES: _("user-perceived characters (grapheme clusters)"),
            LengthUnit.UTF16: _("UTF-16 code units"),
            LengthUnit.WEIGHTED: _("weighted characters"),
            LengthUnit.UTF8_BYTES: _("bytes as sent (UTF-8)"),
        }[self]


@dataclass(frozen=True)
class Measure:
    length: int
    overflow_at: int | None  # index in the text where it stops fitting; None when it fits


@dataclass(frozen=True)
class MediaRule:
    kind: MediaKind
    mime_types: frozenset[str]
    max_bytes: int
    max_count: int
    max_width: int | None = None
    max_height: int | None = None
    max_dimensions_sum: int | None = None  # width + height
    max_pixels: int | None = None  # width × height
    max_aspect_ratio: float | None = None  # longer side / shorter side
    # Width / height bounds, both inclusive, for networks that take portrait and landscape
    # differently (Instagram's feed: 4:5 to 1.91:1).
    aspect_range: tuple[float, float] | None = None
    max_duration: float | None = None  # seconds
    min_duration: float | None = None
    exclusive: bool = False  # must be the post's only attachment (a video on most networks)


@dataclass(frozen=True)
class MediaRules:
    rules: tuple[MediaRule, ...] = ()
    max_items: int = 0
    alt_text: bool = False
    alt_text_max: int | None = None  # graphemes

    def rule_for(self, kind: MediaKind) -> MediaRule | None:
        return next((rule for rule in self.rules if rule.kind == kind), None)


@dataclass(frozen=True)
class PollRules:
    min_options: int
    max_options: int
    option_max_length: int  # graphemes
    min_duration: timedelta | None = None
    max_duration: timedelta | None = None
    with_media: bool = False
    question_max_length: int | None = None  # set where the post's text becomes the poll question


@dataclass(frozen=True)
class LinkHandling:
    counted_as: int | None = None  # every link counts as this many; None: as written
    preview_card: bool = False  # the network builds a card from a link in the text
    auto_linked: bool = True  # bare links become clickable without extra markup


@dataclass(frozen=True)
class Problem:
    """One reason a network would refuse the post. `start`/`end` locate it in the text (None for
    media and polls); `target` names the part: "text", "media[1]", "poll.options[0]"…"""

    code: str
    message: str
    start: int | None = None
    end: int | None = None
    target: str = "text"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Counter = Callable[[str, int], Measure]
ExtraCheck = Callable[[str], Sequence[Problem]]


@dataclass(frozen=True)
class NetworkRules:
    """Everything a composer needs to know before a post goes out. `measure` counts a text the way
    the network does; `checks` add network-specific problems (they may not repeat the length)."""

    max_length: int
    unit: LengthUnit
    measure: Counter
    max_length_with_media: int | None = None  # captions can be shorter than messages
    text_required: bool = True  # False: media alone may make a post
    media_required: bool = False  # True: no post without at least one attachment (Instagram)
    links: LinkHandling = LinkHandling()
    media: MediaRules = MediaRules()
    poll: PollRules | None = None
    threads: bool = False
    first_comment: bool = False
    # The network labels each post with its language (Bluesky's `langs`): worth finding out
    # when the author did not say.
    languages: bool = False
    checks: tuple[ExtraCheck, ...] = ()
    # Other rules for a variant whose option says so: (option key, {value: rules}). Instagram's
    # stories and reels ("instagram_format") take other media than its feed.
    by_option: tuple[str, Mapping[str, NetworkRules]] | None = None
    # The settings a post may carry on this network (format, visibility, who may reply…): the
    # composer shows them, the API and the composer refuse any other (see PostOption).
    post_options: tuple[PostOption, ...] = ()
    # Rules that change with an option's value beyond a table (Mastodon counts the content
    # warning in the length): given these rules and the options, the rules that apply.
    adjust: Callable[[NetworkRules, Mapping[str, Any]], NetworkRules] | None = None

    def for_options(self, options: Mapping[str, Any] | None) -> NetworkRules:
        """The rules for a variant with these options (these rules unless `by_option` or
        `adjust` say)."""
        rules = self
        if self.by_option is not None:
            key, table = self.by_option
            rules = table.get(str((options or {}).get(key) or ""), self)
        if self.adjust is not None and options:
            rules = self.adjust(rules, options)
        return rules

    def limit(self, with_media: bool) -> int:
        if with_media and self.max_length_with_media is not None:
            return self.max_length_with_media
        return self.max_length


# --- Capabilities --------------------------------------------------------------------------------
# Method-only Protocols, so that `issubclass(ConnectorClass, Publisher)` works on the class itself:
# the system check verifies a connector without building one, and the catalogue reads a network's
# capabilities from its class. Code asks a connector what it can do with isinstance (or the
# catalogue), never with getattr: a capability is a Protocol or it is nothing.


@runtime_checkable
class Publisher(Protocol):
    def validate(self, post: OutgoingPost) -> list[Problem]: ...

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef: ...

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None: ...


@runtime_checkable
class IdempotentPublisher(Protocol):
    """The network itself recognises a repeated idempotency key: publishing again with a key it
    has seen returns the post made then, never a second one (Mastodon's Idempotency-Key header,
    a Bluesky record key, a Matrix transaction id). So a publish whose outcome is unknown may
    simply be sent again, for as long as the network remembers the key."""

    def idempotency_key_window(self) -> timedelta | None:
        """How long after the first try the network still knows the key; None: for as long as
        the post exists."""
        ...


@runtime_checkable
class Reconciler(Protocol):
    """Finds out whether a post whose publish had an unknown outcome is on the channel: the
    reference of the channel's post published since `not_before` with this post's content, or
    None when the channel surely has none (so sending again cannot make a second post). A post
    with other content is never taken for it. Raises a ConnectorError when it cannot look."""

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None: ...


@runtime_checkable
class Editor(Protocol):
    """Changes the words of a post already published, where the network allows it. Connectors
    of networks without editing (Bluesky) do not implement it: delete and post again there."""

    def edit(
        self, ref: PublishedRef, post: OutgoingPost, *, idempotency_key: str
    ) -> PublishedRef: ...


@runtime_checkable
class InboxReader(Protocol):
    def fetch_inbox(self, since: Cursor | None) -> Page: ...

    def reply(
        self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str
    ) -> PublishedRef: ...


@runtime_checkable
class InsightsReader(Protocol):
    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]: ...

    def channel_metrics(self) -> list[MetricRow]: ...


@runtime_checkable
class ListeningSource(Protocol):
    def search(self, query: str, since: Cursor | None) -> Page: ...


@runtime_checkable
class Streamer(Protocol):
    def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]: ...


@runtime_checkable
class ResumableStreamer(Protocol):
    """A stream the network can replay from a position. Kept and passed back as `since`, the
    position makes the items of a gap (an outage, a restart) arrive by the stream."""

    def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]: ...

    def resume_from(self) -> Cursor | None:
        """Where to resume so that nothing after the item last yielded is missed; None until
        the stream knows."""
        ...


@runtime_checkable
class PublicStreamer(Protocol):
    """Public posts as they are made, beyond the account's own notifications (Bluesky's
    Jetstream or repository firehose, Mastodon's public and hashtag streams), for listening.

    `terms` are the lowercase words, phrases, #tags and @handles the caller listens for. The
    connector may ask the network for less with them and may drop posts that contain none of
    them; it reads the sequence again as the stream goes, so the caller may change it in place.
    A stream that can no longer serve the terms (a hashtag stream when a plain word is added)
    ends by itself, and the caller opens it again."""

    def public_stream(
        self, terms: Sequence[str], since: Cursor | None
    ) -> AsyncIterator[IncomingItem]: ...

    def public_resume_from(self) -> Cursor | None:
        """Where to resume the public stream so nothing after the item last yielded is missed;
        None when the network cannot replay (named apart from ResumableStreamer.resume_from so
        one connector can follow both streams)."""
        ...


@runtime_checkable
class Moderator(Protocol):
    """Like, unlike and delete items on the network. Each network allows these on different
    items (Bluesky and Mastodon delete only the account's own posts, a Telegram bot that is an
    administrator deletes anyone's within 48 hours), so `moderation_actions` answers per item,
    without a request; the network has the last word when the action is tried."""

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]: ...

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        """Returns the like's own id on the network, or "" where a like has none."""
        ...

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None: ...

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None: ...


@runtime_checkable
class ReplyHider(Protocol):
    """Hide someone's reply in a thread the channel started, for everyone who reads the thread;
    the reply stays on the network (Bluesky's threadgate, X's hidden replies). A ReplyHider is
    also a Moderator: its `moderation_actions` says which items may be hidden."""

    def hide(self, item: ItemRef, *, idempotency_key: str) -> None: ...

    def unhide(self, item: ItemRef, *, idempotency_key: str) -> None: ...


@runtime_checkable
class RateBudgetReporter(Protocol):
    """Tells what is left of the network's rate limits, as its last answers said (X's
    x-rate-limit-* headers, Meta's usage headers): read after use, without a request."""

    def rate_budgets(self) -> list[RateBudget]: ...


@runtime_checkable
class PublishQuota(Protocol):
    """The network caps how many posts an account may publish in a rolling window (Instagram's
    `content_publishing_limit`: 100 API-published posts in 24 hours). Asked by the publisher right
    before a publish and by scheduling before a variant is put on the schedule."""

    def remaining_posts(self) -> int | None:
        """Posts the account may still publish in the network's current window; None when the
        network would not say."""
        ...


# What a channel's posts can do. The account capabilities (account.py) and the webhook one
# (webhooks.py) are listed beside these in catalogue.CAPABILITIES.
CAPABILITIES: tuple[type, ...] = (
    Publisher,
    IdempotentPublisher,
    Reconciler,
    PublishQuota,
    Editor,
    InboxReader,
    InsightsReader,
    ListeningSource,
    Streamer,
    ResumableStreamer,
    PublicStreamer,
    Moderator,
    ReplyHider,
    RateBudgetReporter,
)


# --- A connector as a whole ----------------------------------------------------------------------


@runtime_checkable
class Closeable(Protocol):
    """A connector that holds a connection pool (an HTTP client) until it is closed. Not a
    capability: whoever builds a connector closes it, most simply with `opened(...)`."""

    def close(self) -> None: ...


class Connector(Protocol):
    """What every connector class declares, and what code that has not yet asked for a
    capability may use. Registered by slug in registry.py; read through catalogue.py."""

    slug: ClassVar[str]
    label: ClassVar[str]
    settings_fields: ClassVar[tuple[SettingsField, ...]]
    capabilities: ClassVar[tuple[type, ...]]  # the Protocols above it implements, checked at start
    rules: NetworkRules  # a channel's own rules may differ from the class's (a Mastodon instance)
    context: ConnectorContext

    def __init__(self, context: ConnectorContext) -> None: ...


C = TypeVar("C")


@contextmanager
def opened(connector: C) -> Iterator[C]:
    """Use a connector and close it afterwards, whatever happens, if it holds anything open."""
    try:
        yield connector
    finally:
        try:
            _keep_budgets(connector)
        finally:
            if isinstance(connector, Closeable):
                connector.close()


def _keep_budgets(connector: object) -> None:
    """Budgets are for people to read: failing to keep them never fails the work done."""
    if not isinstance(connector, RateBudgetReporter):
        return
    context = getattr(connector, "context", None)  # every Connector has one (see above)
    if not isinstance(context, ConnectorContext) or context.keep_budgets is None:
        return
    try:
        budgets = connector.rate_budgets()
        if budgets:
            context.keep_budgets(budgets)
    except Exception:
        log.warning("could not keep the rate budgets of channel %s", context.channel_id)
