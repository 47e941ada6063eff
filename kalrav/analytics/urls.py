from django.urls import path

from kalrav.analytics import views
from kalrav.analytics.campaigns import views as campaign_views
from kalrav.analytics.conversions import views as conversion_views
from kalrav.analytics.dashboards import views as dashboard_views
from kalrav.analytics.links import views as link_views
from kalrav.analytics.reports.urls import urlpatterns as report_urls

app_name = "analytics"

urlpatterns = [
    path("l/<str:code>", link_views.follow, name="follow"),
    path(
        "conversions/<slug:workspace_slug>/",
        conversion_views.server_report,
        name="conversion-server",
    ),
    path(
        "conversions/<slug:workspace_slug>/page/",
        conversion_views.page_report,
        name="conversion-page",
    ),
    path(
        "w/<slug:ws>/posts/<int:post_id>/track-links/", views.track_post_links, name="track-links"
    ),
    path(
        "w/<slug:ws>/settings/conversions/", views.conversion_settings, name="conversion-settings"
    ),
    *report_urls,
    path("w/<slug:ws>/analytics/", dashboard_views.dashboard, name="dashboard"),
    path("w/<slug:ws>/analytics/campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("w/<slug:ws>/analytics/campaigns/new/", campaign_views.campaign_edit, name="campaign-new"),
    path(
        "w/<slug:ws>/analytics/campaigns/<int:campaign_id>/",
        campaign_views.campaign_edit,
        name="campaign-edit",
    ),
]
