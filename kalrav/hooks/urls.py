from django.urls import path

from kalrav.hooks import views

app_name = "hooks"

urlpatterns = [
    path("w/<slug:ws>/settings/webhooks/", views.endpoints, name="endpoints"),
    path("w/<slug:ws>/settings/webhooks/<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path(
        "w/<slug:ws>/settings/webhooks/<int:endpoint_id>/test/",
        views.endpoint_test,
        name="endpoint-test",
    ),
    path(
        "w/<slug:ws>/settings/webhooks/<int:endpoint_id>/secret/",
        views.endpoint_secret,
        name="endpoint-secret",
    ),
    path(
        "w/<slug:ws>/settings/webhooks/<int:endpoint_id>/delete/",
        views.endpoint_delete,
        name="endpoint-delete",
    ),
    path(
        "w/<slug:ws>/settings/webhooks/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry,
        name="delivery-retry",
    ),
]
