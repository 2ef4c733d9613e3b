"""A small country for the dashboard tests: people of three regencies of two provinces in every state,
with cards, bills and payments, and targets; and the figures counted independently from those rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from cards.models import Card
from cards.services import card_hand_over, card_issue, card_mark_printed
from contributions.billing import run_month
from contributions.models import Bill
from contributions.payments import payment_record
from members.models import Enrollment, Member
from tests.factories import CooperativeFactory, make_member
from umkm_enroll.dashboards.models import CoverageTarget

MATARAM, LOMBOK_BARAT, MANADO = "52.71", "52.01", "71.71"
HEIR: dict[str, Any] = {"heir_name": "Ahli Waris", "heir_relation": "spouse"}


def _enrolled(member: Member, status: str, days_waiting: int = 0) -> Enrollment:
    now = timezone.now()
    fields: dict = {"member": member, "kind": "bpu", "requested_start": date(2026, 1, 1), "status": status}
    if status != "draft":
        fields["submitted_at"] = now - timedelta(days=days_waiting)
    if status in ("approved", "active", "lapsed"):
        fields["coverage_start"] = date(2026, 1, 1)
    return Enrollment.objects.create(**fields)


def build_country() -> None:
    today = timezone.localdate()
    cooperative = CooperativeFactory.create(regency_id=MATARAM, name="Koperasi Nelayan Ampenan")
    plan = [
        # regency, status, days waiting, cooperative, aid
        (MATARAM, "active", 30, cooperative, True),
        (MATARAM, "active", 25, None, False),
        (MATARAM, "submitted", 4, cooperative, False),
        (MATARAM, "submitted", 2, None, True),
        (MATARAM, "approved", 1, None, False),
        (MATARAM, "draft", 0, None, False),
        (LOMBOK_BARAT, "lapsed", 60, None, False),
        (LOMBOK_BARAT, "submitted", 6, None, False),
        (MANADO, "active", 40, None, False),
        (MANADO, "submitted", 10, None, True),
        (MANADO, "rejected", 3, None, False),
    ]
    for number, (regency, status, days, coop, aid) in enumerate(plan):
        kpj = f"9{number:010d}" if status in ("approved", "active", "lapsed") else None
        member = make_member(
            regency, full_name=f"Peserta {number:02d}", cooperative=coop, aid_bpum=aid, kpj_number=kpj, **HEIR
        )
        _enrolled(member, status, days)
    make_member(MANADO, full_name="Belum Mendaftar", **HEIR)  # registered, no enrollment

    # Cards: every active enrollment gets one; Mataram's first is handed over, Manado's printed.
    for enrollment in Enrollment.objects.filter(status="active").order_by("pk"):
        card = card_issue(enrollment=enrollment, actor=None)
        if enrollment.member.regency_id != MATARAM or enrollment.member.cooperative_id:
            card = card_mark_printed(card=card, actor=None)
        if enrollment.member.cooperative_id:
            card_hand_over(card=card, actor=None, handed_to="Peserta", on=today)

    # Bills of the last two months (the older one due), one person paying one and a half.
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    run_month(last_month)
    run_month(this_month)
    payer = Enrollment.objects.filter(status="active", member__regency_id=MATARAM).order_by("pk").first()
    assert payer is not None
    payment_record(reference="TRX-DASBOR-1", amount=17_700, received_on=today, actor=None, enrollment=payer)

    CoverageTarget.objects.create(province_id="52", year=today.year, count=100, source="Diskop NTB")
    CoverageTarget.objects.create(
        province_id="52", regency_id=MATARAM, year=today.year - 1, count=40, source="Diskop Kota Mataram"
    )
    CoverageTarget.objects.create(
        province_id="71", regency_id=MANADO, year=today.year, count=10, source="Sulut"
    )
    CoverageTarget.objects.create(
        province_id="71", regency_id=MANADO, year=today.year, kind="aid", count=4, source="BPUM Sulut"
    )


@dataclass(frozen=True)
class Expected:
    people: int
    pending: int
    approved: int
    active: int
    lapsed: int
    cards_printed: int
    cards_handed: int
    billed: int
    paid: int
    arrears: int
    mean_wait_days: float | None


def expected_for(regencies: list[str] | None) -> Expected:
    """The figures of the people of `regencies` (None: everyone), counted from the rows with the ORM."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    area = Q() if regencies is None else Q(regency__in=regencies)
    people = Member.objects.filter(area, merged_into__isnull=True)
    enrollments = Enrollment.objects.filter(member__in=people)
    pending = enrollments.filter(status="submitted")
    waits = [(timezone.now() - e.submitted_at).total_seconds() / 86400 for e in pending if e.submitted_at]
    cards = Card.objects.filter(enrollment__in=enrollments)
    bills = Bill.objects.filter(enrollment__in=enrollments)
    month = bills.filter(month=this_month).aggregate(billed=Sum("amount"), paid=Sum("paid"))
    due = bills.filter(due_date__lt=today).aggregate(billed=Sum("amount"), paid=Sum("paid"))
    return Expected(
        people=people.count(),
        pending=pending.count(),
        approved=enrollments.filter(status="approved").count(),
        active=enrollments.filter(status="active").count(),
        lapsed=enrollments.filter(status="lapsed").count(),
        cards_printed=cards.filter(status__in=["printed", "handed_over"]).count(),
        cards_handed=cards.filter(status="handed_over").count(),
        billed=month["billed"] or 0,
        paid=month["paid"] or 0,
        arrears=(due["billed"] or 0) - (due["paid"] or 0),
        mean_wait_days=sum(waits) / len(waits) if waits else None,
    )
