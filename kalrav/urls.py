from django.urls import include, path

from kalrav import public_media
from kalrav.accounts.language import set_language
from kalrav.api import views as api_views
from kalrav.api_root import api
from kalrav.channels import oauth_views as channels_oauth
from kalrav.inbox.intake import pushes as inbox_webhooks
from kalrav.ops import views as ops_views
from kalrav.web import media as web_media

handler403 = "kalrav.web.views.error_403"
handler404 = "kalrav.web.views.error_404"
handler500 = "kalrav.web.views.error_500"

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.prometheus, name="metrics"),
    path("api/v1/", api.urls),
    path("accounts/", include("kalrav.accounts.urls")),
    path("i18n/language/", set_language, name="set-language"),
    path("w/<slug:ws>/settings/tokens/", api_views.token_list, name="api-tokens"),
    path(
        "w/<slug:ws>/settings/tokens/<int:token_id>/revoke/",
        api_views.token_revoke,
        name="api-token-revoke",
    ),
    path(
        "w/<slug:ws>/settings/tokens/<int:token_id>/renew/",
        api_views.token_renew,
        name="api-token-renew",
    ),
    path("media/<path:path>", web_media.media, name="media"),
    path("m/<str:token>/", public_media.serve, name="public-media"),
    path("channels/oauth/callback/", channels_oauth.callback, name="channels-oauth-callback"),
    path("hooks/channels/<int:channel_id>/", inbox_webhooks.receive, name="channel-webhook"),
    path(
        "hooks/networks/<slug:network>/",
        inbox_webhooks.receive_for_network,
        name="network-webhook",
    ),
    path("", include("kalrav.channels.urls")),
    path("", include("kalrav.inbox.urls")),
    path("", include("kalrav.hooks.urls")),
    path("", include("kalrav.analytics.urls")),
    path("", include("kalrav.portability.urls")),
    path("", include("kalrav.listening.urls")),
    path("", include("kalrav.listening.dashboards.urls")),
    path("", include("kalrav.listening.alerts.urls")),
    path("", include("kalrav.listening.trends.urls")),
    path("", include("kalrav.publishing.urls")),
    path("", include("kalrav.sandbox.urls")),
    path("", include("kalrav.workspaces.urls")),
    path("", include("kalrav.web.urls")),
]
