from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "umkm_enroll.web"
    label = "web"
