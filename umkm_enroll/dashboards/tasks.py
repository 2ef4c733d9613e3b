from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from umkm_enroll.jobs import services as jobs

from . import services
from .selectors import month_start, months_back

MAX_RETRIES = 5


@shared_task(name="dashboards.compact")
def compact() -> bool:
    """Safe to run twice, or twice at once: a second compaction finds the lock taken and returns."""
    return services.tallies_compact()


@shared_task(name="dashboards.monthly_reports")
def monthly_reports() -> int:
    """On the first of the month (beat): the job making every office's report of the month just ended.
    Running it twice queues one job."""
    today = timezone.localdate()
    job, _new = services.monthly_reports_start(month=months_back(month_start(today), 1), today=today)
    return job.pk


@shared_task(name="dashboards.monthly_reports_job", bind=True, max_retries=MAX_RETRIES)
def monthly_reports_job(self, job_id: int) -> None:
    """Make a job's reports; a database error retries, and the run skips the offices already done."""
    try:
        services.monthly_reports_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
