"""Writes to jobs: each state change is a conditional UPDATE, so a task that runs twice is harmless."""

from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Job


def job_create(*, kind: str, total: int = 0, actor: Any = None) -> Job:
    return Job.objects.create(kind=kind, total=total, created_by=actor)


def job_start(*, job_id: int) -> bool:
    """Mark a job running; False when it has already finished (a redelivered task)."""
    return bool(
        Job.objects.filter(pk=job_id, status__in=[Job.Status.PENDING, Job.Status.RUNNING]).update(
            status=Job.Status.RUNNING,
            # The first start: a resumed job's rate counts all its work against all its time.
            started_at=Coalesce(F("started_at"), Value(timezone.now())),
            attempts=F("attempts") + 1,
        )
    )


def job_advance(*, job_id: int, done: int = 0, failed: int = 0) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + done, failed=F("failed") + failed)


def job_succeed(*, job_id: int, result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.SUCCEEDED, finished_at=timezone.now(), result=result or {}
    )


def job_fail(*, job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).update(status=Job.Status.FAILED, finished_at=timezone.now(), error=error)
