"""Celery tasks of list exports. They receive a job id only; the list, filters and ids are in the job."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

from umkm_enroll.jobs import services as jobs

from . import services

MAX_RETRIES = 5


@shared_task(name="exports.list_export", bind=True, max_retries=MAX_RETRIES)
def list_export(self, job_id: int) -> None:
    """Write an export job's file. A database error rolls back the chunk in progress and retries; the
    job resumes at its cursor. A file that cannot be written fails the job with a reason."""
    try:
        services.export_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    except OSError:
        jobs.job_fail(job_id=job_id, error=_("The export file could not be written on the server."))
        raise


@shared_task(name="exports.purge")
def exports_purge() -> int:
    return services.exports_purge()
