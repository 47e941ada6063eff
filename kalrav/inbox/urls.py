"""The inbox's pages: the list and a conversation, daily work, response targets, teams."""

from django.urls import path

from kalrav.inbox import views
from kalrav.inbox.corrections import views as corrections_views
from kalrav.inbox.sla import views as sla_views
from kalrav.inbox.teams import views as teams_views
from kalrav.inbox.work import views as work_views

app_name = "inbox"

urlpatterns = [
    path("w/<slug:ws>/inbox/", views.inbox, name="list"),
    path("w/<slug:ws>/inbox/saved-replies/", views.saved_replies, name="saved-replies"),
    path("w/<slug:ws>/inbox/settings/", sla_views.inbox_settings, name="settings"),
    path("w/<slug:ws>/inbox/routing/", teams_views.routing, name="routing"),
    path(
        "w/<slug:ws>/inbox/routing/<int:rule_id>/delete/",
        teams_views.rule_delete,
        name="rule-delete",
    ),
    path(
        "w/<slug:ws>/inbox/saved-replies/<int:reply_id>/delete/",
        views.saved_reply_delete,
        name="saved-reply-delete",
    ),
    path("w/<slug:ws>/inbox/<int:conversation_id>/", views.conversation, name="conversation"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/state/", views.state, name="state"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/answered/", views.answered, name="answered"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/tags/", views.tags, name="tags"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/note/", views.note, name="note"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/reply/", views.reply, name="reply"),
    path(
        "w/<slug:ws>/inbox/<int:conversation_id>/saved-reply/",
        views.saved_reply_text,
        name="saved-reply-text",
    ),
]

# Presence and collisions, bulk actions, mentions, saved views, sentiment corrections.
urlpatterns += [
    path("w/<slug:ws>/inbox/bulk/", work_views.bulk_action, name="bulk"),
    path("w/<slug:ws>/inbox/views/", work_views.views, name="views"),
    path("w/<slug:ws>/inbox/views/<int:view_id>/", work_views.view_change, name="view-change"),
    path(
        "w/<slug:ws>/inbox/views/<int:view_id>/delete/",
        work_views.view_delete,
        name="view-delete",
    ),
    path("w/<slug:ws>/inbox/mentions/", work_views.notifications, name="mentions"),
    path(
        "w/<slug:ws>/inbox/mentions/suggest/",
        work_views.suggestions,
        name="mention-suggestions",
    ),
    path(
        "w/<slug:ws>/inbox/<int:conversation_id>/presence/",
        work_views.ping,
        name="presence",
    ),
    path(
        "w/<slug:ws>/inbox/<int:conversation_id>/messages/<int:message_id>/sentiment/",
        corrections_views.sentiment,
        name="message-sentiment",
    ),
]

# Response-time report, teams' own targets and calendars, hand-offs (kalrav.inbox.sla.views).
urlpatterns += [
    path("w/<slug:ws>/inbox/report/", sla_views.report, name="sla-report"),
    path("w/<slug:ws>/inbox/report.csv", sla_views.report_csv, name="sla-report-csv"),
    path("w/<slug:ws>/inbox/teams/<int:team_id>/", teams_views.team, name="team"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/handoff/", teams_views.hand_off, name="handoff"),
    path(
        "w/<slug:ws>/inbox/handoffs/<int:handoff_id>/retry/",
        teams_views.handoff_retry,
        name="handoff-retry",
    ),
]

# Like, hide or delete a message on its network (kalrav.inbox.work.views).
_MESSAGE = "w/<slug:ws>/inbox/messages/<int:message_id>"
urlpatterns += [
    path(f"{_MESSAGE}/actions/", work_views.actions, name="message-actions"),
    path(f"{_MESSAGE}/like/", work_views.like, name="message-like"),
    path(f"{_MESSAGE}/unlike/", work_views.unlike, name="message-unlike"),
    path(f"{_MESSAGE}/hide/", work_views.hide, name="message-hide"),
    path(f"{_MESSAGE}/unhide/", work_views.unhide, name="message-unhide"),
    path(f"{_MESSAGE}/delete/", work_views.delete, name="message-delete"),
]
