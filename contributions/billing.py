"""The monthly run: one bill per active enrollment, contribution month and payer share, in one set-based
INSERT ... SELECT (a Python loop over a million enrollments would take minutes).

A first bill is never due before its cover has run 14 days: the due date is the later of the rule's
(BPU: the 15th of the month; PU: the 15th of the next) and the coverage start plus 14 days.

The SQL computes the same arithmetic as contributions/tariffs.py, on exact numerics: the scheme's flat
amount, or rates times the base (income bracket, wage or UMP) rounded up to the scheme's unit; the first
relief that applies (percent of the total, rounded half up); then the split between a sponsor programme
that covers the month (its share, rounded half up) and the participant (the rest). Bills of zero are not
made. `tests/contributions/test_billing.py` checks every SQL bill against the Python arithmetic.

Running a month twice, or twice at once, creates nothing twice: the unique constraint (enrollment, month,
payer) with ON CONFLICT DO NOTHING, under a transaction-level advisory lock per month.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import tariffs
from .models import BillingRun

DEFAULT_SCHEME = tariffs.DEFAULT_FLAT.code
LOCK_NAMESPACE = 0x0B111  # pg_advisory_xact_lock(namespace, yyyymm)

# The rows one month would bill (enrollment, payer, programme, amount, relief, due date). Parameters:
# month, next_month, year, default scheme.
BILLS_SQL = """
WITH base AS (
    SELECT
        e.id AS enrollment_id,
        e.kind,
        e.payer,
        e.sponsor_programme_id,
        e.coverage_start,
        s.method,
        s.flat_amount,
        s.rounding_unit,
        s.jkm_flat,
        s.jkm_rate,
        COALESCE((s.jkk_rates ->> e.risk_class)::int, (s.jkk_rates ->> '')::int) AS jkk_rate,
        CASE s.base
            WHEN 'income_bracket' THEN COALESCE(
                (SELECT max(b.amount) FROM contributions_incomebracket b
                  WHERE b.amount <= m.monthly_income AND b.valid_from <= %(month)s
                    AND (b.valid_to IS NULL OR b.valid_to >= %(month)s)),
                (SELECT min(b.amount) FROM contributions_incomebracket b
                  WHERE b.valid_from <= %(month)s AND (b.valid_to IS NULL OR b.valid_to >= %(month)s)))
            WHEN 'wage' THEN m.monthly_wage
            WHEN 'minimum_wage' THEN round(w.amount)::bigint
        END AS base_amount,
        p.first_month AS programme_first,
        p.last_month AS programme_last,
        p.sponsor_percent
    FROM members_enrollment e
    JOIN members_member m ON m.id = e.member_id
    JOIN contributions_tariffscheme s
      ON s.code = COALESCE(NULLIF(e.scheme, ''), %(default_scheme)s)
     AND s.valid_from <= %(month)s AND (s.valid_to IS NULL OR s.valid_to >= %(month)s)
    LEFT JOIN regions_minimumwage w ON w.province_id = m.province_id AND w.year = %(year)s
    LEFT JOIN contributions_sponsorprogramme p ON p.id = e.sponsor_programme_id
    WHERE e.status IN ('approved', 'active') AND e.coverage_start < %(next_month)s
),
gross AS (
    SELECT base.*,
        CASE WHEN method = 'flat' THEN flat_amount::numeric
             ELSE ceil((base_amount * jkk_rate / 10000.0
                        + COALESCE(jkm_flat::numeric, base_amount * jkm_rate / 10000.0)) / rounding_unit)
                  * rounding_unit
        END AS total
    FROM base
),
net AS (
    SELECT gross.*,
        COALESCE((SELECT floor(gross.total * r.percent / 100.0 + 0.5)
                    FROM contributions_relief r
                   WHERE r.first_month <= %(month)s AND r.last_month >= %(month)s
                     AND gross.kind = ANY (r.kinds) AND NOT (gross.payer = ANY (r.excluded_payers))
                   ORDER BY r.first_month, r.id LIMIT 1), 0) AS cut
    FROM gross
    WHERE total IS NOT NULL
),
shares AS (
    SELECT net.*,
        CASE WHEN payer = 'sponsor' AND sponsor_programme_id IS NOT NULL
                  AND programme_first <= %(month)s AND programme_last >= %(month)s
             THEN floor((total - cut) * sponsor_percent / 100.0 + 0.5) ELSE 0 END AS sponsor_amount,
        CASE WHEN payer = 'sponsor' AND sponsor_programme_id IS NOT NULL
                  AND programme_first <= %(month)s AND programme_last >= %(month)s
             THEN floor(cut * sponsor_percent / 100.0 + 0.5) ELSE 0 END AS sponsor_relief
    FROM net
)
SELECT enrollment_id, 'sponsor' AS payer, sponsor_programme_id, sponsor_amount::bigint AS amount,
       sponsor_relief::bigint AS relief, kind, coverage_start
  FROM shares WHERE sponsor_amount > 0
UNION ALL
SELECT enrollment_id, CASE WHEN payer = 'sponsor' THEN 'self' ELSE payer END, NULL,
       (total - cut - sponsor_amount)::bigint, (cut - sponsor_relief)::bigint, kind, coverage_start
  FROM shares WHERE total - cut - sponsor_amount > 0
"""

INSERT_SQL = f"""
INSERT INTO contributions_bill
    (enrollment_id, month, payer, sponsor_programme_id, amount, relief, due_date, paid, run_id, created_at)
SELECT bills.enrollment_id, %(month)s, bills.payer, bills.sponsor_programme_id, bills.amount, bills.relief,
       GREATEST(CASE WHEN bills.kind = 'bpu' THEN %(bpu_due)s ELSE %(pu_due)s END,
                bills.coverage_start + 14), 0, %(run)s, %(now)s
  FROM ({BILLS_SQL}) AS bills
ON CONFLICT (enrollment_id, month, payer) DO NOTHING
"""  # noqa: S608 (constant SQL; the values are bound by the driver)


def month_params(month: date) -> dict[str, Any]:
    month = tariffs.month_start(month)
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {
        "month": month,
        "next_month": next_month,
        "year": month.year,
        "default_scheme": DEFAULT_SCHEME,
        "bpu_due": tariffs.due_date(month, tariffs.BPU),
        "pu_due": tariffs.due_date(month, tariffs.PU),
    }


def run_month(month: date, *, actor: Any = None) -> BillingRun:
    """Bill a contribution month (idempotent)."""
    params = month_params(month)
    with transaction.atomic():
        run = BillingRun.objects.create(month=params["month"], started_by=actor)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [LOCK_NAMESPACE, params["month"].year * 100 + params["month"].month],
            )
            cursor.execute(INSERT_SQL, {**params, "run": run.pk, "now": timezone.now()})
            run.bills_created = max(cursor.rowcount, 0)
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
