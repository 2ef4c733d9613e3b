"""Benchmark: the monthly billing run (contributions.billing.run_month) over 1,000,000 active enrollments.

    make bench-billing                                     # 1,000,000 people (seeded once, reused)
    make bench-billing BENCH_ARGS="--people 200000 --month 2026-11 --repeat 1"
    make bench-billing BENCH_ARGS="--history 6"            # 6 earlier months billed first (kept)
    make bench-billing BENCH_ARGS="--explain"              # EXPLAIN ANALYZE the INSERT ... SELECT too

Uses its own database (`<DATABASE_URL name>_bench_billing`, created and migrated when missing). The seed is
set-based SQL (INSERT ... SELECT over generate_series, in one transaction, secondary indexes and foreign
keys dropped during the load and restored after it): N people spread over the villages of eight provinces,
each with one active enrollment, in a realistic mix of schemes (mostly the flat default, some BPU income
brackets, PU wages by risk class) and payers (self, employer, bank deduction, and about a fifth sponsored by
a regional programme, some sharing 60/40 so that they get two bills, a few whose programme has ended). It
is reused when the count is already there.

For one contribution month (default: the current one), in each of --repeat rounds (default 3; the fastest
figures are reported, since the machine may be shared), it deletes that month's bills (plain DELETE; there
are no allocations here, whose ledger is append-only) and measures:

(a) `run_month(month)` end to end (one transaction: the run row, the advisory lock, the INSERT ... SELECT
    with ON CONFLICT DO NOTHING and the dashboard tally of its bills in the same statement, the commit with
    its deferred foreign key checks), and the run's SELECT
    alone (serial, as inside an INSERT; with its JIT compilation time);
(b) a second `run_month` of the same month, which must create nothing;
(c) for comparison, a plain INSERT ... SELECT of the same rows (read back from contributions_bill) into a
    scratch table with the same columns, indexes and checks (CREATE TABLE ... LIKE ... INCLUDING ALL), and
    once more into one that also has the bill table's foreign keys (the like-for-like comparison the
    target uses: the run's rows pass the same checks).

It prints bills, seconds, rows per second, the ratios run / plain insert and the target (<= 20 s, within 2x
of the plain insert), checks a sample of bills against the Python tariffs, and prints EXPLAIN (ANALYZE,
BUFFERS) of the run's INSERT ... SELECT, parameters filled in, when asked or when the target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 20.0
TARGET_RATIO = 2.0
SAMPLE = 2_000  # enrollments whose bills are checked against the Python tariffs

# Sumatera Utara, DKI Jakarta, Jawa Barat, Jawa Tengah, Jawa Timur, NTB, Sulawesi Utara, Sulawesi Selatan.
PROVINCES = ["12", "31", "32", "33", "35", "52", "71", "73"]
MALE = ["Ahmad", "Budi", "Agus", "Dedi", "Eko", "Hendra", "Joko", "Made", "Wayan", "Lalu", "Yusuf", "Rudi"]
FEMALE = ["Siti", "Sri", "Dewi", "Nur", "Rina", "Wati", "Fitri", "Putri", "Ayu", "Ni Luh", "Baiq", "Maria"]
FAMILY = [
    "Pratama",
    "Saputra",
    "Wijaya",
    "Santoso",
    "Hidayat",
    "Kurniawan",
    "Siregar",
    "Nasution",
    "Lubis",
    "Mandagi",
    "Rumengan",
    "Hasibuan",
    "Purba",
    "Rahayu",
    "Wulandari",
    "Sulistyowati",
]
OCCUPATIONS = ["Pedagang", "Petani", "Nelayan", "Penjahit", "Bengkel", "Warung makan", "Kerajinan", "Ojek"]
RISK_CLASSES = ["very_low", "low", "low", "medium", "high"]  # weighted towards low-risk work
BANKS = ["bri", "bri", "bni", "mandiri", "btn", "bpd"]

# The places people live in: every active village of the provinces, numbered from 0.
PLACES_SQL = """
CREATE TEMP TABLE bench_places ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY v.code) - 1)::int AS n, r.province_id AS province, r.code AS regency,
       d.code AS district, v.code AS village
  FROM regions_village v
  JOIN regions_district d ON d.code = v.district_id
  JOIN regions_regency r ON r.code = d.regency_id
 WHERE r.province_id = ANY (%(provinces)s) AND v.active AND d.active AND r.active
