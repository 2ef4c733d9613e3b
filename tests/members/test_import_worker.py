"""A large people import through real Celery workers: a worker killed with SIGKILL in the middle of the
check and again in the middle of the commit loses at most the chunk in progress, and the worker that
picks the job up again ends with exactly the expected people, error rows and audit entries.

A PostgreSQL restart and a Redis restart in the middle of the same jobs: test_import_outages.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count

from benchmarks.people_lists import people_rows, places_of, write_xlsx
from members import imports
from members.models import ImportBatch, ImportRow, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job
from umkm_enroll.jobs.services import jobs_requeue_stale

pytestmark = pytest.mark.worker

ROWS = 12_000
CHUNK = "500"  # 24 chunks: the test sees the job between its first and its last
MATARAM = "52.71"


def _caught_in_the_middle(job: Job, worker, total: int) -> int:
    def started() -> bool:
        job.refresh_from_db(fields=["done"])
        return job.done > 0

    wait_until(started, timeout=180, interval=0.01)
    worker.kill()
    job.refresh_from_db()
    assert 0 < job.done < total, f"not caught in the middle: {job.done} of {total}"
    assert job.status == Job.Status.RUNNING
    return job.done


def _resumed(job: Job, start_worker, env: dict[str, str]) -> None:
    worker = start_worker(extra_env=env)
    # The killed worker's task stays unacked in Redis until the visibility timeout; the beat task that
    # looks for jobs without a sign of life queues it again (called here at once).
    assert job.pk in jobs_requeue_stale(older_than=timedelta(0))

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=300, interval=0.2)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    # Stopped, so that the next job goes to the worker the test kills.
    worker.stop()


def test_a_killed_worker_leaves_the_import_to_finish_with_exactly_the_expected_people(
    celery_worker_process, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    env = {"IMPORT_CHUNK_ROWS": CHUNK, "DATA_DIR": str(tmp_path)}
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])
    places = [place for place in places_of("52") if place.regency_code == MATARAM]
    rows, bad = people_rows(ROWS, places, bad_share=0.02, seed=6)
    assert bad > 100
    batch = imports.import_upload(actor=operator, name="daftar-besar.xlsx", content=write_xlsx(rows))

    # --- the check, killed halfway ---
    check_job = imports.import_confirm(batch=batch, mapping=batch.mapping, defaults={}, actor=operator)
    first = celery_worker_process(extra_env=env)
    stopped_at = _caught_in_the_middle(check_job, first, ROWS)
    staged = ImportRow.objects.filter(batch=batch).count()
    # Whole chunks only: the chunks in progress were rolled back with their "done" records.
    assert staged == stopped_at
    assert staged % int(CHUNK) == 0
    _resumed(check_job, celery_worker_process, env)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED, batch.error
    assert batch.rows_total == ROWS
    assert ImportRow.objects.filter(batch=batch).count() == ROWS
    # Each bad row of the generator has exactly one problem: invalid, or a NIK repeated from an earlier row.
    assert batch.rows_invalid + batch.rows_duplicate_file == bad
    assert batch.rows_duplicate_registry == 0
    expected = ROWS - bad
    assert batch.rows_valid == expected

    # --- the commit, killed halfway ---
    commit_job = imports.import_commit(batch=batch, actor=operator)
    assert commit_job.total == expected
    third = celery_worker_process(extra_env=env)
    _caught_in_the_middle(commit_job, third, expected)
    stored = Member.objects.count()
    assert 0 < stored < expected
    assert AuditEntry.objects.filter(action="members.member.imported").count() == stored
    _resumed(commit_job, celery_worker_process, env)

    assert_committed(batch, expected, bad)


def assert_committed(batch: ImportBatch, expected: int, bad: int) -> None:
    """The import ended with exactly the expected people, each stored once with one audit entry, and the
    rows to fix kept for the report (the staged copies of stored rows are deleted just after the job is
    marked finished)."""
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert (batch.rows_created, batch.rows_duplicate_registry) == (expected, 0)
    assert Member.objects.count() == expected
    assert Member.objects.filter(import_batch=batch).count() == expected
    assert not Member.objects.values("nik_digest").annotate(n=Count("pk")).filter(n__gt=1).exists()
    per_person = (
        AuditEntry.objects.filter(action="members.member.imported")
        .values("object_id")
        .annotate(n=Count("pk"))
    )
    assert per_person.count() == expected
    assert {row["n"] for row in per_person} == {1}
    assert {int(row["object_id"]) for row in per_person} == set(Member.objects.values_list("pk", flat=True))
    wait_until(lambda: ImportRow.objects.filter(batch=batch).count() == bad, timeout=30)
    assert set(ImportRow.objects.filter(batch=batch).values_list("status", flat=True)) <= {
        "invalid",
        "dup_file",
    }
