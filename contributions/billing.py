"""The monthly run: one bill per active enrollment, contribution month and payer share, in one set-based
INSERT ... SELECT (a Python loop over a million enrollments would take minutes).

A first bill is never due before its cover has run 14 days: the due date is the later of the rule's
(BPU: the 15th of the month; PU: the 15th of the next) and the coverage start plus 14 days.

The SQL computes the same arithmetic as contributions/tariffs.py, on exact integers (ten-thousandths of a
rupiah): the scheme's flat
amount, or rates times the base (income bracket, wage or UMP) rounded up to the scheme's unit; the first
relief that applies (percent of the total, rounded half up); then the split between a sponsor programme
that covers the month (its share, rounded half up) and the participant (the rest). Bills of zero are not
made. `tests/contributions/test_billing.py` checks every SQL bill against the Python arithmetic.

Running a month twice, or twice at once, creates nothing twice: the unique constraint (enrollment, month,
payer) with ON CONFLICT DO NOTHING, under a transaction-level advisory lock per month.

The run adds the bills it creates to the dashboard tallies in the same statement (`RUN_SQL`; the SQL is
built by umkm_enroll/dashboards/tally_sql.py, the one module of the dashboards app a domain app imports:
text, no models). An AFTER INSERT trigger did it before, with a transition table of every new bill and a
second join of them with their enrollments and members; the run's SELECT already has each member's region,
so on a month's first run (every bill selected is created) the tally is one hash aggregate of those rows.
The database refuses bills from a transaction that has not declared that it tallies them (`tallied_bills`);
other writers of bills go through `bills_insert`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from umkm_enroll.dashboards import tally_sql

from . import tariffs
from .models import Bill, BillingRun

DEFAULT_SCHEME = tariffs.DEFAULT_FLAT.code
LOCK_NAMESPACE = 0x0B111  # pg_advisory_xact_lock(namespace, yyyymm)

# The rows one month would bill (enrollment, payer, programme, amount, relief, due date). Parameters:
# month, next_month, year, default scheme.
BILLS_SQL = """
WITH brackets AS MATERIALIZED (
    SELECT array_agg(b.amount ORDER BY b.amount) AS amounts
      FROM contributions_incomebracket b
     WHERE b.valid_from <= %(month)s AND (b.valid_to IS NULL OR b.valid_to >= %(month)s)
),
reliefs AS MATERIALIZED (
    -- The first relief that applies, per participant kind and payer (a handful of rows).
    SELECT DISTINCT ON (k.kind, py.payer) k.kind, py.payer, r.percent
      FROM contributions_relief r
     CROSS JOIN unnest(%(kinds)s::text[]) AS k (kind)
     CROSS JOIN unnest(%(payers)s::text[]) AS py (payer)
     WHERE r.first_month <= %(month)s AND r.last_month >= %(month)s
       AND k.kind = ANY (r.kinds) AND NOT (py.payer = ANY (r.excluded_payers))
     ORDER BY k.kind, py.payer, r.first_month, r.id
),
schemes AS (
    -- The schemes valid in the month, by the code an enrollment names ('' for the default).
    SELECT s.code AS scheme, s.* FROM contributions_tariffscheme s
     WHERE s.valid_from <= %(month)s AND (s.valid_to IS NULL OR s.valid_to >= %(month)s)
    UNION ALL
    SELECT '' AS scheme, s.* FROM contributions_tariffscheme s
     WHERE s.code = %(default_scheme)s
       AND s.valid_from <= %(month)s AND (s.valid_to IS NULL OR s.valid_to >= %(month)s)
),
priced AS (
    SELECT e.id AS enrollment_id, e.kind, e.payer, e.sponsor_programme_id, e.coverage_start,
           m.province_id, m.regency_id, m.cooperative_id, p.sponsor_percent,
           COALESCE(rl.percent, 0) AS relief_percent,
           -- In ten-thousandths of a rupiah (rates are basis points), rounded up to the scheme's unit.
           CASE WHEN s.method = 'flat' THEN s.flat_amount::bigint
                ELSE (base.amount * COALESCE((s.jkk_rates ->> e.risk_class)::int, (s.jkk_rates ->> '')::int)
                      + COALESCE(s.jkm_flat::bigint * 10000, base.amount * s.jkm_rate)
                      + 10000 * s.rounding_unit - 1) / (10000 * s.rounding_unit) * s.rounding_unit
           END AS total
      FROM members_enrollment e
      JOIN members_member m ON m.id = e.member_id
      JOIN schemes s ON s.scheme = e.scheme
      LEFT JOIN regions_minimumwage w ON w.province_id = m.province_id AND w.year = %(year)s
      LEFT JOIN contributions_sponsorprogramme p
        ON p.id = e.sponsor_programme_id AND e.payer = 'sponsor'
       AND p.first_month <= %(month)s AND p.last_month >= %(month)s
      LEFT JOIN reliefs rl ON rl.kind = e.kind AND rl.payer = e.payer
     CROSS JOIN brackets
     CROSS JOIN LATERAL (
            SELECT CASE s.base
                WHEN 'income_bracket' THEN brackets.amounts[
                    greatest(width_bucket(m.monthly_income, brackets.amounts), 1)]::bigint
                WHEN 'wage' THEN m.monthly_wage
                WHEN 'minimum_wage' THEN round(w.amount)::bigint
            END AS amount) base
     WHERE e.status IN ('approved', 'active') AND e.coverage_start < %(next_month)s
    OFFSET 0  -- a fence: each total is computed once
),
shares AS (
    SELECT priced.*, c.cut,
           COALESCE(((total - c.cut) * sponsor_percent + 50) / 100, 0) AS sponsor_amount,
           COALESCE((c.cut * sponsor_percent + 50) / 100, 0) AS sponsor_relief
      FROM priced
     CROSS JOIN LATERAL (SELECT (total * relief_percent + 50) / 100 AS cut) c
     WHERE total IS NOT NULL
    OFFSET 0
)
SELECT shares.enrollment_id, b.payer, b.sponsor_programme_id, b.amount, b.relief, shares.kind,
       shares.coverage_start, shares.province_id, shares.regency_id, shares.cooperative_id
  FROM shares
 CROSS JOIN LATERAL (VALUES
        ('sponsor', shares.sponsor_programme_id, sponsor_amount, sponsor_relief),
        (CASE WHEN shares.payer = 'sponsor' THEN 'self' ELSE shares.payer END, NULL::bigint,
         total - cut - sponsor_amount, cut - sponsor_relief)
       ) AS b (payer, sponsor_programme_id, amount, relief)
 WHERE b.amount > 0
