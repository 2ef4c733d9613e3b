from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from umkm_enroll.audit.templatetags.audit_format import register_reason_labels

        from . import list_exports  # noqa: F401  (registers the exportable lists)
        from .enrollments import RejectionReason

        register_reason_labels(dict(RejectionReason.CHOICES))
