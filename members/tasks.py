"""Celery tasks of the registry and enrollments. Tasks receive ids only, never personal data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from umkm_enroll.jobs import services as jobs

from . import enrollments, imports

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


def _run_retrying(task: Any, run: Callable[[int], None], job_id: int) -> None:
    """Run a job's body; a database error (a PostgreSQL restart) rolls back the chunk in progress and the
    task retries with backoff, resuming at the job's cursor. When the retries run out on a lost
    connection the job is left running: the stale-job requeue (beat) starts it again once the database
    is back, rather than failing a list that only waited for a server."""
    try:
        run(job_id)
    except DatabaseError as error:
        if task.request.retries >= MAX_RETRIES:
            if not isinstance(error, OperationalError | InterfaceError):
                jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise task.retry(exc=error, countdown=2**task.request.retries) from error


@shared_task(name="members.import_check", bind=True, max_retries=MAX_RETRIES)
def import_check(self, job_id: int) -> None:
    _run_retrying(self, imports.import_check_run, job_id)


@shared_task(name="members.import_commit", bind=True, max_retries=MAX_RETRIES)
def import_commit(self, job_id: int) -> None:
    _run_retrying(self, imports.import_commit_run, job_id)


@shared_task(name="members.imports_purge")
def imports_purge() -> int:
    return imports.imports_purge()
