"""Instagram through Meta's Graph API, with the Facebook connector's client (facebook/client.py):
the same errors, usage headers and appsecret_proof. Instagram accounts connected through a Page
(Facebook Login) are called on graph.facebook.com with the Page's token.

The container flow (content-publishing guide,
https://developers.facebook.com/docs/instagram-platform/content-publishing/): create a container
with the media's public URL (`POST /{ig-user-id}/media`), wait until its `status_code` is
FINISHED (`GET /{container-id}?fields=status_code,status`), then publish it
(`POST /{ig-user-id}/media_publish?creation_id=`). A container lives 24 hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.utils.translation import gettext as _

from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.networks.facebook.client import GRAPH_URL, GraphClient
from kalrav.connectors.networks.facebook.webhooks import meta_app_secret
from kalrav.connectors.networks.instagram.mapping import CONTAINER_FIELDS

__all__ = ["GRAPH_URL", "ContainerMemory", "GraphClient", "client_for", "wait_until_finished"]

# Waiting for a container: 2 s, doubling to 30 s between looks; up to a minute for photos and
# five for video, after which the publish is retried later with the same container.
FIRST_WAIT = 2.0
LONGEST_WAIT = 30.0
PHOTO_PATIENCE = 60.0
VIDEO_PATIENCE = 300.0
# Containers expire after 24 hours (IG User Media reference, "Limitations").
CONTAINER_LIFETIME = 24 * 3600


def client_for(
    credentials: Mapping[str, str],
    *,
    base_url: str = "",  # "" is facebook.client.graph_url()
    http_options: Mapping[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> GraphClient:
    return GraphClient(
        str(credentials.get("access_token") or ""),
        app_secret=meta_app_secret(),
        base_url=base_url,
        http_options=http_options,
        sleep=sleep,
    )


def wait_until_finished(
    graph: GraphClient,
    container_id: str,
    *,
    patience: float,
    sleep: Callable[[float], None],
) -> str:
    """The container's last status code once it is FINISHED or PUBLISHED; Rejected with Meta's
    own status text when it is ERROR or EXPIRED; Transient when it is still IN_PROGRESS after
    `patience` seconds (the publisher retries later, with this same container)."""
    waited, pause = 0.0, FIRST_WAIT
    while True:
        answer = graph.get(container_id, {"fields": ",".join(CONTAINER_FIELDS)})
        code = str(answer.get("status_code") or "")
        if code in ("FINISHED", "PUBLISHED"):
            return code
        if code in ("ERROR", "EXPIRED"):
            reason = str(answer.get("status") or code)
            raise Rejected(
                _("Instagram could not prepare the media (%(code)s): %(reason)s")
                % {"code": code, "reason": reason}
            )
        if waited + pause > patience:
            raise Transient(
                _("Instagram is still processing the media; trying again later."),
                retry_after=LONGEST_WAIT,
            )
        sleep(pause)
        waited += pause
        pause = min(pause * 2, LONGEST_WAIT)


class ContainerMemory(Protocol):
    """Where a container's id is kept between a crash and the retry, by the variant's
    idempotency key, so the retry publishes that container instead of making a second."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, container_id: str) -> None: ...

    def forget(self, key: str) -> None: ...


class CacheMemory:
    """Django's cache (the database or Redis in Kalrav's settings, so it outlives the worker)."""

    def get(self, key: str) -> str | None:
        from django.core.cache import cache

        found = cache.get(self._key(key))
        return str(found) if found else None

    def set(self, key: str, container_id: str) -> None:
        from django.core.cache import cache

        cache.set(self._key(key), container_id, CONTAINER_LIFETIME)

    def forget(self, key: str) -> None:
        from django.core.cache import cache

        cache.delete(self._key(key))

    @staticmethod
    def _key(key: str) -> str:
        return f"kalrav:instagram:container:{key}"


class DictMemory:
    """For a connector made outside a channel (and tests): as long as the object lives."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.kept.get(key)

    def set(self, key: str, container_id: str) -> None:
        self.kept[key] = container_id

    def forget(self, key: str) -> None:
        self.kept.pop(key, None)
