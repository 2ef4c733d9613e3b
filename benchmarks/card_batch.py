"""Benchmark: a print batch of 20,000 cards rendered by a real Celery worker.

    make bench-cards                               # 20,000 cards
    make bench-cards BENCH_ARGS="--cards 5000"

Uses its own database (`<DATABASE_URL name>_bench_cards`, created and migrated when missing) and seeds N
active enrollments with KPJ numbers once (reused). Each run deletes the previous run's cards and
batches, starts a `celery worker` (prefork, one child, DEBUG off), starts a batch of all N cards as a card
admin does (A4 sheets, one file per regency/city, parts of CARD_BATCH_PART cards) and polls its job. It
prints the cards per second (job started to finished), bytes per card of the PDFs, the parts written and
the peak resident memory (VmHWM) of the worker's processes, and fails unless every card was printed once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.enrollment_bulk import memory_kib, stop, wait_for, worker_pids  # noqa: E402

REGENCIES = ["52.71", "52.01", "52.02", "52.03"]
TIMEOUT = 900.0


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_enroll.settings")
    os.environ.setdefault("DEBUG", "1")
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll"))
    os.environ["DATABASE_URL"] = urlunsplit(
        (base.scheme, base.netloc, base.path.rstrip("/") + "_bench_cards", base.query, "")
    )
    from umkm_enroll.devstack import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(count: int):
    """N active enrollments with KPJ numbers in four regencies of NTB, and a card admin (once)."""
    from members.models import Enrollment
    from tests.factories import make_submitted_enrollments
    from umkm_enroll.accounts.models import Office, Role, User

    province, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Provinsi NTB",
        defaults={"kind": Office.Kind.DISKOP_PROVINCE, "province_id": "52"},
    )
    admin, _ = User.objects.get_or_create(
        username="bench.cards.admin", defaults={"office": province, "roles": [Role.CARD_ADMIN]}
    )
    have = Enrollment.objects.filter(status="active").count()
    if have < count:
        started = time.monotonic()
        per = -(-(count - have) // len(REGENCIES))
        for regency in REGENCIES:
            diskop, _ = Office.objects.get_or_create(
                name=f"Benchmark Diskop {regency}",
                defaults={"kind": Office.Kind.DISKOP_REGENCY, "province_id": "52", "regency_id": regency},
            )
            operator, _ = User.objects.get_or_create(
                username=f"bench.cards.op.{regency}", defaults={"office": diskop, "roles": [Role.OPERATOR]}
            )
            ids = make_submitted_enrollments(per, regency=regency, operator=operator)
            Enrollment.objects.filter(pk__in=ids).update(status="active", coverage_start="2026-01-01")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE members_member SET kpj_number = '8' || lpad(id::text, 10, '0') "
                "WHERE kpj_number IS NULL"
            )
        print(
            f"seeded {Enrollment.objects.filter(status='active').count():,} active enrollments "
            f"in {time.monotonic() - started:.1f} s"
        )
    return admin


def start_worker() -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DEBUG": "0",
        "NIK_ENCRYPTION_KEYS": settings.NIK_ENCRYPTION_KEYS,
        "NIK_HMAC_KEY": settings.NIK_HMAC_KEY,
        "CARD_SIGNING_KEY": settings.CARD_SIGNING_KEY,
        "DATA_DIR": str(settings.DATA_DIR),
    }
    log = (ROOT / ".data" / "bench-cards-worker.log").open("ab")
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
            f"bench-cards-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=20_000)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    from cards.batches import batch_dir, batch_start
    from cards.models import Card, PrintBatch
    from umkm_enroll.celery import app
    from umkm_enroll.jobs.models import Job

    admin = seed(args.cards)
    # A fresh start: no card printed yet (cards are not append-only; their audit entries stay).
    PrintBatch.objects.all().delete()
    Card.objects.all().delete()
    app.control.purge()
    worker = start_worker()
    try:
        wait_for(lambda: bool(app.control.ping(timeout=0.5)), 120, "the worker did not answer")
        main_pid = worker.pid
        batch = batch_start(actor=admin, filters={}, layout="sheets", split_by="regency")
        job = batch.job
        assert job is not None

        def finished() -> bool:
            job.refresh_from_db()
            return job.status in {Job.Status.SUCCEEDED, Job.Status.FAILED}

        wait_for(finished, TIMEOUT, "the batch did not finish")
        pids = worker_pids(main_pid)
        peak = {pid: memory_kib(pid) for pid in pids}
    finally:
        stop(worker)
    if job.status != Job.Status.SUCCEEDED:
        print(f"job failed: {job.error}")
        return 1
    assert job.started_at is not None
    assert job.finished_at is not None
    seconds = (job.finished_at - job.started_at).total_seconds()
    files = job.result["files"]
    total_bytes = sum(f["bytes"] for f in files)
    printed = Card.objects.filter(status="printed").count()
    cards = sum(f["cards"] for f in files)
    print(f"  cores                                   {os.cpu_count()}")
    print(f"  cards in the batch                      {batch.total:,}")
    print(f"  PDF parts (CARD_BATCH_PART={settings.CARD_BATCH_PART})      {len(files)}")
    print(f"  seconds, job started -> finished        {seconds:.1f}")
    print(f"  cards per second                        {batch.total / seconds:.0f}")
    print(f"  bytes per card                          {total_bytes / max(cards, 1):.0f}")
    zip_size = (batch_dir(batch.pk) / job.result["zip"]).stat().st_size
    print(f"  ZIP                                     {zip_size:,} bytes")
    for pid, kib in sorted(peak.items()):
        print(f"  peak RSS of worker process {pid:<10} {kib / 1024:.0f} MiB")
    if not (printed == cards == batch.total):
        print(f"FAILED: {printed} cards printed, {cards} in the files, {batch.total} in the batch")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
