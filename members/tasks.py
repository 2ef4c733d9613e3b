"""Celery tasks of the registry and enrollments. Tasks receive ids only, never personal data."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from umkm_enroll.jobs import services as jobs

from . import enrollments

MAX_RETRIES = 5


@shared_task(name="members.bulk_decisions", bind=True, max_retries=MAX_RETRIES)
def bulk_decisions(self, job_id: int) -> None:
    """Decide a bulk job's enrollments. A database error (a restart, a rare KPJ collision) rolls back the
    chunk in progress and retries; the job resumes at its cursor."""
    try:
        enrollments.bulk_decisions_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="members.activate_due_enrollments")
def activate_due_enrollments() -> int:
    return enrollments.enrollments_activate_due()
