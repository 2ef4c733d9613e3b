"""Run the monthly billing for a given month by hand (beat runs it on the 1st)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from contributions.billing import run_month
from contributions.payments import credits_apply_all


class Command(BaseCommand):
    help = "Bill one contribution month (idempotent): python manage.py bill_month 2026-11"

    def add_arguments(self, parser) -> None:
        parser.add_argument("month", help="the contribution month, YYYY-MM")

    def handle(self, *args, **options) -> None:
        try:
            month = date.fromisoformat(f"{options['month']}-01")
        except ValueError as error:
            raise CommandError(f"month must be YYYY-MM, not {options['month']!r}") from error
        run = run_month(month)
        applied = credits_apply_all()
        self.stdout.write(
            f"{month:%Y-%m}: {run.bills_created} bills created, Rp {applied:,} of credit applied"
        )