"""

# People first + 1 .. last (the number g makes the NIK digest unique; h = a hash of it picks the rest).
MEMBERS_SQL = """
INSERT INTO members_member (
    nik_ciphertext, nik_key_id, nik_digest, nik_masked, nik_regency_code, nik_district_code,
    kk_key_id, kk_masked, full_name, name_search, name_tokens, birth_place, birth_date, sex, address,
    province_id, regency_id, district_id, village_id, phone, email, occupation, business_name, nib, kind,
    monthly_income, monthly_wage, aid_bpum, aid_kur, heir_name, heir_relation, heir_phone, kpj_number,
    office_id, created_at, updated_at, version)
SELECT sha256(('bench-billing:' || g)::bytea), 'bench', encode(sha256(('bench-billing:' || g)::bytea), 'hex'),
       left(nik, 6) || '******' || right(nik, 4), left(district, 5), left(district, 8),
       '', '', full_name, lower(full_name), string_to_array(lower(full_name), ' '), 'Kota', birth, sex,
       'Jl. Contoh No. ' || (g %% 200 + 1), province, regency, district, village,
       '+628' || (1000000000 + h %% 8999999999), '', (%(occupations)s::text[])[1 + h %% 8], '', '', kind,
       CASE WHEN kind = 'bpu' THEN 500000 + (h / 100 %% 40) * 100000 END,
       CASE WHEN kind = 'pu' THEN 2000000 + (h / 100 %% 60) * 100000 END,
       h / 10000 %% 10 < 3, h / 10000 %% 10 = 9, '', '', '', 'BB' || lpad(g::text, 11, '0'),
       office_id, now(), now(), 1
  FROM (
    SELECT g, h, p.*, o.office_id, birth, sex, kind,
           replace(p.district, '.', '')
             || lpad((extract(day FROM birth)::int + CASE sex WHEN 'P' THEN 40 ELSE 0 END)::text, 2, '0')
             || to_char(birth, 'MMYY') || lpad((g / %(places)s %% 9999 + 1)::text, 4, '0') AS nik,
           CASE sex WHEN 'P' THEN (%(female)s::text[])[1 + h %% 12] ELSE (%(male)s::text[])[1 + h %% 12] END
             || ' ' || (%(family)s::text[])[1 + h / 12 %% 16] AS full_name
      FROM (
        SELECT g, abs(hashint8(g)::bigint) AS h,
               date '1960-01-01' + (abs(hashint8(g + 7)::bigint) %% 16000)::int AS birth,
               CASE WHEN g %% 2 = 0 THEN 'L' ELSE 'P' END AS sex,
               CASE WHEN abs(hashint8(g)::bigint) %% 100 < 15 THEN 'pu' ELSE 'bpu' END AS kind
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
      ) numbered
      JOIN bench_places p ON p.n = numbered.g %% %(places)s
      JOIN unnest(%(office_provinces)s::text[], %(office_ids)s::bigint[]) AS o (province, office_id)
        ON o.province = p.province
  ) people
"""

# One active enrollment per person added by MEMBERS_SQL (id > the last one before), digits of a hash of the
# member id choosing the scheme, the payer and the programme.
ENROLLMENTS_SQL = """
INSERT INTO members_enrollment (
    member_id, kind, jkk, jkm, jht, risk_class, scheme, payer, sponsor_programme_id, bank, requested_start,
    status, coverage_start, submitted_at, decided_at, rejection_reason, rejection_note, end_reason,
    status_changed_at, created_office_id, submitted_office_id, created_at, updated_at, version)
