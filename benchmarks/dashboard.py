"""Benchmark: the coverage dashboard (/dasbor/) at 1,000,000 people, for a province and the whole country.

    make bench-dashboard                                     # 1,000,000 people (seeded once, reused)
    make bench-dashboard BENCH_ARGS="--people 200000 --renders 30"

Uses its own database (`<DATABASE_URL name>_bench_dashboard`, created and migrated when missing). The seed
reuses the billing benchmark's set-based load (benchmarks/monthly_run.py: N people over the villages of
eight provinces, each with an enrollment), then, in one transaction: about 2,000 cooperatives with 30% of
the people as members; enrollments put in every state (4% waiting for a decision since up to 20 days, 2%
approved, 3% lapsed, the rest active); a card for 70% of the active ones (issued, printed or handed over);
and 12 months of bills up to the current month for every approved, active or lapsed enrollment (about 11
million rows), the older months paid, the recent ones partly. The tallies' triggers are switched off for
the load (the guard that refuses untallied bills with them) and the tallies counted afresh at the end
(`tallies_rebuild`, what the triggers and the writers of bills would have written), then compacted as
Celery beat does every 5 minutes. The seed is reused when the count is there.

Then, through Django's test Client with signed-in users (a Diskop province operator of NTB and a national
viewer; a Kota Mataram operator for comparison), it renders the dashboard --renders times each after two
warm-up renders and prints the median, p95 and maximum (target: p95 < 300 ms for the province and the
country), and the time of `dashboard_figures` alone. It checks that the page's figures equal a count of
the rows (people, enrollments waiting, active, cards handed over, billed this month).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 300.0
SOURCE_TABLES = ["members_member", "members_enrollment", "cards_card", "contributions_bill"]

COOPERATIVES_SQL = """
INSERT INTO cooperatives_cooperative (
    name, nik_koperasi, ahu_number, kind, address, province_id, regency_id, district_id, village_id,
    chairperson, phone, member_count, status, office_id, created_by_id, created_at, updated_at, version)
SELECT 'Koperasi Benchmark ' || r.code || ' ' || g, '', '', 'serba_usaha', 'Jl. Koperasi ' || g,
       r.province_id, r.code, NULL, NULL, 'Ketua ' || g, '', 0, 'active', o.id, %(creator)s, now(), now(), 1
  FROM regions_regency r
  JOIN accounts_office o ON o.kind = 'diskop_province' AND o.province_id = r.province_id
                        AND o.name LIKE 'Benchmark Diskop %%'
 CROSS JOIN generate_series(1, %(per_regency)s) AS g
 WHERE r.province_id = ANY (%(provinces)s) AND r.active
"""

# 30% of the people join one of their regency's cooperatives.
MEMBERSHIP_SQL = """
WITH numbered AS (
    SELECT c.id, c.regency_id, row_number() OVER (PARTITION BY c.regency_id ORDER BY c.id) - 1 AS n,
           count(*) OVER (PARTITION BY c.regency_id) AS total
      FROM cooperatives_cooperative c WHERE c.name LIKE 'Koperasi Benchmark %%'
)
UPDATE members_member m SET cooperative_id = numbered.id
  FROM numbered
 WHERE numbered.regency_id = m.regency_id AND m.id %% 10 < 3 AND numbered.n = m.id %% numbered.total
"""

STATES_SQL = """
UPDATE members_enrollment e
   SET status = CASE WHEN e.id %% 100 < 4 THEN 'submitted' WHEN e.id %% 100 < 6 THEN 'approved'
                     ELSE 'lapsed' END,
       submitted_at = now() - make_interval(secs => (abs(hashint8(e.id)) %% (20 * 86400))::double precision),
       coverage_start = CASE WHEN e.id %% 100 < 4 THEN NULL
                             WHEN e.id %% 100 < 6 THEN date_trunc('month', now())::date + 31
                             ELSE e.coverage_start END
 WHERE e.id %% 100 < 9
"""

CARDS_SQL = """
INSERT INTO cards_card (enrollment_id, status, issued_at, printed_at, handed_over_on, handed_to,
                        replace_reason, revoked_reason, version)
SELECT e.id, CASE WHEN e.id %% 10 < 2 THEN 'issued' WHEN e.id %% 10 < 4 THEN 'printed' ELSE 'handed_over' END,
       now(), CASE WHEN e.id %% 10 >= 2 THEN now() END, CASE WHEN e.id %% 10 >= 4 THEN current_date END,
       '', '', '', 1
  FROM members_enrollment e
 WHERE e.status = 'active' AND e.id %% 10 < 7
