"""Benchmark: one bulk approval of 10,000 enrollments, decided by a real Celery worker.

    make bench-enrollments                                   # 10,000 enrollments
    make bench-enrollments BENCH_ARGS="--enrollments 5000"
    make bench-enrollments BENCH_ARGS="--worker-debug"        # the worker with DEBUG on, as in make test

Uses its own database (`<DATABASE_URL name>_bench_enrollments`, created and migrated when missing). Each
run seeds N people of Kota Mataram with submitted enrollments (tests.factories.make_submitted_enrollments),
starts a `celery worker` process (prefork, one child, DEBUG off unless told, as in production), waits
until it answers, then starts a bulk approval as a branch officer does from the queue
(`bulk_decisions_start`) and polls the Job row until it has finished. It prints N, the seconds from the
job being queued to finished (and the worker's own started-to-finished time), decisions per second, the
audit entries written and the peak resident memory (VmHWM) of the worker's processes. The run fails
when an enrollment was not approved exactly once.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGENCY = "52.71"  # Kota Mataram
APPROVED = "members.enrollment.approved"
TIMEOUT = 900.0


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "_bench_enrollments"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_enroll.settings")
    os.environ.setdefault("DEBUG", "1")
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll")
    os.environ["DATABASE_URL"] = bench_url(base)
    from umkm_enroll.devstack import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")


def team():
    """The Diskop operator who submitted the enrollments and the branch officer who approves them."""
    from umkm_enroll.accounts.models import Office, Role, User
    from umkm_enroll.regions.models import Regency

    diskop, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Kota Mataram",
        defaults={"kind": Office.Kind.DISKOP_REGENCY, "province_id": REGENCY[:2], "regency_id": REGENCY},
    )
    branch, created = Office.objects.get_or_create(
        name="Benchmark BPJAMSOSTEK Cabang Mataram",
        defaults={"kind": Office.Kind.BPJS_BRANCH, "province_id": REGENCY[:2]},
    )
    if created:
        branch.served_regencies.set(Regency.objects.filter(code=REGENCY))
    operator, _ = User.objects.get_or_create(
        username="bench.enroll.operator", defaults={"office": diskop, "roles": [Role.OPERATOR]}
    )
    officer, _ = User.objects.get_or_create(
        username="bench.enroll.officer", defaults={"office": branch, "roles": [Role.OFFICER]}
    )
    return operator, officer


def start_worker(debug: bool) -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DEBUG": "1" if debug else "0",
        # With DEBUG off the settings want real NIK keys: the ones this process derived for the database.
        "NIK_ENCRYPTION_KEYS": settings.NIK_ENCRYPTION_KEYS,
        "NIK_HMAC_KEY": settings.NIK_HMAC_KEY,
    }
    log = (ROOT / ".data" / "bench-enrollments-worker.log").open("ab")
    celery = str(Path(sys.executable).parent / "celery")
    return subprocess.Popen(
        [
            celery,
            "-A",
            "umkm_enroll",
            "worker",
            "--loglevel",
            "WARNING",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-enrollments-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"{what}: nothing after {timeout:.0f} s (see .data/bench-enrollments-worker.log)")


def process_parents() -> dict[int, int]:
    """pid -> parent pid of every process (read from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the parenthesised command name.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def worker_pids(main: int) -> list[int]:
    """The worker's main process and its pool children."""
    return [main, *(pid for pid, parent in process_parents().items() if parent == main)]


def descendants(root: int) -> list[int]:
    """`root` and every process under it (a worker, its pool children and what they fork)."""
    parents = process_parents()
    found = [root]
    for pid in found:
        found.extend(child for child, parent in parents.items() if parent == pid)
    return found


def memory_kib(pid: int, field: str = "VmHWM") -> int:
    """A figure of /proc/<pid>/status: VmHWM is the peak resident set size, VmRSS the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enrollments", type=int, default=10_000, help="N (at most the bulk limit)")
    parser.add_argument("--worker-debug", action="store_true", help="run the worker with DEBUG on")
    args = parser.parse_args()
    database = setup_django()

    from django.db.models import Count

    from members.enrollments import BULK_CHUNK, BULK_LIMIT, bulk_decisions_start
    from members.models import Enrollment, EnrollmentStatus, Member
    from tests.factories import make_submitted_enrollments
    from umkm_enroll.audit.models import AuditEntry
    from umkm_enroll.celery import app
    from umkm_enroll.jobs.models import Job
    from umkm_enroll.jobs.tasks import ping

    if not 0 < args.enrollments <= BULK_LIMIT:
        parser.error(f"--enrollments must be between 1 and {BULK_LIMIT}")
    operator, officer = team()
    started = time.monotonic()
    ids = make_submitted_enrollments(args.enrollments, regency=REGENCY, operator=operator)
    seeding = time.monotonic() - started
    print(f"database {database}: seeded {len(ids):,} submitted enrollments in {seeding:.1f} s")

    app.control.purge()  # tasks left by an interrupted run would compete with this one
    worker = start_worker(debug=args.worker_debug)
    try:
        probe = Job.objects.create(kind=Job.Kind.PING)
        ping.delay(probe.pk)
        wait_for(
            lambda: Job.objects.filter(pk=probe.pk, status=Job.Status.SUCCEEDED).exists(), 120, "worker start"
        )
        idle = {pid: memory_kib(pid, "VmRSS") for pid in worker_pids(worker.pid)}
        queued = time.monotonic()
        job = bulk_decisions_start(actor=officer, ids=ids, decision="approve")
        wait_for(
            lambda: Job.objects.filter(
                pk=job.pk, status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]
            ).exists(),
            TIMEOUT,
            f"job {job.pk}",
        )
        wall = time.monotonic() - queued
        peaks = {pid: memory_kib(pid) for pid in worker_pids(worker.pid)}
    finally:
        stop(worker)

    job.refresh_from_db()
    assert job.started_at is not None
    assert job.finished_at is not None
    seconds = (job.finished_at - job.started_at).total_seconds()
    approved = Enrollment.objects.filter(pk__in=ids, status=EnrollmentStatus.APPROVED).count()
    entries = AuditEntry.objects.filter(
        action=APPROVED, object_type="members.enrollment", object_id__in=[str(pk) for pk in ids]
    )
    written = entries.count()
    repeated = entries.values("object_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    kpjs = list(Member.objects.filter(enrollments__pk__in=ids).values_list("kpj_number", flat=True))
    children = [pid for pid in peaks if pid != worker.pid]
    child_peak = max((peaks[pid] for pid in children), default=0)
    child_idle = max((idle.get(pid, 0) for pid in children), default=0)

    print(f"worker: prefork, 1 child, DEBUG {'on' if args.worker_debug else 'off'}, chunks of {BULK_CHUNK}")
    print(f"  N (enrollments approved in one job)   {len(ids):>10,}")
    print(f"  job status                            {job.status:>10}")
    print(f"  seconds, queued -> finished           {wall:>10.1f}")
    print(f"  seconds, worker started -> finished   {seconds:>10.1f}")
    print(f"  decisions per second                  {len(ids) / seconds:>10.0f}")
    print(f"  audit entries written                 {written:>10,}")
    print(f"  peak RSS, worker main process (MiB)   {peaks[worker.pid] / 1024:>10.0f}")
    print(f"  peak RSS, pool child (MiB)            {child_peak / 1024:>10.0f}")
    print(f"  RSS of the pool child before the job  {child_idle / 1024:>10.0f}")

    problems = []
    if job.status != Job.Status.SUCCEEDED:
        problems.append(f"the job {job.status}: {job.error}")
    if (job.done, job.failed, approved, written) != (len(ids), 0, len(ids), len(ids)) or repeated:
        problems.append(
            f"done {job.done}, refused {job.failed}, approved {approved}, audit entries {written}"
            f" ({repeated} enrollments audited twice)"
        )
    if len(set(kpjs)) != len(ids) or not all(kpjs):
        problems.append("KPJ numbers missing or not unique")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
