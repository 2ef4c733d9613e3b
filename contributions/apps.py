from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (  # noqa: F401
            invoicing,  # registers the invoice jobs' files with the exports' download and purge
            list_exports,  # registers the exportable lists
        )
