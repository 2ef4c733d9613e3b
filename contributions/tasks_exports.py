"""Celery tasks of the arrears export. They receive a job id only; the filters are in the job's params."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

from umkm_enroll.jobs import services as jobs

from . import exports

MAX_RETRIES = 5


@shared_task(name="contributions.arrears_export", bind=True, max_retries=MAX_RETRIES)
def arrears_export(self, job_id: int) -> None:
    """Write an export job's file. A database error rolls back the chunk in progress and retries; the
    job resumes at its cursor. A file that cannot be written fails the job with a reason."""
    try:
        exports.arrears_export_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    except OSError:
        jobs.job_fail(job_id=job_id, error=_("The export file could not be written on the server."))
        raise


@shared_task(name="contributions.arrears_exports_purge")
def arrears_exports_purge() -> int:
    return exports.arrears_exports_purge()
