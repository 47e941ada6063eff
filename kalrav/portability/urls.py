from django.urls import path

from kalrav.portability import views

app_name = "portability"

urlpatterns = [
    path("w/<slug:ws>/settings/export/", views.download, name="export"),
]
