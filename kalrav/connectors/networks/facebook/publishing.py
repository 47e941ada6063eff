"""Sending one post to a Page: which Graph calls make each kind of post.

- Text, and a link with its preview card: POST /{page-id}/feed with `message` and `link`
  (https://developers.facebook.com/docs/pages-api/posts/).
- Photos: each uploaded with POST /{page-id}/photos and published=false, then one POST
  /{page-id}/feed with `attached_media` naming them
  (https://developers.facebook.com/docs/graph-api/reference/page/photos/).
- Video: POST /{page-id}/videos in phases start, transfer (chunks at the offsets Meta asks
  for) and finish (https://developers.facebook.com/docs/video-api/guides/publishing/).
- Reel: POST /{page-id}/video_reels upload_phase=start, the bytes to rupload.facebook.com with
  `Authorization: OAuth <token>`, then upload_phase=finish with video_state=PUBLISHED
  (https://developers.facebook.com/docs/video-api/guides/reels-publishing/).

Each returns the id the post is known by on the Page.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext as _

from kalrav.connectors.base import MediaItem, MediaKind, OutgoingPost
from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.networks.facebook import mapping
from kalrav.connectors.networks.facebook.client import GRAPH_VERSION, GraphClient


class FacebookConnector(Protocol):
    """What sending needs of the connector (kept as a Protocol so this module does not import
    the connector, which imports it)."""

    @property
    def graph(self) -> GraphClient: ...

    @property
    def page_id(self) -> str: ...

    def read_media(self, item: MediaItem) -> bytes: ...


RUPLOAD_URL = "https://rupload.facebook.com/video-upload"
MAX_CHUNKS = 10_000  # a runaway offset loop stops here, not never


def publish(connector: FacebookConnector, post: OutgoingPost) -> str:
    videos = [item for item in post.media if item.kind == MediaKind.VIDEO]
    if post.options.get("reel"):
        return _reel(connector, post)
    if videos:
        return _video(connector, post)
    form: dict[str, Any] = {}
    if post.text:
        form["message"] = post.text
    if post.media:
        form["attached_media"] = [{"media_fbid": _photo(connector, item)} for item in post.media]
    else:
        link = str(post.options.get("link") or mapping.first_link(post.text))
        if link:
            form["link"] = link
    answer = connector.graph.post(f"{connector.page_id}/feed", form)
    return _id(answer, "id")


def _photo(connector: FacebookConnector, item) -> str:
    data = connector.read_media(item)
    answer = connector.graph.post(
        f"{connector.page_id}/photos",
        {"published": False},
        files={"source": ("photo", data, item.mime_type)},
    )
    return _id(answer, "id")


def _video(connector: FacebookConnector, post: OutgoingPost) -> str:
    item = post.media[0]
    data = connector.read_media(item)
    path = f"{connector.page_id}/videos"
    started = connector.graph.post(path, {"upload_phase": "start", "file_size": len(data)})
    session = _id(started, "upload_session_id")
    video_id = _id(started, "video_id")
    start, end = int(started.get("start_offset") or 0), int(started.get("end_offset") or 0)
    for _chunk in range(MAX_CHUNKS):
        if start >= end:
            break
        answer = connector.graph.post(
            path,
            {"upload_phase": "transfer", "upload_session_id": session, "start_offset": start},
            files={"video_file_chunk": ("chunk", data[start:end], "application/octet-stream")},
        )
        start, end = int(answer.get("start_offset") or end), int(answer.get("end_offset") or end)
    else:
        raise Transient(_("Facebook kept asking for more of the video; trying again later."))
    form: dict[str, Any] = {"upload_phase": "finish", "upload_session_id": session}
    if post.text:
        form["description"] = post.text
    finished = connector.graph.post(path, form)
    if finished.get("success") is False:
        raise Rejected(_("Facebook did not take the video."))
    return video_id


def _reel(connector: FacebookConnector, post: OutgoingPost) -> str:
    item = post.media[0]
    data = connector.read_media(item)
    path = f"{connector.page_id}/video_reels"
    started = connector.graph.post(path, {"upload_phase": "start"})
    video_id = _id(started, "video_id")
    upload_url = str(started.get("upload_url") or f"{RUPLOAD_URL}/{_version()}/{video_id}")
    if not upload_url.startswith("https://rupload.facebook.com/"):
        raise Transient(_("Facebook gave an upload address Kalrav does not trust."))
    uploaded = connector.graph.call(
        "POST",
        upload_url,
        content=data,
        headers={
            "Authorization": f"OAuth {connector.graph.access_token}",
            "offset": "0",
            "file_size": str(len(data)),
        },
    )
    if uploaded.get("success") is not True:
        raise Transient(_("Facebook did not confirm the reel's upload."))
    form: dict[str, Any] = {
        "upload_phase": "finish",
        "video_id": video_id,
        "video_state": "PUBLISHED",
    }
    if post.text:
        form["description"] = post.text
    finished = connector.graph.post(path, form)
    if finished.get("success") is False:
        raise Rejected(_("Facebook did not publish the reel."))
    return str(finished.get("post_id") or video_id)


def _version() -> str:
    return GRAPH_VERSION


def _id(answer: dict[str, Any], key: str) -> str:
    value = answer.get(key)
    if not value:
        raise Transient(_("Facebook took the request but did not say its %(key)s.") % {"key": key})
    return str(value)
