from django.urls import path

from kalrav.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<slug:ws>/", views.workspace_home, name="workspace-home"),
    # Before the sections: "notifications" is not one of them.
    path("w/<slug:ws>/notifications/", views.notification_centre, name="notifications"),
    path("w/<slug:ws>/notifications/read/", views.notifications_read, name="notifications-read"),
    path("w/<slug:ws>/<slug:section>/", views.section, name="section"),
]
