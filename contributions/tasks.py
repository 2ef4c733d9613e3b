"""Celery tasks of contributions. The monthly run is started by beat on the 1st of the month."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import (
    arrears,
    billing,
    payments,
    tasks_exports,  # noqa: F401 (registers the export tasks with the worker)
    tasks_files,  # noqa: F401 (registers the payment-file tasks with the worker)
)


@shared_task(name="contributions.run_month", acks_late=True)
def run_month(month: str | None = None) -> int:
    """Bill a contribution month (ISO date of any day in it; default the current month). Idempotent."""
    day = date.fromisoformat(month) if month else timezone.localdate()
    created = billing.run_month(day).bills_created
    # Credit held from advance payments pays the new bills.
    payments.credits_apply_all()
    return created


@shared_task(name="contributions.cover_review")
def cover_review() -> dict[str, int]:
    review = arrears.cover_review()
    return {"lapsed": review.lapsed, "restored": review.restored}
