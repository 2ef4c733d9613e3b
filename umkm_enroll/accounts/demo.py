"""Demo data: accounts with known passwords, one per role, for trying the system locally."""

from dataclasses import dataclass

from django.db import transaction

from .models import User

DEMO_PASSWORD = "umkm-demo-2026"  # noqa: S105 - printed to the developer by `make run`; DEBUG only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    roles: str


@transaction.atomic
def seed() -> list[DemoLogin]:
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"first_name": "Admin", "last_name": "Demo", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    return [DemoLogin("admin", DEMO_PASSWORD, "administrator")]
