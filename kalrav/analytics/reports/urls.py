from django.urls import path

from kalrav.analytics.reports import views

# Included by kalrav.analytics.urls, under the "analytics" namespace.
urlpatterns = [
    path("w/<slug:ws>/analytics/reports/", views.reports, name="reports"),
    path("w/<slug:ws>/analytics/reports/download/", views.download, name="report-download"),
    path("w/<slug:ws>/analytics/reports/new/", views.create, name="report-create"),
    path("w/<slug:ws>/analytics/reports/<int:report_id>/", views.edit, name="report-edit"),
    path(
        "w/<slug:ws>/analytics/reports/<int:report_id>/delete/",
        views.delete,
        name="report-delete",
    ),
    path("w/<slug:ws>/analytics/reports/<int:report_id>/send/", views.send_now, name="report-send"),
]
