"""Arrears and cover: BPU lapses after 3 consecutive unpaid months and is restored by paying within the
grace period; PU pays a late fee instead."""

from datetime import date, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from contributions.arrears import arrears_of, cover_review, late_fee_of
from contributions.billing import run_month
from contributions.models import Bill
from contributions.payments import payment_record
from members.models import Enrollment, EnrollmentStatus
from tests.factories import make_member
from umkm_enroll.audit.models import AuditEntry

# Months before today (2026-11): the grace period is counted from the real date of the lapse.
JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (7, 8, 9, 10))


def active(kind="bpu", **fields):
    member = make_member("52.71")
    return Enrollment.objects.create(
        member=member,
        kind=kind,
        payer="self",
        status="active",
        requested_start=JAN,
        coverage_start=JAN,
        **fields,
    )


def bill(*months):
    for month in months:
        run_month(month)


@pytest.mark.django_db
def test_three_consecutive_unpaid_months_lapse_bpu_cover_and_two_do_not():
    late = active()
    bill(JAN, FEB, MAR)
    assert cover_review(date(2026, 9, 14)).lapsed == 0  # September is not due before the 15th
    assert cover_review(date(2026, 9, 16)).lapsed == 1
    late.refresh_from_db()
    assert late.status == EnrollmentStatus.LAPSED
    assert AuditEntry.objects.filter(action="members.enrollment.lapsed", object_id=str(late.pk)).exists()


@pytest.mark.django_db
def test_a_paid_month_in_between_breaks_the_run():
    enrollment = active()
    bill(JAN, FEB, MAR)
    Bill.objects.filter(enrollment=enrollment, month=FEB).update(paid=F("amount"))
    assert cover_review(date(2026, 9, 20)).lapsed == 0
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


@pytest.mark.django_db
def test_paying_the_arrears_within_the_grace_period_restores_the_cover():
    enrollment = active()
    bill(JAN, FEB, MAR)
    cover_review()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.LAPSED
    owed = arrears_of(enrollment, timezone.localdate())
    assert owed == 3 * 5_900  # PP 50/2025 halves BPU contributions in these months

    def pay(reference, amount):
        payment_record(
            reference=reference,
            amount=amount,
            received_on=date(2026, 11, 20),
            actor=None,
            enrollment=enrollment,
        )
        enrollment.refresh_from_db()

    pay("TUNGGAKAN-1", owed - 1)
    assert enrollment.status == EnrollmentStatus.LAPSED  # Rp 1 still owed
    pay("TUNGGAKAN-2", 1)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert AuditEntry.objects.filter(
        action="members.enrollment.active", object_id=str(enrollment.pk)
    ).exists()


@pytest.mark.django_db
def test_pu_does_not_lapse_and_pays_two_percent_a_month_late():
    member = make_member("52.71")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="pu",
        risk_class="very_low",
        payer="employer",
        status="active",
        requested_start=JAN,
        coverage_start=JAN,
        scheme="flat-11800",
    )
    bill(JAN, FEB, MAR, APR)
    assert cover_review(date(2026, 12, 1)).lapsed == 0
    july = Bill.objects.get(enrollment=enrollment, month=JAN)
    assert july.due_date == date(2026, 8, 15)
    assert july.amount == 11_800  # PU: PP 50/2025 does not apply
    assert late_fee_of(july, date(2026, 8, 15)) == 0
    assert late_fee_of(july, date(2026, 10, 20)) == 708  # 3 months started: 6% of Rp 11.800


@pytest.mark.django_db
def test_after_the_grace_period_paying_does_not_restore_the_cover():
    enrollment = active()
    bill(JAN, FEB, MAR)
    cover_review()
    Enrollment.objects.filter(pk=enrollment.pk).update(status_changed_at=timezone.now() - timedelta(days=130))
    enrollment.refresh_from_db()
    owed = arrears_of(enrollment, timezone.localdate())
    payment_record(
        reference="TERLAMBAT", amount=owed, received_on=date(2026, 11, 21), actor=None, enrollment=enrollment
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.LAPSED
