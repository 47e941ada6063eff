from django.urls import path

from kalrav.listening.dashboards import views

app_name = "listening_dashboards"

urlpatterns = [
    path(
        "w/<slug:ws>/listening/<int:monitor_id>/dashboard/",
        views.monitor_dashboard,
        name="monitor",
    ),
    path("w/<slug:ws>/listening/share-of-voice/", views.share_of_voice, name="share-of-voice"),
]