SELECT id, kind, true, true, kind = 'bpu' AND d4 < 2,
       CASE WHEN kind = 'pu' THEN (%(risk_classes)s::text[])[1 + d3 %% 5] ELSE '' END,
       CASE WHEN kind = 'pu' THEN CASE WHEN d1 < 60 THEN 'pu-national' ELSE '' END
            ELSE CASE WHEN d1 < 75 THEN '' ELSE 'bpu-national' END END,
       payer,
       CASE WHEN payer = 'sponsor' THEN
            CASE WHEN d3 < 5 THEN pr.ended_id WHEN d3 < 40 THEN pr.shared_id ELSE pr.full_id END END,
       CASE WHEN payer = 'bank' THEN (%(banks)s::text[])[1 + d3 %% 6] ELSE '' END,
       start, 'active', start, start - 20, start - 5, '', '', '', start - 5, office_id, office_id,
       start - 20, start - 5, 1
  FROM (
    SELECT m.id, m.kind, m.office_id, m.province_id, d1, d3, d4,
           date '2023-01-01' + (h %% 1000)::int AS start,
           CASE WHEN m.kind = 'pu' THEN CASE WHEN d2 < 90 THEN 'employer' ELSE 'self' END
                WHEN d2 < 23 THEN 'sponsor' WHEN d2 < 35 THEN 'bank' ELSE 'self' END AS payer
      FROM (
        SELECT m.*, abs(hashint8(m.id + 11)::bigint) AS h,
               abs(hashint8(m.id + 13)::bigint) %% 100 AS d1, abs(hashint8(m.id + 17)::bigint) %% 100 AS d2,
               abs(hashint8(m.id + 19)::bigint) %% 100 AS d3, abs(hashint8(m.id + 23)::bigint) %% 10 AS d4
          FROM members_member m
         WHERE m.id > %(after)s
      ) m
  ) e
  JOIN unnest(%(programme_provinces)s::text[], %(full)s::bigint[], %(shared)s::bigint[], %(ended)s::bigint[])
       AS pr (province, full_id, shared_id, ended_id)
    ON pr.province = e.province_id
"""

BILL_COLUMNS = (
    "enrollment_id, month, payer, sponsor_programme_id, amount, relief, due_date, paid, run_id, created_at"
)


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "_bench_billing"
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


@contextmanager
def bulk_load(cursor: Any, tables: list[str]) -> Iterator[None]:
    """Drop the secondary indexes and foreign keys of `tables` for a load and restore them after it (one
    index build and one anti-join per constraint instead of a million index inserts and key checks). Called
    inside a transaction, so an interrupted load leaves the schema as it was."""
    indexes: list[str] = []
    keys: list[tuple[str, str, str]] = []
    for table in tables:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        for name, definition in cursor.fetchall():
            indexes.append(definition)
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for name, definition in cursor.fetchall():
            keys.append((table, name, definition))
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for definition in indexes:
        cursor.execute(definition)
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def reference_rows() -> dict[str, Any]:
    """The offices and sponsor programmes the seed points at (created through the ORM, once)."""
    from contributions.models import SponsorProgramme
    from umkm_enroll.accounts.models import Office
    from umkm_enroll.regions.models import Province

    rows: dict[str, Any] = {key: [] for key in ("provinces", "offices", "full", "shared", "ended")}
    for province in Province.objects.filter(code__in=PROVINCES).order_by("code"):
        office, _ = Office.objects.get_or_create(
            name=f"Benchmark Diskop {province.name}",
            defaults={"kind": Office.Kind.DISKOP_PROVINCE, "province": province},
        )
        programmes = []
        # Two covering any month a benchmark may bill, and one that ended in 2021: its participants are
        # billed as payer self again.
        for label, first, last, percent in (
            ("penuh", date(2020, 1, 1), date(2035, 12, 1), 100),
            ("berbagi 60%", date(2020, 1, 1), date(2035, 12, 1), 60),
            ("2021", date(2021, 9, 1), date(2021, 12, 1), 100),
        ):
            programme, _ = SponsorProgramme.objects.get_or_create(
                name=f"Benchmark APBD {province.name} {label}",
                defaults={
                    "sponsor": f"Pemerintah Provinsi {province.name}",
                    "province": province,
                    "first_month": first,
                    "last_month": last,
                    "sponsor_percent": percent,
                },
            )
            programmes.append(programme.pk)
        rows["provinces"].append(province.code)
        rows["offices"].append(office.pk)
        for key, pk in zip(("full", "shared", "ended"), programmes, strict=True):
            rows[key].append(pk)
    return rows


def seed(people: int) -> None:
    from django.db import connection, transaction

    from members.models import Enrollment, Member

    existing = Member.objects.count()
    if existing >= people:
        print(f"seed: {existing:,} people already there (reused)")
        return
    refs = reference_rows()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PLACES_SQL, {"provinces": PROVINCES})
        cursor.execute("SELECT count(*) FROM bench_places")
        places = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM members_member")
        after = cursor.fetchone()[0]
        with bulk_load(cursor, ["members_member", "members_enrollment"]):
            cursor.execute(
                MEMBERS_SQL,
                {
                    "first": existing + 1,
                    "last": people,
                    "places": places,
                    "male": MALE,
                    "female": FEMALE,
                    "family": FAMILY,
                    "occupations": OCCUPATIONS,
                    "office_provinces": refs["provinces"],
                    "office_ids": refs["offices"],
                },
            )
            loaded = time.perf_counter()
            print(f"seed: {cursor.rowcount:,} people in {loaded - started:.1f} s", flush=True)
            cursor.execute(
                ENROLLMENTS_SQL,
                {
                    "after": after,
                    "risk_classes": RISK_CLASSES,
                    "banks": BANKS,
                    "programme_provinces": refs["provinces"],
                    "full": refs["full"],
                    "shared": refs["shared"],
                    "ended": refs["ended"],
                },
            )
            print(
                f"seed: {cursor.rowcount:,} enrollments in {time.perf_counter() - loaded:.1f} s", flush=True
            )
            restoring = time.perf_counter()
        print(
            f"seed: indexes and foreign keys restored in {time.perf_counter() - restoring:.1f} s", flush=True
        )
    vacuuming = time.perf_counter()
    with connection.cursor() as cursor:  # outside a transaction: VACUUM sets the visibility map
        cursor.execute("VACUUM ANALYZE members_member")
        cursor.execute("VACUUM ANALYZE members_enrollment")
    print(f"seed: VACUUM ANALYZE in {time.perf_counter() - vacuuming:.1f} s")
    print(
        f"seed: {Member.objects.count():,} people, {Enrollment.objects.count():,} enrollments,"
        f" {time.perf_counter() - started:.1f} s in all"
    )


def checkpoint(cursor: Any) -> None:
    """Flush dirty pages first, so that one measurement does not pay for the writes of the one before."""
    from django.db import DatabaseError

    with contextlib.suppress(DatabaseError):  # not a superuser (nor pg_checkpoint): measure without
        cursor.execute("CHECKPOINT")


def plain_insert(cursor: Any, month: date, *, foreign_keys: bool) -> tuple[float, int]:
    """Seconds and rows of INSERT ... SELECT of the month's bills into a copy of the bill table."""
    from django.db import transaction

    cursor.execute("DROP TABLE IF EXISTS bench_plain_bill")
    cursor.execute("CREATE TABLE bench_plain_bill (LIKE contributions_bill INCLUDING ALL)")
    if foreign_keys:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'contributions_bill'::regclass AND contype = 'f'"
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE bench_plain_bill ADD {definition}")
    checkpoint(cursor)
    started = time.perf_counter()
    with transaction.atomic():
        cursor.execute(
            f"INSERT INTO bench_plain_bill ({BILL_COLUMNS}) SELECT {BILL_COLUMNS} FROM contributions_bill"
            " WHERE month = %s",
            [month],
        )
        rows = cursor.rowcount
    seconds = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_plain_bill")
    return seconds, rows


