from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kalrav.web"
    label = "web"
    verbose_name = "Web shell"
