from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import list_exports  # noqa: F401  (registers the exportable lists)