"""

# The run, one statement: the month's bills selected once (with their member's region and cooperative),
# inserted in key order (ON CONFLICT DO NOTHING skips those of an earlier run), and added to the dashboard
# tallies (tally_sql.run_tally: all the selected rows when every one was created, else the created rows the
# INSERT returns). Answers the number of bills created.
RUN_SQL = f"""
WITH selected AS MATERIALIZED (
    SELECT bills.enrollment_id, %(month)s::date AS month, bills.payer, bills.sponsor_programme_id,
           bills.amount, bills.relief,
           GREATEST(CASE WHEN bills.kind = 'bpu' THEN %(bpu_due)s ELSE %(pu_due)s END,
                    bills.coverage_start + 14) AS due_date,
           0::bigint AS paid, bills.province_id, bills.regency_id, bills.cooperative_id
      FROM ({BILLS_SQL}) AS bills
),
created AS (
    INSERT INTO contributions_bill (enrollment_id, month, payer, sponsor_programme_id, amount, relief,
                                    due_date, paid, run_id, created_at)
    SELECT enrollment_id, month, payer, sponsor_programme_id, amount, relief, due_date, paid, %(run)s, %(now)s
      FROM selected
     ORDER BY enrollment_id  -- index inserts in key order
    ON CONFLICT (enrollment_id, month, payer) DO NOTHING
    RETURNING enrollment_id, month, due_date, amount, paid
),
counted AS (SELECT (SELECT count(*) FROM created) = (SELECT count(*) FROM selected) AS everything),
tallied AS ({tally_sql.run_tally("selected", "created", "(SELECT everything FROM counted)")})
SELECT count(*) FROM created
"""  # noqa: S608 (constant SQL; the values are bound by the driver)


def month_params(month: date) -> dict[str, Any]:
    month = tariffs.month_start(month)
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {
        "month": month,
        "next_month": next_month,
        "year": month.year,
        "default_scheme": DEFAULT_SCHEME,
        "kinds": [tariffs.BPU, tariffs.PU],
        "payers": ["self", "employer", "sponsor", "bank", "cooperative"],
        "bpu_due": tariffs.due_date(month, tariffs.BPU),
        "pu_due": tariffs.due_date(month, tariffs.PU),
    }


@contextmanager
def tallied_bills() -> Iterator[Any]:
    """A transaction (or the caller's) in which bills may be inserted, because the caller adds them to the
    dashboard tallies in it (tally_sql.bills_tally): it declares so to the database's guard until the block
    ends. Yields a cursor."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), set_config(%s, 'on', true)",
            [tally_sql.BILLS_TALLIED, tally_sql.BILLS_TALLIED],
        )
        before = cursor.fetchone()[0]
        yield cursor
        # Not declared for what the transaction does next (an error rolls the setting back with the rest).
        cursor.execute("SELECT set_config(%s, %s, true)", [tally_sql.BILLS_TALLIED, before or "off"])


def bills_insert(bills: Iterable[Bill]) -> list[Bill]:
    """Store bills made outside the monthly run (a correction, a test's data) and add them to the dashboard
    tallies in the same transaction, as the run does."""
    with tallied_bills() as cursor:
        created = Bill.objects.bulk_create(bills)
        if created:
            cursor.execute(BILLS_TALLY_SQL, [[bill.pk for bill in created]])
    return created


BILLS_TALLY_SQL = tally_sql.bills_tally("contributions_bill b", "b.id = ANY (%s)")


def run_month(month: date, *, actor: Any = None) -> BillingRun:
    """Bill a contribution month (idempotent) and tally its bills for the dashboard."""
    params = month_params(month)
    with transaction.atomic():
        run = BillingRun.objects.create(month=params["month"], started_by=actor)
        with tallied_bills() as cursor:
            # A batch statement: no JIT (its compile time costs more than it saves when statistics are
            # missing), and memory for the hash joins and the sort so nothing spills to disk.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [LOCK_NAMESPACE, params["month"].year * 100 + params["month"].month],
            )
            cursor.execute(RUN_SQL, {**params, "run": run.pk, "now": timezone.now()})
            run.bills_created = cursor.fetchone()[0]
        run.finished_at = timezone.now()
        run.save(update_fields=["bills_created", "finished_at"])
    return run


def bills_for(month: date) -> list[tuple[int, str, int | None, int, int]]:
    """What the run would bill (enrollment, payer, programme, amount, relief), without writing."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT enrollment_id, payer, sponsor_programme_id, amount, relief FROM ({BILLS_SQL}) b",  # noqa: S608
            month_params(month),
        )
        return [tuple(row) for row in cursor.fetchall()]
