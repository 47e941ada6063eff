from django.urls import path

from kalrav.publishing import views
from kalrav.publishing.approval_queue import views as approval_views
from kalrav.publishing.calendar import views as calendar_views
from kalrav.publishing.editing import views as editing_views
from kalrav.publishing.media import views as media_views
from kalrav.publishing.queues import views as queue_views

app_name = "publishing"

W = "w/<slug:ws>/"

urlpatterns = [
    # The same address as the navigation's generic "calendar" section, which this replaces.
    path(W + "calendar/", calendar_views.calendar, name="calendar"),
    path(W + "calendar/move/<int:variant_id>/", calendar_views.move, name="move"),
    path(W + "calendar/move/undo/", calendar_views.move_undo, name="move-undo"),
    path(W + "approvals/", approval_views.approvals_page, name="approvals"),
    path(W + "approvals/decide/", approval_views.approvals_decide, name="approvals-decide"),
    path(W + "posts/<int:post_id>/approve/", approval_views.post_approve_all, name="post-approve"),
    path(W + "calendar/export.csv", calendar_views.export_csv, name="export-csv"),
    path(W + "calendar/export.ics", calendar_views.export_ics, name="export-ics"),
    path(W + "calendar/import/", calendar_views.import_csv, name="import"),
    path(W + "calendar/settings/", calendar_views.publishing_settings, name="settings"),
    path(W + "posts/new/", views.compose, name="compose"),
    path(W + "posts/check/<int:channel_id>/", views.check, name="check"),
    path(W + "posts/<int:post_id>/", views.post_page, name="post"),
    path(W + "posts/<int:post_id>/schedule/", views.post_schedule, name="post-schedule"),
    path(W + "posts/<int:post_id>/submit/", views.post_submit, name="post-submit"),
    path(W + "posts/<int:post_id>/delete/", views.post_delete, name="post-delete"),
    path(W + "variants/<int:variant_id>/submit/", views.variant_submit, name="variant-submit"),
    path(W + "variants/<int:variant_id>/approve/", views.variant_approve, name="variant-approve"),
    path(W + "variants/<int:variant_id>/changes/", views.variant_changes, name="variant-changes"),
    path(
        W + "variants/<int:variant_id>/schedule/", views.variant_schedule, name="variant-schedule"
    ),
    path(
        W + "variants/<int:variant_id>/unschedule/",
        views.variant_unschedule,
        name="variant-unschedule",
    ),
    path(
        W + "variants/<int:variant_id>/publish-now/",
        views.variant_publish_now,
        name="variant-publish-now",
    ),
    path(
        W + "variants/<int:variant_id>/delete-published/",
        editing_views.delete_published,
        name="variant-delete-published",
    ),
    path(
        W + "variants/<int:variant_id>/edit-published/",
        editing_views.edit_published,
        name="variant-edit-published",
    ),
    path(W + "calendar/queues/", queue_views.queues_page, name="queues"),
    path(W + "calendar/queues/<int:channel_id>/", queue_views.queue_replace, name="queue-replace"),
    path(W + "calendar/queues/<int:channel_id>/add/", queue_views.queue_add, name="queue-add"),
    path(
        W + "calendar/queues/slots/<int:slot_id>/delete/",
        queue_views.queue_slot_delete,
        name="queue-slot-delete",
    ),
    path(W + "variants/<int:variant_id>/queue/", queue_views.variant_queue, name="variant-queue"),
    path(W + "posts/<int:post_id>/queue/", queue_views.post_queue, name="post-queue"),
    path(
        W + "posts/<int:post_id>/recurrence/", queue_views.post_recurrence, name="post-recurrence"
    ),
    path(
        W + "posts/<int:post_id>/recurrence/clear/",
        queue_views.post_recurrence_clear,
        name="post-recurrence-clear",
    ),
    path(W + "media/", media_views.media_library, name="media"),
    path(W + "media/<int:asset_id>/", media_views.update, name="media-update"),
    path(W + "media/<int:asset_id>/delete/", media_views.delete, name="media-delete"),
]
