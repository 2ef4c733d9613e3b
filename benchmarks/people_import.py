"""Benchmark: a 150,000-row people list imported end to end through a real Celery worker, against COPY.

    make bench-import                                   # 150,000 rows, 2% of them bad
    make bench-import BENCH_ARGS="--rows 20000"
    make bench-import BENCH_ARGS="--submit"             # also submit an enrollment for each person

Uses its own database (`<DATABASE_URL name>_bench_import`, created and migrated when missing). It writes a
realistic XLSX list of people of Sulawesi Utara (benchmarks/people_lists.py: a title row, Indonesian
headers, region names, NIKs agreeing with birth dates, phones in every local form, dates as serial numbers
or text, 2% bad rows of eight kinds), starts a `celery worker` (prefork, one child, DEBUG off), then times,
as a province Diskop operator does it: the upload (`import_upload`: checks, encryption, the proposed
columns), the confirmation of the proposed columns (`import_confirm`, which queues the check job: every row
read and validated, staged, duplicates found, the error report written) and the commit (`import_commit`:
the valid rows stored with their audit entries) until the commit job has finished. In the same run the
same stored rows are loaded with a plain PostgreSQL COPY into a copy of the people table (same columns,
indexes and constraints) and the two times are compared. Prints rows per second and the worker's peak
memory; fails when the people stored are not exactly the valid rows.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import enrollment_bulk as common  # noqa: E402

PROVINCE = "71"  # Sulawesi Utara: its BPUM list had 150,000 people
TIMEOUT = 900.0


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "_bench_import"
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


def operator():
    from umkm_enroll.accounts.models import Office, Role, User

    office, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Provinsi Sulawesi Utara",
        defaults={"kind": Office.Kind.DISKOP_PROVINCE, "province_id": PROVINCE},
    )
    user, _ = User.objects.get_or_create(
        username="bench.import.operator", defaults={"office": office, "roles": [Role.OPERATOR]}
    )
    return user


def clear_previous(user) -> None:
    """People and enrollments of earlier runs (the same NIKs would be duplicates); audit entries stay
    (the table refuses deletes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_member")
        cursor.execute("TRUNCATE members_importrow")
        cursor.execute(
            "DELETE FROM members_duplicateflag WHERE first_id IN "
            "(SELECT id FROM members_member WHERE office_id = %s)",
            [user.office_id],
        )
        cursor.execute(
            "DELETE FROM members_enrollment WHERE member_id IN "
            "(SELECT id FROM members_member WHERE office_id = %s)",
            [user.office_id],
        )
        cursor.execute("DELETE FROM members_member WHERE office_id = %s", [user.office_id])
        cursor.execute("UPDATE members_importbatch SET sha256 = '' WHERE office_id = %s", [user.office_id])
        # The deleted rows would otherwise stay in the tables and their indexes as dead entries, each run
        # slower than the last; a registry in production is not a table emptied and refilled.
        for table in ("members_member", "members_enrollment", "members_importrow", "members_duplicateflag"):
            cursor.execute(f"VACUUM (FULL, ANALYZE) {table}")


def plain_copy(batch_id: int) -> tuple[float, int]:
    """Seconds to COPY the stored rows into a table like members_member (same indexes and checks)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy_member (LIKE members_member INCLUDING ALL)")
        buffer = io.BytesIO()
        raw = cursor.cursor
        with raw.copy(
            "COPY (SELECT * FROM members_member WHERE import_batch_id = %s) TO STDOUT", [batch_id]
        ) as copy:
            for block in copy:
                buffer.write(block)
        data = buffer.getvalue()
        started = time.monotonic()
        with raw.copy("COPY bench_copy_member FROM STDIN") as copy:
            copy.write(data)
        seconds = time.monotonic() - started
        cursor.execute("SELECT count(*) FROM bench_copy_member")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy_member")
    return seconds, count


class MemorySampler(threading.Thread):
    """The worker's memory, sampled every 0.1 s: the peak of the sum of the proportional set sizes (PSS:
    pages shared after a fork counted once in all, not once per process) of all its processes, and of the
    job's (the pool child and the check's forked part, without the worker's main process)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kib = self.job_peak_kib = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            sizes = {pid: pss_kib(pid) for pid in common.descendants(self.root)}
            self.peak_kib = max(self.peak_kib, sum(sizes.values()))
            self.job_peak_kib = max(self.job_peak_kib, sum(sizes.values()) - sizes.get(self.root, 0))
            time.sleep(0.1)


def pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--bad-share", type=float, default=0.02)
    parser.add_argument("--submit", action="store_true", help="submit an enrollment for each person")
    parser.add_argument("--worker-debug", action="store_true")
    args = parser.parse_args()
    database = setup_django()

    from django.db.models import Count

    from benchmarks.people_lists import people_rows, places_of, write_xlsx
    from members import imports
    from members.models import ImportBatch, Member
    from umkm_enroll.audit.models import AuditEntry
    from umkm_enroll.celery import app
    from umkm_enroll.jobs.models import Job
    from umkm_enroll.jobs.tasks import ping

    user = operator()
    clear_previous(user)
    started = time.monotonic()
    rows, bad = people_rows(args.rows, places_of(PROVINCE), bad_share=args.bad_share, seed=int(time.time()))
    content = write_xlsx(rows)
    print(
        f"database {database}: wrote a {len(content) / 2**20:.1f} MB XLSX of {len(rows):,} rows "
        f"({bad:,} bad) in {time.monotonic() - started:.1f} s"
    )

    from django.conf import settings

    app.control.purge()
    # With DEBUG off the worker's settings want a card signing key: the one this process derived.
    os.environ["CARD_SIGNING_KEY"] = settings.CARD_SIGNING_KEY
    worker = common.start_worker(debug=args.worker_debug)
    sampler = MemorySampler(worker.pid)
    sampler.start()
    try:
        probe = Job.objects.create(kind=Job.Kind.PING)
        ping.delay(probe.pk)
        common.wait_for(
            lambda: Job.objects.filter(pk=probe.pk, status=Job.Status.SUCCEEDED).exists(), 120, "worker start"
        )
        begun = time.monotonic()
        batch = imports.import_upload(actor=user, name="bpum-sulut.xlsx", content=content)
        uploaded = time.monotonic()
        check = imports.import_confirm(batch=batch, mapping=batch.mapping, defaults={}, actor=user)
        common.wait_for(
            lambda: Job.objects.filter(
                pk=check.pk, status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]
            ).exists(),
            TIMEOUT,
            f"check job {check.pk}",
        )
        checked = time.monotonic()
        batch.refresh_from_db()
        submit = imports.SubmitOptions() if args.submit else None
        commit = imports.import_commit(batch=batch, actor=user, submit=submit)
        common.wait_for(
            lambda: Job.objects.filter(
                pk=commit.pk, status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]
            ).exists(),
            TIMEOUT,
            f"commit job {commit.pk}",
        )
        finished = time.monotonic()
        peaks = {pid: common.memory_kib(pid) for pid in common.worker_pids(worker.pid)}
    finally:
        sampler.running = False
        common.stop(worker)

    batch.refresh_from_db()
    commit.refresh_from_db()
    total = finished - begun
    stored = Member.objects.filter(import_batch=batch).count()
    twice = (
        Member.objects.filter(import_batch=batch)
        .values("nik_digest")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    audited = AuditEntry.objects.filter(
        action="members.member.imported",
        object_id__in=[
            str(pk) for pk in Member.objects.filter(import_batch=batch).values_list("pk", flat=True)
        ],
    ).count()
    copy_seconds, copied = plain_copy(batch.pk)
    child_peak = max((kib for pid, kib in peaks.items() if pid != worker.pid), default=0)

    debug = "on" if args.worker_debug else "off"
    print(
        f"worker: prefork, 1 child, DEBUG {debug}, chunks of {imports.chunk_rows():,},"
        f" commit in {imports.commit_threads()} threads"
    )
    print(f"  rows in the file                        {batch.rows_total:>10,}")
    print(f"  people stored                           {batch.rows_created:>10,}")
    print(f"  invalid rows                            {batch.rows_invalid:>10,}")
    print(f"  repeated in the file                    {batch.rows_duplicate_file:>10,}")
    print(f"  possible duplicates flagged             {batch.rows_possible_duplicate:>10,}")
    if args.submit:
        print(f"  enrollments submitted                   {batch.enrollments_submitted:>10,}")
    print(f"  seconds, upload                         {uploaded - begun:>10.2f}")
    print(f"  seconds, check (incl. error report)     {checked - uploaded:>10.2f}")
    print(f"  seconds, commit                         {finished - checked:>10.2f}")
    print(f"  seconds, end to end                     {total:>10.2f}")
    print(f"  rows per second, end to end             {batch.rows_total / total:>10,.0f}")
    print(f"  seconds, plain COPY of the same rows    {copy_seconds:>10.2f}")
    print(f"  ratio end to end / plain COPY           {total / copy_seconds:>10.1f}")
    print(f"  peak RSS, pool child (MiB)              {child_peak / 1024:>10.0f}")
    forked_peak = Job.objects.get(pk=check.pk).result.get("forked_peak_kib", 0)
    print(f"  peak RSS, forked check part (MiB)       {forked_peak / 1024:>10.0f}")
    print(f"  peak PSS, the job's processes (MiB)     {sampler.job_peak_kib / 1024:>10.0f}")
    print(f"  peak PSS, whole worker (MiB)            {sampler.peak_kib / 1024:>10.0f}")

    problems = []
    if batch.status != ImportBatch.Status.COMMITTED:
        problems.append(f"the import is {batch.status}: {batch.error}")
    expected = len(rows) - bad
    if stored != batch.rows_created or twice or audited != stored or copied != stored:
        problems.append(f"stored {stored}, audited {audited}, copied {copied}, NIKs twice {twice}")
    if abs(stored - expected) > bad:  # a bad row of one kind may hit a good row's NIK
        problems.append(f"stored {stored}, expected about {expected}")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