"""

# 12 months of one bill each (the participant's), up to the current month; older months paid, the last
# three in part.
BILLS_SQL = """
INSERT INTO contributions_bill (enrollment_id, month, payer, sponsor_programme_id, amount, relief, due_date,
                                paid, run_id, created_at)
SELECT e.id, m.month, 'self', NULL, amount, 0, (m.month + 14)::date,
       CASE WHEN m.month < %(recent)s OR abs(hashint8(e.id + m.n)) %% 10 < 6 THEN amount ELSE 0 END,
       NULL, now()
  FROM members_enrollment e
 CROSS JOIN LATERAL (SELECT CASE WHEN e.kind = 'pu' THEN 16800 ELSE 11800 END AS amount) a
 CROSS JOIN (SELECT n, (%(first)s::date + make_interval(months => n))::date AS month
               FROM generate_series(0, 11) AS n) m
 WHERE e.status IN ('approved', 'active', 'lapsed')
"""


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + "_bench_dashboard", parts.query, "")
    )


def setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_enroll.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per sign-in of the measured users
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll")
    os.environ["DATABASE_URL"] = bench_url(base)
    from umkm_enroll.devstack import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")


def triggers(cursor: Any, enabled: bool) -> None:
    # All of them, the bills' guard included: the load's bills are counted by tallies_rebuild afterwards.
    for table in SOURCE_TABLES:
        cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def seed(people: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks import monthly_run
    from contributions.models import Bill
    from umkm_enroll.dashboards.services import tallies_compact, tallies_rebuild

    if Bill.objects.exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        triggers(cursor, enabled=False)
    try:
        monthly_run.seed(people)
        this_month = timezone.localdate().replace(day=1)
        index = this_month.year * 12 + this_month.month - 1
        first = f"{(index - 11) // 12}-{(index - 11) % 12 + 1:02d}-01"
        recent = f"{(index - 2) // 12}-{(index - 2) % 12 + 1:02d}-01"
        step = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            creator = users()["country"].pk
            cursor.execute(
                COOPERATIVES_SQL, {"per_regency": 10, "provinces": monthly_run.PROVINCES, "creator": creator}
            )
            print(f"seed: {cursor.rowcount:,} cooperatives", flush=True)
            cursor.execute(MEMBERSHIP_SQL, {})
            print(f"seed: {cursor.rowcount:,} people made cooperative members", flush=True)
            cursor.execute(STATES_SQL, {})
            print(f"seed: {cursor.rowcount:,} enrollments waiting, approved or lapsed", flush=True)
            cursor.execute(CARDS_SQL, {})
            print(f"seed: {cursor.rowcount:,} cards ({time.perf_counter() - step:.1f} s)", flush=True)
            step = time.perf_counter()
            with monthly_run.bulk_load(cursor, ["contributions_bill"]):
                cursor.execute(BILLS_SQL, {"first": first, "recent": recent})
                print(f"seed: {cursor.rowcount:,} bills in {time.perf_counter() - step:.1f} s", flush=True)
                step = time.perf_counter()
            print(f"seed: bill indexes and keys restored in {time.perf_counter() - step:.1f} s", flush=True)
    finally:
        with connection.cursor() as cursor:
            triggers(cursor, enabled=True)
    step = time.perf_counter()
    tallies_rebuild()
    tallies_compact()
    with connection.cursor() as cursor:
        for table in ("contributions_bill", "cards_card", "members_member", "dashboards_tally"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("VACUUM ANALYZE dashboards_monthtally")
    print(f"seed: tallies counted and compacted in {time.perf_counter() - step:.1f} s", flush=True)
    print(f"seed: {time.perf_counter() - started:.1f} s in all", flush=True)


def users() -> dict[str, Any]:
    from umkm_enroll.accounts.models import Office, Role, User

    ministry, _ = Office.objects.get_or_create(
        name="Benchmark Kementerian", defaults={"kind": Office.Kind.MINISTRY}
    )
    province, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Nusa Tenggara Barat",
        defaults={"kind": Office.Kind.DISKOP_PROVINCE, "province_id": "52"},
    )
    regency, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Kota Mataram",
        defaults={"kind": Office.Kind.DISKOP_REGENCY, "province_id": "52", "regency_id": "52.71"},
    )
    result = {}
    for label, username, office, role in (
        ("province (NTB)", "bench.dasbor.ntb", province, Role.OPERATOR),
        ("country", "bench.dasbor.nasional", ministry, Role.NATIONAL_VIEWER),
        ("regency (Kota Mataram)", "bench.dasbor.mataram", regency, Role.OPERATOR),
    ):
        user, _ = User.objects.get_or_create(username=username, defaults={"office": office, "roles": [role]})
        result[label] = user
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(renders: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from umkm_enroll.accounts.scoping import scope_of
    from umkm_enroll.dashboards.selectors import dashboard_figures, default_area

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM members_member), (SELECT count(*) FROM members_enrollment),"
            " (SELECT count(*) FROM cards_card), (SELECT count(*) FROM contributions_bill),"
            " (SELECT count(*) FROM dashboards_tally), (SELECT count(*) FROM dashboards_monthtally)"
        )
        people, enrollments, cards, bills, tallies, month_tallies = cursor.fetchone()
    print(
        f"data: {people:,} people, {enrollments:,} enrollments, {cards:,} cards, {bills:,} bills;"
        f" tallies {tallies:,} + {month_tallies:,} monthly rows; {os.cpu_count()} cores, load average"
        f" {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    failures = 0
    print(f"\n{'dashboard':<26}{'renders':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'figures p50 ms':>16}")
    for label, user in users().items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        timings = []
        for number in range(renders + 2):
            started = time.perf_counter()
            response = client.get("/dasbor/")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            if number >= 2:
                timings.append(elapsed)
        scope = scope_of(user)
        province, regency = default_area(scope)
        selector = []
        for _ in range(max(renders // 2, 5)):
            started = time.perf_counter()
            figures = dashboard_figures(scope=scope, province=province, regency=regency)
            selector.append((time.perf_counter() - started) * 1000)
        p95 = percentile(timings, 0.95)
        print(
            f"{label:<26}{len(timings):>8}{statistics.median(timings):>9.1f}{p95:>9.1f}{max(timings):>9.1f}"
            f"{statistics.median(selector):>16.1f}"
        )
        if "regency" not in label and p95 >= TARGET_P95_MS:
            failures += 1
        failures += check(figures, province, regency, timezone.localdate())
    print(
        f"\ntarget: p95 < {TARGET_P95_MS:.0f} ms for the province and the country:"
        f" {'MISSED' if failures else 'met'}"
    )
    return 1 if failures else 0


def check(figures: Any, province: str | None, regency: str | None, today: Any) -> int:
    """The page's figures against a count of the rows (the tallies must equal them)."""
    from django.db import connection

    area = "TRUE"
    params: list[Any] = []
    if regency:
        area, params = "m.regency_id = %s", [regency]
    elif province:
        area, params = "m.province_id = %s", [province]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM members_member m WHERE {area} AND m.merged_into_id IS NULL),"
            f" (SELECT count(*) FILTER (WHERE e.status = 'submitted') FROM members_enrollment e"
            f"   JOIN members_member m ON m.id = e.member_id WHERE {area}),"
            f" (SELECT count(*) FILTER (WHERE e.status = 'active') FROM members_enrollment e"
            f"   JOIN members_member m ON m.id = e.member_id WHERE {area}),"
            f" (SELECT count(*) FROM cards_card c JOIN members_enrollment e ON e.id = c.enrollment_id"
            f"   JOIN members_member m ON m.id = e.member_id WHERE {area} AND c.status = 'handed_over'),"
            f" (SELECT COALESCE(sum(b.amount), 0) FROM contributions_bill b JOIN members_enrollment e"
            f"   ON e.id = b.enrollment_id JOIN members_member m ON m.id = e.member_id"
            f"   WHERE {area} AND b.month = %s)",
            [*params, *params, *params, *params, *params, today.replace(day=1)],
        )
        rows = cursor.fetchone()
    totals = figures.totals
    shown = (totals.people, totals.submitted, totals.active, totals.cards_handed_over, totals.billed)
    if tuple(rows) != shown:
        print(f"FAILED: {figures.area_name}: the page shows {shown}, the rows count {tuple(rows)}")
        return 1
    print(
        f"  {figures.area_name}: people, waiting, active, cards handed over, billed this month"
        f" = rows: {shown}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000, help="N people, each with an enrollment")
    parser.add_argument("--renders", type=int, default=40, help="timed renders per user")
    args = parser.parse_args()
    database = setup_django()
    print(f"database {database}")
    seed(args.people)
    return measure(max(args.renders, 5))


if __name__ == "__main__":
    sys.exit(main())
