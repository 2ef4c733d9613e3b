import pytest

from tests.conftest import wait_until
from umkm_enroll.jobs import tasks
from umkm_enroll.jobs.models import Job


@pytest.mark.worker
def test_a_real_worker_runs_a_task_and_its_result_lands_in_the_database(celery_worker_process):
    celery_worker_process()
    job = Job.objects.create(kind=Job.Kind.PING)

    tasks.ping.delay(job.pk)

    def finished() -> bool:
        job.refresh_from_db()
        return job.status == Job.Status.SUCCEEDED

    wait_until(finished, timeout=60)
    assert job.result["worker"]
    assert job.attempts == 1
    assert job.finished_at is not None


@pytest.mark.django_db
def test_a_redelivered_ping_does_not_run_a_finished_job_again():
    job = Job.objects.create(kind=Job.Kind.PING)
    tasks.ping.run(job.pk)
    tasks.ping.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 1


@pytest.mark.django_db
def test_a_job_whose_worker_was_lost_is_queued_again_once():
    from datetime import timedelta

    from django.utils import timezone

    from umkm_enroll.jobs.services import job_start, jobs_requeue_stale

    lost = Job.objects.create(kind=Job.Kind.ENROLLMENT_DECISIONS)
    job_start(job_id=lost.pk)
    alive = Job.objects.create(kind=Job.Kind.ENROLLMENT_DECISIONS)
    job_start(job_id=alive.pk)
    finished = Job.objects.create(kind=Job.Kind.PING, status=Job.Status.SUCCEEDED)
    Job.objects.filter(pk__in=[lost.pk, finished.pk]).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10), created_at=timezone.now() - timedelta(minutes=10)
    )
    assert jobs_requeue_stale(older_than=timedelta(minutes=2)) == [lost.pk]
    # (The resumed run through a real worker: tests/members/test_enrollment_bulk_worker.py.)
    # The heartbeat moved on: the next beat tick does not queue it a second time.
    assert jobs_requeue_stale(older_than=timedelta(minutes=2)) == []
