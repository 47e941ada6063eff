from django.urls import path

from kalrav.inbox import views

app_name = "inbox"

urlpatterns = [
    path("w/<slug:ws>/inbox/", views.inbox, name="list"),
    path("w/<slug:ws>/inbox/saved-replies/", views.saved_replies, name="saved-replies"),
    path("w/<slug:ws>/inbox/settings/", views.inbox_settings, name="settings"),
    path("w/<slug:ws>/inbox/routing/", views.routing, name="routing"),
    path("w/<slug:ws>/inbox/routing/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path(
        "w/<slug:ws>/inbox/saved-replies/<int:reply_id>/delete/",
        views.saved_reply_delete,
        name="saved-reply-delete",
    ),
    path("w/<slug:ws>/inbox/<int:conversation_id>/", views.conversation, name="conversation"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/state/", views.state, name="state"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/tags/", views.tags, name="tags"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/note/", views.note, name="note"),
    path("w/<slug:ws>/inbox/<int:conversation_id>/reply/", views.reply, name="reply"),
    path(
        "w/<slug:ws>/inbox/<int:conversation_id>/saved-reply/",
        views.saved_reply_text,
        name="saved-reply-text",
    ),
]
