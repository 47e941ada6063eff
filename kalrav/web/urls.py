from django.urls import path

from kalrav.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<slug:ws>/", views.workspace_home, name="workspace-home"),
    path("w/<slug:ws>/<slug:section>/", views.section, name="section"),
]
