from django.urls import path

from kalrav.listening.alerts import views

app_name = "listening_alerts"

urlpatterns = [
    path("w/<slug:ws>/listening/alerts/", views.alert_list, name="alerts"),
    path("w/<slug:ws>/listening/alerts/<int:alert_id>/", views.crisis, name="alert"),
    path(
        "w/<slug:ws>/listening/alerts/<int:alert_id>/assign/",
        views.alert_assign,
        name="alert-assign",
    ),
    path(
        "w/<slug:ws>/listening/alerts/<int:alert_id>/state/", views.alert_state, name="alert-state"
    ),
    path(
        "w/<slug:ws>/listening/alerts/<int:alert_id>/mentions/<int:mention_id>/inbox/",
        views.alert_mention_inbox,
        name="alert-mention-inbox",
    ),
    path(
        "w/<slug:ws>/listening/alert-rules/<int:rule_id>/delete/",
        views.rule_delete,
        name="rule-delete",
    ),
]
