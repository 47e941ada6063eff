from django.urls import path

from kalrav.sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("w/<slug:ws>/sandbox/", views.network_page, name="network"),
    path("w/<slug:ws>/sandbox/<int:channel_id>/outage/", views.outage, name="outage"),
]
