"""Writes to jobs: each state change is a conditional UPDATE, so a task that runs twice is harmless."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, Value
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
            heartbeat_at=timezone.now(),
        )
    )


def job_advance(*, job_id: int, done: int = 0, failed: int = 0) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + done, failed=F("failed") + failed)


def job_succeed(*, job_id: int, result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.SUCCEEDED, finished_at=timezone.now(), result=result or {}
    )


def job_fail(*, job_id: int, error: str) -> None:
    """Mark a job failed, unless it has succeeded (a late error of a second run does not undo that)."""
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=error
    )


def job_heartbeat(job: Job) -> None:
    """Record a sign of life on a job being saved by its task (call before job.save with update_fields)."""
    job.heartbeat_at = timezone.now()


def jobs_requeue_stale(*, older_than: timedelta | None = None) -> list[int]:
    """Queue again the jobs whose worker was lost: running with no sign of life, or never picked up.

    Safe even when the old task is only slow: every task resumes from what its job recorded done (a cursor
    or the chunks done, committed with the work), so two runs of one job never store an item twice (at
    worst one of them stops with a unique-key error on an item the other is storing, and retries)."""
    from umkm_enroll.celery import app

    if older_than is None:
        older_than = timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    limit = timezone.now() - older_than
    stale = Job.objects.filter(
        Q(status=Job.Status.RUNNING, heartbeat_at__lt=limit)
        | Q(status=Job.Status.PENDING, created_at__lt=limit)
    ).filter(kind__in=list(Job.TASKS))
    requeued = []
    for job in stale:
        # Claim the requeue (another beat tick may look at the same rows): the heartbeat moves on.
        if (
            Job.objects.filter(pk=job.pk, status=job.status)
            .filter(Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True))
            .update(heartbeat_at=timezone.now())
        ):
            app.send_task(Job.TASKS[job.kind], args=[job.pk])
            requeued.append(job.pk)
    return requeued
