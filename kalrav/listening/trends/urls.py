from django.urls import path

from kalrav.listening.trends import views

app_name = "listening_trends"

urlpatterns = [path("w/<slug:ws>/listening/trends/", views.trend_list, name="trends")]
