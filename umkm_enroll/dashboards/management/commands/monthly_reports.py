from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from umkm_enroll.dashboards.services import monthly_reports_run, monthly_reports_start
from umkm_enroll.jobs.models import Job


class Command(BaseCommand):
    help = "Make (again) every office's monthly report of a month, here and now (YYYY-MM)."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")

    def handle(self, *args, **options):
        try:
            month = date.fromisoformat(f"{options['month']}-01")
        except ValueError:
            raise CommandError("month: YYYY-MM, e.g. 2026-01") from None
        today = timezone.localdate()
        if month > today:
            raise CommandError("that month has not begun")
        job, _new = monthly_reports_start(month=month, today=today, regenerate=True, queue=False)
        monthly_reports_run(job.pk)
        job = Job.objects.get(pk=job.pk)
        self.stdout.write(f"{month:%Y-%m}: {job.done} reports made, {job.failed} failed (job {job.pk})")
