"""Demo accounts and a little demo data for `make run`. Development only: refused when DEBUG is off."""

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
        self.stdout.write("Demo logins (username / password / roles):")
        for login in logins:
            self.stdout.write(f"  {login.username:<22} {login.password:<20} {login.roles}")
