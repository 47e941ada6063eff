"""Listening's pages. Included before the section placeholder, so /w/<ws>/listening/ is ours."""

from django.urls import path

from kalrav.listening.views import mentions, monitors, sources

app_name = "listening"

urlpatterns = [
    path("w/<slug:ws>/listening/", monitors.monitor_list, name="monitors"),
    path("w/<slug:ws>/listening/monitors/new/", monitors.monitor_edit, name="monitor-new"),
    path(
        "w/<slug:ws>/listening/monitors/<int:monitor_id>/",
        monitors.monitor_edit,
        name="monitor-edit",
    ),
    path(
        "w/<slug:ws>/listening/monitors/<int:monitor_id>/delete/",
        monitors.monitor_delete,
        name="monitor-delete",
    ),
    path("w/<slug:ws>/listening/preview/", monitors.preview, name="preview"),
    path("w/<slug:ws>/listening/mentions/", mentions.mention_list, name="mentions"),
    path("w/<slug:ws>/listening/mentions/export/", mentions.mention_export, name="export"),
    path("w/<slug:ws>/listening/mentions/bulk/", mentions.mention_bulk, name="bulk"),
    path(
        "w/<slug:ws>/listening/mentions/<int:mention_id>/",
        mentions.mention_detail,
        name="mention",
    ),
    path(
        "w/<slug:ws>/listening/mentions/<int:mention_id>/inbox/",
        mentions.mention_to_inbox,
        name="mention-inbox",
    ),
    path("w/<slug:ws>/listening/sources/", sources.source_list, name="sources"),
    path("w/<slug:ws>/listening/sources/feed/", sources.feed_add, name="feed-add"),
    path("w/<slug:ws>/listening/sources/opml/", sources.opml_import, name="opml"),
    path("w/<slug:ws>/listening/sources/stream/", sources.stream_add, name="stream-add"),
    path(
        "w/<slug:ws>/listening/sources/<int:source_id>/",
        sources.source_state,
        name="source-state",
    ),
]
