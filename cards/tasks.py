"""Celery tasks of cards. Tasks receive ids only."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from umkm_enroll.jobs import services as jobs

from . import batches

MAX_RETRIES = 5


@shared_task(name="cards.render_batch", bind=True, max_retries=MAX_RETRIES)
def render_batch(self, job_id: int) -> None:
    """Render a print batch; a database error retries and the job resumes at its cursor."""
    try:
        batches.batch_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="cards.purge_batches")
def purge_batches() -> int:
    return batches.batches_purge()
