"""Celery tasks of contributions. The monthly run is started by beat on the 1st of the month."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import (
    arrears,
    billing,
    payments,
    tasks_files,  # noqa: F401 (registers the payment-file tasks with the worker)
)


@shared_task(name="contributions.run_month", acks_late=True)
def run_month(month: str | None = None, user_id: int | None = None) -> int:
    """Bill a contribution month (ISO date of any day in it; default the current month). Idempotent.
    `user_id`: the administrator who started it by hand (none for Celery beat)."""
    from umkm_enroll.accounts.models import User

    day = date.fromisoformat(month) if month else timezone.localdate()
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    created = billing.run_month(day, actor=actor).bills_created
    # Credit held from advance payments pays the new bills.
    payments.credits_apply_all()
    return created


@shared_task(name="contributions.cover_review")
def cover_review() -> dict[str, int]:
    review = arrears.cover_review()
    return {"lapsed": review.lapsed, "restored": review.restored}


@shared_task(name="contributions.arrears_export")
def arrears_export(job_id: int) -> None:
    """Arrears export jobs made before the lists shared umkm_enroll/exports (Job.Kind.ARREARS_EXPORT),
    queued again by beat: the shared export runs them (their parameters name no list: the arrears)."""
    from umkm_enroll.exports.services import export_run

    export_run(job_id)


@shared_task(name="contributions.sponsor_invoice", bind=True, max_retries=5)
def sponsor_invoice(self, job_id: int) -> None:
    """Make a sponsor invoice job's PDF. A database error retries it (it starts over); a file that cannot
    be written fails the job with a reason."""
    from django.db import DatabaseError
    from django.utils.translation import gettext as _

    from umkm_enroll.jobs import services as jobs

    from . import invoicing

    try:
        invoicing.invoice_run(job_id)
    except DatabaseError as error:
        if self.request.retries >= self.max_retries:
            jobs.job_fail(job_id=job_id, error=type(error).__name__)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    except OSError:
        jobs.job_fail(job_id=job_id, error=_("The invoice file could not be written on the server."))
        raise
