from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "umkm_enroll.exports"
    label = "exports"