def check_sample(month: date) -> list[str]:
    """Bills of a random sample of enrollments against the Python tariffs (contributions.selectors)."""
    from django.db.models import Max, Min

    from contributions.models import Bill
    from contributions.selectors import expected_bills
    from members.models import Enrollment

    bounds = Enrollment.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    ids = range(bounds["low"], bounds["high"] + 1)
    chosen = random.Random(month.toordinal()).sample(ids, min(SAMPLE, len(ids)))
    sample = Enrollment.objects.select_related("member", "sponsor_programme").filter(pk__in=chosen)
    stored: dict[int, list[tuple[str, int | None, int, int]]] = {}
    for bill in Bill.objects.filter(month=month, enrollment__in=chosen):
        stored.setdefault(bill.enrollment_id, []).append(
            (bill.payer, bill.sponsor_programme_id, bill.amount, bill.relief)
        )
    problems = []
    for enrollment in sample:
        billed, expected = sorted(stored.get(enrollment.pk, [])), sorted(expected_bills(enrollment, month))
        if billed != expected:
            problems.append(f"enrollment {enrollment.pk}: billed {billed}, expected {expected}")
    return problems


def explain(cursor: Any, month: date, run_id: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the run's statement (INSERT ... SELECT and its tally) on an empty
    month, parameters filled in; committed, so the month is billed (and tallied) again afterwards."""
    from django.utils import timezone

    from contributions.billing import RUN_SQL, month_params, tallied_bills

    cursor.execute("DELETE FROM contributions_bill WHERE month = %s", [month])
    cursor.execute("VACUUM ANALYZE contributions_bill")
    checkpoint(cursor)
    with tallied_bills():
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + RUN_SQL,
            {**month_params(month), "run": run_id, "now": timezone.now()},
        )
        plan = [row[0] for row in cursor.fetchall()]
    print("\nEXPLAIN (ANALYZE, BUFFERS, SETTINGS) of the run's INSERT ... SELECT and its tally:")
    for line in plan:
        print(f"  {line}")


def select_seconds(cursor: Any, month: date, *, jit: bool = True) -> float:
    """Seconds of the run's SELECT alone: serial, as inside INSERT ... SELECT (PostgreSQL plans no parallel
    workers for an INSERT); with JIT compilation as the server is configured, or without."""
    from django.db import transaction

    from contributions.billing import BILLS_SQL, month_params

    with transaction.atomic():
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        if not jit:
            cursor.execute("SET LOCAL jit = off")
        cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + BILLS_SQL, month_params(month))
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Execution Time"] / 1000


def one_round(cursor: Any, month: date) -> dict[str, Any]:
    """Empty the month, bill it, bill it again, then copy its bills with plain inserts."""
    from contributions.billing import run_month

    cursor.execute("DELETE FROM contributions_bill WHERE month = %s", [month])
    cursor.execute("DELETE FROM contributions_billingrun WHERE month = %s", [month])
    cursor.execute("VACUUM ANALYZE contributions_bill")
    checkpoint(cursor)
    started = time.perf_counter()
    run = run_month(month)
    run_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = run_month(month)
    again_seconds = time.perf_counter() - started
    cursor.execute("VACUUM ANALYZE contributions_bill")
    plain_seconds, plain_rows = plain_insert(cursor, month, foreign_keys=False)
    keyed_seconds, _ = plain_insert(cursor, month, foreign_keys=True)
    return {
        "run": run,
        "bills": run.bills_created,
        "run_s": run_seconds,
        "again": again.bills_created,
        "again_s": again_seconds,
        "plain_rows": plain_rows,
        "plain_s": plain_seconds,
        "keyed_s": keyed_seconds,
        "select_s": select_seconds(cursor, month),
        "select_nojit_s": select_seconds(cursor, month, jit=False),
    }


def ensure_history(month: date, months: int) -> None:
    """Bill the `months` months before `month` once (kept), so that the run meets a table with history."""
    from django.db import connection

    from contributions.billing import run_month
    from contributions.models import Bill

    for back in range(months, 0, -1):
        index = month.year * 12 + month.month - 1 - back
        earlier = date(index // 12, index % 12 + 1, 1)
        if Bill.objects.filter(month=earlier).exists():
            continue
        started = time.perf_counter()
        run = run_month(earlier)
        seconds = time.perf_counter() - started
        print(f"history: {earlier:%Y-%m} billed ({run.bills_created:,} bills) in {seconds:.1f} s")
    if months:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE contributions_bill")


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def measure(month: date, *, repeat: int, show_plan: bool) -> int:
    from django.db import connection

    from contributions.billing import month_params

    next_month = month_params(month)["next_month"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the reference tables too: the plan depends on their statistics
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE payer = 'sponsor') FROM members_enrollment"
            " WHERE status IN ('approved', 'active') AND coverage_start < %s",
            [next_month],
        )
        enrollments, sponsored = cursor.fetchone()
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " current_setting('work_mem'), current_setting('jit'),"
            " current_setting('max_parallel_workers_per_gather'), current_setting('max_wal_size')"
        )
        version, shared_buffers, work_mem, jit, parallel, max_wal = cursor.fetchone()
        print(
            f"machine: {os.cpu_count()} cores, {load()}; PostgreSQL {version} (shared_buffers"
            f" {shared_buffers}, work_mem {work_mem}, jit {jit}, max_parallel_workers_per_gather {parallel},"
            f" max_wal_size {max_wal})"
        )
        cursor.execute("SELECT count(*) FROM contributions_bill WHERE month <> %s", [month])
        history = cursor.fetchone()[0]
        print(
            f"month {month:%Y-%m}: {enrollments:,} billable enrollments, {sponsored:,} with payer sponsor;"
            f" {history:,} bills of other months in the table"
        )

        rounds = []
        for number in range(1, repeat + 1):
            rounds.append(one_round(cursor, month))
            if repeat > 1:
                r = rounds[-1]
                print(
                    f"  round {number}: run {r['run_s']:.2f} s, again {r['again_s']:.2f} s, plain"
                    f" {r['plain_s']:.2f} s, plain + keys {r['keyed_s']:.2f} s, SELECT alone"
                    f" {r['select_s']:.2f} s; {load()}",
                    flush=True,
                )

        cursor.execute(
            "SELECT payer, count(*), sum(amount), sum(relief) FROM contributions_bill WHERE month = %s"
            " GROUP BY payer ORDER BY count(*) DESC",
            [month],
        )
        by_payer = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FROM members_enrollment e WHERE e.status IN ('approved', 'active')"
            " AND e.coverage_start < %s AND NOT EXISTS"
            " (SELECT 1 FROM contributions_bill b WHERE b.enrollment_id = e.id AND b.month = %s)",
            [next_month, month],
        )
        unbilled = cursor.fetchone()[0]

    # The fastest of each: on a shared machine the others are the same work plus someone else's.
    keys = ("run_s", "again_s", "plain_s", "keyed_s", "select_s", "select_nojit_s")
    best = {key: min(r[key] for r in rounds) for key in keys}
    last = rounds[-1]
    bills = last["bills"]
    # Like for like: the plain insert into a table defined as the bill table (indexes, checks and its
    # foreign keys), which the run's rows must pass too. Without the foreign keys it is printed as well.
    ratio = best["run_s"] / best["keyed_s"]
    met = best["run_s"] <= TARGET_SECONDS and ratio <= TARGET_RATIO
    print("\nbills of the month by payer (count, amount, relief):")
    for payer, count, amount, relief in by_payer:
        print(f"  {payer:<10} {count:>10,} bills  Rp {amount:>16,}  relief Rp {relief:>14,}")
    plain_rows = last["plain_rows"]
    figures = [
        ("(best of " + str(repeat) + " rounds)" if repeat > 1 else "(one round)", ""),
        ("enrollments billed", f"{enrollments - unbilled:,}"),
        ("(a) run_month: bills created", f"{bills:,}"),
        ("(a) run_month: seconds", f"{best['run_s']:.2f}"),
        ("(a) run_month: bills per second", f"{bills / best['run_s']:,.0f}"),
        ("    the run's SELECT alone (serial): seconds", f"{best['select_s']:.2f}"),
        ("    the same SELECT with jit off: seconds", f"{best['select_nojit_s']:.2f}"),
        ("(b) run_month again: bills created", f"{last['again']:,}"),
        ("(b) run_month again: seconds", f"{best['again_s']:.2f}"),
        ("(c) plain INSERT ... SELECT: rows", f"{plain_rows:,}"),
        ("(c) plain INSERT ... SELECT: seconds", f"{best['plain_s']:.2f}"),
        ("(c) plain INSERT ... SELECT: rows per second", f"{plain_rows / best['plain_s']:,.0f}"),
        ("(c) the same with the bill table's foreign keys: seconds", f"{best['keyed_s']:.2f}"),
        ("ratio run / plain insert (same table definition)", f"{ratio:.2f}"),
        ("ratio run / plain insert without foreign keys", f"{best['run_s'] / best['plain_s']:.2f}"),
    ]
    print()
    for label, value in figures:
        print(f"  {label:<56} {value:>12}")
    print(
        f"target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_RATIO:.0f}x the plain insert into the same table:"
        f" {'met' if met else 'MISSED'} ({load()})"
    )

    problems = check_sample(month)
    print(f"sample: up to {SAMPLE:,} enrollments checked against the Python tariffs")
    if any(r["again"] for r in rounds):
        problems.append(f"a second run created {max(r['again'] for r in rounds):,} bills")
    if unbilled:
        problems.append(f"{unbilled:,} billable enrollments got no bill")
    if last["plain_rows"] != bills:
        problems.append(f"the month has {last['plain_rows']:,} bills, the run said {bills:,}")
    if show_plan or not met:
        with connection.cursor() as cursor:
            explain(cursor, month, last["run"].pk)
    for problem in problems[:20]:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def month_arg(value: str) -> date:
    return date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(day=1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000, help="N people, each with an enrollment")
    parser.add_argument("--month", type=month_arg, default=None, help="YYYY-MM (default: this month)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of (a)-(c); the fastest is reported")
    parser.add_argument(
        "--history", type=int, default=0, help="months billed before the month (kept), as in production"
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE even when on target")
    args = parser.parse_args()
    database = setup_django()
    from django.utils import timezone

    print(f"database {database}")
    seed(args.people)
    month = args.month or timezone.localdate().replace(day=1)
    ensure_history(month, args.history)
    return measure(month, repeat=max(args.repeat, 1), show_plan=args.explain)


if __name__ == "__main__":
    sys.exit(main())
