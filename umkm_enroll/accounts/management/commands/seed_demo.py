"""Demo accounts and a little demo data for `make run`. Development only: refused when DEBUG is off."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from umkm_enroll.accounts import demo


class Command(BaseCommand):
    help = "Create the demo accounts and demo data (idempotent) and print the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (a staging server)")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates accounts with known passwords: DEBUG is off, use --force.")
        logins = demo.seed()
        # Demo data of the domain apps, each in its own <app>.demo module (found, not imported here:
        # the project package does not depend on the apps built on it).
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            if module is not demo and hasattr(module, "seed"):
                module.seed()
        self.stdout.write("Demo logins (username / password / roles):")
        for login in logins:
            self.stdout.write(f"  {login.username:<22} {login.password:<20} {login.roles}")
