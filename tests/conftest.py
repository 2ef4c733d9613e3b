"""Shared fixtures: a real Celery worker process and a real headless Chromium (Debian's package)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the tests
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database lets Django's flush TRUNCATE the append-only audit table (never in production)."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            f"ALTER DATABASE \"{connection.settings_dict['NAME']}\" SET umkm.allow_audit_truncate = 'on'"
        )
    connection.close()


TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "celery_worker_process"}


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests flush every table; put the reference data loaded by migrations back (regions,
    minimum wages, tariffs)."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or TRANSACTIONAL_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from umkm_enroll.regions.loading import load_minimum_wages, load_vendored
        from umkm_enroll.regions.models import MinimumWage, Province

        if not Province.objects.exists():
            load_vendored()
        if not MinimumWage.objects.exists():
            load_minimum_wages()
        from contributions.models import IncomeBracket, Relief, TariffScheme
        from contributions.seeding import seed_tariffs

        if not TariffScheme.objects.exists():
            seed_tariffs(TariffScheme, IncomeBracket, Relief)


def worker_database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_ copy), for child processes."""
    db = settings.DATABASES["default"]
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{db['NAME']}", parts.query, ""))


class WorkerProcess:
    """A `celery worker` started as a separate process against the test database and Redis."""

    def __init__(self, concurrency: int = 1, extra_env: dict[str, str] | None = None) -> None:
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / ".data" / "test-worker.log"

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DATABASE_URL": worker_database_url(), **self.extra_env}
        celery = str(Path(sys.executable).parent / "celery")
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                celery,
                "-A",
                "umkm_enroll",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "prefork",
                "--concurrency",
                str(self.concurrency),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole worker (main process and its pool children) at once."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if hasattr(self, "_log"):
            self._log.close()


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes on demand; all are stopped after the test."""
    from umkm_enroll.celery import app

    app.control.purge()
    workers: list[WorkerProcess] = []

    def start(**kwargs) -> WorkerProcess:
        worker = WorkerProcess(**kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(
        base_url=live_server.url, locale="id-ID", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
