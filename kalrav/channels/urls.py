from django.urls import path

from kalrav.channels import oauth_views, views

app_name = "channels"

urlpatterns = [
    path("w/<slug:ws>/settings/channels/", views.channel_list, name="list"),
    path("w/<slug:ws>/settings/channels/connect/<slug:network>/", views.connect, name="connect"),
    path(
        "w/<slug:ws>/settings/channels/connect/<slug:network>/sign-in/",
        oauth_views.start,
        name="oauth-start",
    ),
    path(
        "w/<slug:ws>/settings/channels/sign-in/<str:pick>/",
        oauth_views.pick,
        name="oauth-pick",
    ),
    path("w/<slug:ws>/settings/channels/<int:channel_id>/", views.detail, name="detail"),
    path("w/<slug:ws>/settings/channels/<int:channel_id>/pause/", views.pause, name="pause"),
    path("w/<slug:ws>/settings/channels/<int:channel_id>/resume/", views.resume, name="resume"),
    path("w/<slug:ws>/settings/channels/<int:channel_id>/remove/", views.remove, name="remove"),
]
