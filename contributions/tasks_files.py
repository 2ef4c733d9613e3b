"""Celery tasks of payment files. Tasks receive a job id only, never the file or personal data.

Celery's autodiscovery imports each app's `tasks` module only: this module is imported at the end of
`models_files.py`, so every worker (which loads the models) knows these tasks. Its imports stay light for
that reason; the work is in `payment_files`.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(name="contributions.payment_file_process", bind=True, max_retries=MAX_RETRIES)
def payment_file_process(self, job_id: int) -> None:
    """Process a payment file's job. A database error (a restart, a lock timeout) rolls back the chunk in
    progress and retries with backoff; the job resumes at its cursor."""
    from umkm_enroll.jobs import services as jobs

    from . import payment_files

    try:
        payment_files.payment_file_process_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= MAX_RETRIES:
            jobs.job_fail(
                job_id=job_id,
                error=_("The database did not answer (%(error)s): process the file again later.")
                % {"error": type(error).__name__},
            )
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    except Exception as error:
        # A fault in the code, not a transient one: retrying would fail the same way.
        jobs.job_fail(
            job_id=job_id,
            error=_(
                "The processing stopped on an unexpected error (%(error)s): report it to the administrator."
            )
            % {"error": type(error).__name__},
        )
        raise


@shared_task(name="contributions.reconcile_daily")
def reconcile_daily() -> dict[str, dict[str, int]]:
    """Log the payment-file lines still to follow up, per office (one grouped query)."""
    from . import payment_files

    counts = payment_files.follow_up_by_office()
    for office, numbers in sorted(counts.items()):
        logger.info(
            "payment file lines to follow up: office=%s unmatched=%s invalid=%s",
            office,
            numbers["unmatched"],
            numbers["invalid"],
        )
    return counts
