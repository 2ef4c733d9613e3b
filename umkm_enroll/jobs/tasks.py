import socket

from celery import shared_task

from . import services


@shared_task(name="jobs.ping")
def ping(job_id: int) -> None:
    """Prove a worker is alive and reaches the database: the job row records which worker ran it."""
    if services.job_start(job_id=job_id):
        services.job_succeed(job_id=job_id, result={"worker": socket.gethostname()})


@shared_task(name="jobs.requeue_stale")
def requeue_stale() -> list[int]:
    return services.jobs_requeue_stale()
