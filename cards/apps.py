from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "cards"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Membership cards")

    def ready(self) -> None:
        from . import list_exports  # noqa: F401  (registers the exportable lists)
