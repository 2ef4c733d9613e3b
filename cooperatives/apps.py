from django.apps import AppConfig


class CooperativesConfig(AppConfig):
    name = "cooperatives"
    default_auto_field = "django.db.models.BigAutoField"
