"""Arrears and cover: the daily rules.

- BPU: cover lapses after BPU_LAPSE_AFTER_MONTHS (3) consecutive contribution months left unpaid past their
  due date; paying all the arrears within BPU_RESTORE_GRACE_MONTHS (3) of the lapse restores it (an
  internal BPJAMSOSTEK rule; after the grace period the enrollment stays lapsed).
- PU: no lapse here; a late fee of PU_LATE_FEE_BASIS_POINTS (2%) a month on the amount due is shown on the
  statement and the arrears list (contributions.tariffs.late_fee).

A month is unpaid when its bills (all payer shares together) are not fully paid. The candidates are found
set-based (window functions), then each transition goes through the enrollment services, audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.enrollments import EnrollmentError, enrollment_lapse, enrollment_reactivate
from members.models import Enrollment, EnrollmentStatus

from . import tariffs
from .models import Bill

LAPSE_CANDIDATES_SQL = """
WITH months AS (
    SELECT b.enrollment_id, b.month, sum(b.amount) - sum(b.paid) AS owed
      FROM contributions_bill b
      JOIN members_enrollment e ON e.id = b.enrollment_id
     WHERE e.status = 'active' AND e.kind = 'bpu' AND b.due_date < %(today)s
     GROUP BY b.enrollment_id, b.month
), latest AS (
    SELECT enrollment_id, month, owed,
           row_number() OVER (PARTITION BY enrollment_id ORDER BY month DESC) AS position
      FROM months
)
SELECT enrollment_id
  FROM latest
 WHERE position <= %(months)s
 GROUP BY enrollment_id
HAVING count(*) = %(months)s
   AND bool_and(owed > 0)
   AND max(month) = (min(month) + make_interval(months => %(months)s - 1))::date
"""


@dataclass(frozen=True)
class CoverReview:
    lapsed: int
    restored: int


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = 28 if day.day > 28 else day.day
    return date(year, month + 1, last_day)


def arrears_of(enrollment: Enrollment, today: date) -> int:
    """What the enrollment owes on bills already due."""
    owed = Bill.objects.filter(enrollment=enrollment, due_date__lt=today).aggregate(
        amount=Sum("amount"), paid=Sum("paid")
    )
    return (owed["amount"] or 0) - (owed["paid"] or 0)


def restore_if_paid(enrollment: Enrollment, today: date | None = None) -> bool:
    """A lapsed BPU enrollment whose arrears are paid within the grace period is active again."""
    today = today or timezone.localdate()
    if enrollment.status != EnrollmentStatus.LAPSED or enrollment.status_changed_at is None:
        return False
    lapsed_on = timezone.localtime(enrollment.status_changed_at).date()
    if lapsed_on < months_before(today, settings.BPU_RESTORE_GRACE_MONTHS):
        return False
    if arrears_of(enrollment, today) > 0:
        return False
    try:
        enrollment_reactivate(enrollment=enrollment, reason=_("Arrears paid within the grace period."))
    except EnrollmentError:
        return False
    return True


def cover_review(today: date | None = None) -> CoverReview:
    """The daily job: lapse BPU cover after the unpaid months, restore it when the arrears are paid."""
    today = today or timezone.localdate()
    months = settings.BPU_LAPSE_AFTER_MONTHS
    with connection.cursor() as cursor:
        cursor.execute(LAPSE_CANDIDATES_SQL, {"today": today, "months": months})
        candidates = [row[0] for row in cursor.fetchall()]
    lapsed = 0
    reason = _("%(months)s consecutive months unpaid.") % {"months": months}
    for enrollment in Enrollment.objects.filter(pk__in=candidates, status=EnrollmentStatus.ACTIVE):
        try:
            enrollment_lapse(enrollment=enrollment, reason=reason)
            lapsed += 1
        except EnrollmentError:
            continue  # changed since the query (paid, ended): nothing to do
    grace_start = months_before(today, settings.BPU_RESTORE_GRACE_MONTHS) - timedelta(days=1)
    restored = 0
    for enrollment in Enrollment.objects.filter(
        status=EnrollmentStatus.LAPSED, kind="bpu", status_changed_at__date__gte=grace_start
    ):
        restored += restore_if_paid(enrollment, today)
    return CoverReview(lapsed=lapsed, restored=restored)


def late_fee_of(bill: Bill, today: date) -> int:
    """The PU late fee a bill carries today (0 for BPU and for bills not yet due or paid)."""
    return tariffs.late_fee(
        bill.amount - bill.paid,
        due=bill.due_date,
        paid_on=today,
        kind=bill.enrollment.kind,
        rate_per_month=settings.PU_LATE_FEE_BASIS_POINTS,
    )
