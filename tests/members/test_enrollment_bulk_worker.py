"""Bulk decisions through real Celery workers: a worker killed in the middle of a job loses at most the
chunk in progress, and the worker that picks the job up again decides every enrollment exactly once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import Count, F, Func, Subquery

from members.enrollments import BULK_CHUNK, bulk_decisions_start
from members.models import Enrollment, EnrollmentStatus, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory, make_submitted_enrollments
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job
from umkm_enroll.jobs.services import jobs_requeue_stale

pytestmark = pytest.mark.worker

# Six chunks: enough for the test to see the job between its first and its last chunk.
SEEDED = 3_000
APPROVED_ACTION = "members.enrollment.approved"


def committed(job: Job) -> tuple[int, int, int]:
    """The job's done counter and cursor, and the approved enrollments, read in one statement (one
    snapshot), so a chunk committing between two reads cannot make them disagree."""
    approved = (
        Enrollment.objects.filter(status=EnrollmentStatus.APPROVED)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        Job.objects.filter(pk=job.pk)
        .annotate(approved=Subquery(approved))
        .values_list("done", "result__cursor", "approved")
        .get()
    )


def test_a_bulk_approval_survives_a_killed_worker_and_decides_each_enrollment_once(celery_worker_process):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    officer = UserFactory.create(office=OfficeFactory.branch(["52.71"]), roles=[Role.OFFICER])
    ids = make_submitted_enrollments(SEEDED, regency="52.71", operator=operator)
    assert SEEDED > 2 * BULK_CHUNK

    # Not inside a transaction here, so the task is queued as soon as the job row is committed.
    job = bulk_decisions_start(actor=officer, ids=ids, decision="approve")
    assert job.total == SEEDED

    first = celery_worker_process()

    def started_deciding() -> bool:
        job.refresh_from_db(fields=["done"])
        return job.done > 0

    wait_until(started_deciding, timeout=90, interval=0.01)
    first.kill()

    done, cursor, approved = committed(job)
    assert 0 < done < SEEDED, f"the job was not caught in the middle (done {done} of {SEEDED})"
    # Whole chunks only: the chunk in progress when the worker died was rolled back with its cursor.
    assert done == cursor == approved
    assert done % BULK_CHUNK == 0
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING

    # A killed worker's task stays "unacked" in Redis until the visibility timeout (an hour); the beat
    # task that looks for jobs without a sign of life queues it again (here called at once).
    celery_worker_process()
    requeued = jobs_requeue_stale(older_than=timedelta(0))
    job.refresh_from_db()
    assert requeued == [job.pk], (job.status, job.heartbeat_at, job.done, job.attempts)

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=180, interval=0.2)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    assert (job.total, job.done, job.failed) == (SEEDED, SEEDED, 0)
    assert job.result["approved"] == SEEDED
    assert job.result["refused"] == []

    enrollments = Enrollment.objects.filter(pk__in=ids)
    assert enrollments.filter(status=EnrollmentStatus.APPROVED).count() == SEEDED
    # One transition each: submitted (version 1) -> approved (version 2), by the officer.
    assert set(enrollments.values_list("version", "decided_by_id")) == {(2, officer.pk)}

    entries = AuditEntry.objects.filter(action=APPROVED_ACTION)
    assert entries.count() == SEEDED
    per_enrollment = entries.values("object_id").annotate(n=Count("pk"))
    assert {row["n"] for row in per_enrollment} == {1}
    assert {int(row["object_id"]) for row in per_enrollment} == set(ids)

    kpjs = list(Member.objects.filter(enrollments__pk__in=ids).values_list("kpj_number", flat=True))
    assert len(kpjs) == SEEDED
    assert all(kpj and re.fullmatch(r"\d{11}", kpj) for kpj in kpjs)
    assert len(set(kpjs)) == SEEDED
