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
