"""Payments: recorded once per reference, allocated to the oldest open bills, reversed by entries, never
edited.

- Idempotent: a payment is identified by its reference (the bank's or treasury's transaction id). The
  same line posted again, or twenty times at once, returns the one stored payment; the unique index
  decides the race. The same reference with a different amount or payer is refused.
- Allocation: the target's open bills (the enrollment's own bills for a participant, employer, bank or
  cooperative payment; the programme's bills for a sponsor payment), oldest month first, locked FOR
  UPDATE. What is left stays on the payment as credit, up to 12 months of contributions ahead, and is
  allocated to the next bills by `credits_apply` (the monthly run calls it).
- Reversal: a negative payment that mirrors every allocation of the original with a negative one. The
  payment and allocation tables refuse UPDATE and DELETE (migration 0004).

Invariants (tests/contributions/test_payments.py, with hypothesis): for every bill 0 <= paid <= amount
and paid equals the sum of its allocations; for every payment the allocations never exceed its amount;
money in (payments and reversals) equals money allocated plus credit held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from members.models import Enrollment
from umkm_enroll.audit.services import audit_record

from .models import Allocation, Bill, Payment, SponsorProgramme

ADVANCE_MONTHS = 12
PARTICIPANT_PAYERS = {"self", "employer", "bank", "cooperative"}


def _no_bills_for(enrollment: Enrollment, payer: str) -> str:
    labels = dict(Enrollment._meta.get_field("payer").flatchoices)
    payers = participant_payers(enrollment)
    if not payers:
        return _(
            "A sponsor programme pays all of this participant's contribution: record its payment on the "
            "programme's page."
        )
    return _("%(payer)s has no bills for this participant: the bills are paid by %(payers)s.") % {
        "payer": labels.get(payer, payer),
        "payers": ", ".join(str(labels.get(value, value)) for value in payers),
    }


def participant_payers(enrollment: Enrollment) -> list[str]:
    """Who may pay an enrollment's own bills: the payer its bills are made out to (the participant for the
    share a sponsor programme leaves; nobody when the programme pays it all), and any payer of a bill it
    already has (a payer changed since). Another payer's money would pay no bill and sit as credit."""
    payers = set(
        Bill.objects.filter(enrollment=enrollment)
        .exclude(payer="sponsor")
        .values_list("payer", flat=True)
        .distinct()
    )
    if enrollment.payer != "sponsor":
        payers.add(enrollment.payer)
    else:
        programme = enrollment.sponsor_programme
        if programme is None or programme.sponsor_percent < 100:  # the programme pays a share only
            payers.add("self")
    return sorted(payers & PARTICIPANT_PAYERS)


class PaymentError(Exception):
    """A payment refused, with a message for the user."""


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    created: bool
    allocated: int
    credit: int


def _target_bills(*, enrollment: Enrollment | None, programme: SponsorProgramme | None, payer: str):
    if programme is not None:
        return Bill.objects.filter(sponsor_programme=programme, payer="sponsor")
    return Bill.objects.filter(enrollment=enrollment, payer=payer)


def _clean_reference(reference: str) -> str:
    cleaned = " ".join(reference.split()).upper()
    if not cleaned:
        raise PaymentError(_("Enter the payment's reference (the transaction number on the receipt)."))
    if len(cleaned) > 100:
        raise PaymentError(_("A reference has at most 100 characters."))
    return cleaned


def _same_payment(
    existing: Payment, *, amount: int, payer: str, enrollment_id: int | None, programme_id: int | None
):
    return (
        existing.amount == amount
        and existing.payer == payer
        and existing.enrollment_id == enrollment_id
        and existing.sponsor_programme_id == programme_id
    )


def _credit_of(payment_id: int) -> int:
    payment = Payment.objects.get(pk=payment_id)
    allocated = payment.allocations.aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    return payment.amount - allocated


def _allocate(payment: Payment, bills: Any, available: int) -> int:
    """Allocate up to `available` of the payment to the open bills, oldest first; returns the amount."""
    allocated = 0
    for bill in bills.open().select_for_update().order_by("month", "id"):
        if available - allocated <= 0:
            break
        part = min(bill.amount - bill.paid, available - allocated)
        Allocation.objects.create(payment=payment, bill=bill, amount=part)
        Bill.objects.filter(pk=bill.pk).update(paid=F("paid") + part)
        allocated += part
    return allocated


def _region_of(enrollment: Enrollment | None, programme: SponsorProgramme | None) -> str:
    if enrollment is not None:
        return enrollment.member.regency_id
    return programme.audit_region_code if programme is not None else ""


def _monthly_amount(bills: Any, enrollment: Enrollment | None, day: date) -> int | None:
    """One month's amount, to bound an advance payment: the bills of the latest billed month (for a
    programme, all its participants of that month), or before any bill the tariff of the enrollment;
    None (no bound) for a programme without bills (its budget decides)."""
    latest_month = bills.order_by("-month").values_list("month", flat=True).first()
    if latest_month is not None:
        return bills.filter(month=latest_month).aggregate(total=Sum("amount"))["total"] or None
    if enrollment is None:
        return None
    from .selectors import monthly_contribution

    return monthly_contribution(enrollment, day).total


def payment_record(
    *,
    reference: str,
    amount: int,
    received_on: date,
    actor: Any,
    enrollment: Enrollment | None = None,
    programme: SponsorProgramme | None = None,
    payer: str = "self",
    source: str = Payment.Source.MANUAL,
    note: str = "",
) -> Recorded:
    """Record a payment (idempotent by reference) and allocate it to the oldest open bills."""
    reference = _clean_reference(reference)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(_("The amount is a whole number of rupiah above zero."))
    if (enrollment is None) == (programme is None):
        raise PaymentError(_("A payment is for one participant's enrollment or for one sponsor programme."))
    if programme is not None:
        payer = "sponsor"
    elif payer not in PARTICIPANT_PAYERS:
        raise PaymentError(_("Unknown payer."))
    if (
        actor is not None
        and enrollment is not None
        and not Enrollment.objects.visible_to(actor).filter(pk=enrollment.pk).exists()
    ):
        raise PaymentError(_("This enrollment is outside your office's area."))
    if (
        actor is not None
        and programme is not None
        and not SponsorProgramme.objects.visible_to(actor).filter(pk=programme.pk).exists()
    ):
        raise PaymentError(_("This sponsor programme is outside your office's area."))
    _refuse_long_before_cover(received_on, enrollment, programme)
    enrollment_id = enrollment.pk if enrollment else None
    programme_id = programme.pk if programme else None

    def existing() -> Recorded:
        payment = Payment.objects.get(reference=reference)
        if not _same_payment(
            payment, amount=amount, payer=payer, enrollment_id=enrollment_id, programme_id=programme_id
        ):
            raise PaymentError(
                _("The reference %(reference)s was already used for a different payment: check the receipt.")
                % {"reference": reference}
            )
        credit = _credit_of(payment.pk)
        return Recorded(payment=payment, created=False, allocated=payment.amount - credit, credit=credit)

    if Payment.objects.filter(reference=reference).exists():
        return existing()  # sent again: the payment recorded (before any later rule on payers)
    if enrollment is not None and payer not in participant_payers(enrollment):
        raise PaymentError(_no_bills_for(enrollment, payer))
    try:
        with transaction.atomic():
            bills = _target_bills(enrollment=enrollment, programme=programme, payer=payer)
            payment = Payment.objects.create(
                reference=reference,
                payer=payer,
                enrollment=enrollment,
                sponsor_programme=programme,
                amount=amount,
                received_on=received_on,
                source=source,
                note=note,
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            allocated = _allocate(payment, bills, amount)
            credit = amount - allocated
            # The bound is on all the credit the target would hold, not on this payment's leftover.
            held = credit_held(enrollment=enrollment, programme=programme) if credit > 0 else 0
            monthly = _monthly_amount(bills, enrollment, received_on)
            if credit > 0 and monthly is not None and held > ADVANCE_MONTHS * monthly:
                raise PaymentError(
                    _(
                        "Rp %(credit)s would remain after paying every open bill: more than "
                        "%(months)s months ahead. Check the amount."
                    )
                    % {"credit": f"{held:,}".replace(",", "."), "months": ADVANCE_MONTHS}
                )
            audit_record(
                actor=actor,
                action="contributions.payment.recorded",
                target=payment,
                changes={"amount": (None, amount), "allocated": (None, allocated), "credit": (None, credit)},
                region_code=_region_of(enrollment, programme),
            )
    except IntegrityError:
        # Another request stored the same reference first (the unique index decided): that one counts.
        if not Payment.objects.filter(reference=reference).exists():
            raise
        return existing()
    if enrollment is not None:
        from .arrears import restore_if_paid

        enrollment.refresh_from_db()
        restore_if_paid(enrollment)
    return Recorded(payment=payment, created=True, allocated=allocated, credit=credit)


# Money is paid in advance for a few months at most (the 12-month limit of payment_record): a payment
# dated more than a year before the cover it pays for begins is a typing slip (1900 for 2026).
EARLIEST_BEFORE_COVER = timedelta(days=366)


def _refuse_long_before_cover(
    received_on: date, enrollment: Enrollment | None, programme: SponsorProgramme | None
) -> None:
    start: date | None
    if enrollment is not None:
        start = enrollment.coverage_start or enrollment.requested_start
    else:
        start = programme.first_month if programme is not None else None
    if start is not None and received_on < start - EARLIEST_BEFORE_COVER:
        raise PaymentError(
            _(
                "The payment date %(day)s is more than a year before the cover it pays for starts "
                "(%(start)s): check the date on the receipt."
            )
            % {"day": received_on.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")}
        )


def credit_held(*, enrollment: Enrollment | None = None, programme: SponsorProgramme | None = None) -> int:
    """Money paid ahead by a target and not yet applied to a bill (reversed payments excluded)."""
    payments = Payment.objects.filter(reverses__isnull=True, reversal__isnull=True)
    payments = (
        payments.filter(enrollment=enrollment) if enrollment else payments.filter(sponsor_programme=programme)
    )
    paid = payments.aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    applied = Allocation.objects.filter(payment__in=payments).aggregate(total=Coalesce(Sum("amount"), 0))[
        "total"
    ]
    return paid - applied


def credits_apply(*, enrollment: Enrollment | None = None, programme: SponsorProgramme | None = None) -> int:
    """Allocate the credit held on earlier payments of a target to its open bills; returns the amount."""
    payments = Payment.objects.filter(reverses__isnull=True, reversal__isnull=True).annotate(
        allocated=Coalesce(Sum("allocations__amount"), 0)
    )
    if enrollment is not None:
        payments = payments.filter(enrollment=enrollment)
    if programme is not None:
        payments = payments.filter(sponsor_programme=programme)
    total = 0
    with transaction.atomic():
        for payment in payments.filter(amount__gt=F("allocated")).order_by("received_on", "id"):
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            credit = _credit_of(locked.pk)
            if credit <= 0:
                continue
            bills = _target_bills(
                enrollment=locked.enrollment, programme=locked.sponsor_programme, payer=locked.payer
            )
            total += _allocate(locked, bills, credit)
    return total


def credits_apply_all() -> int:
    """After a monthly run: every target that holds credit pays its new bills."""
    holders = (
        Payment.objects.filter(reverses__isnull=True, reversal__isnull=True)
        .annotate(allocated=Coalesce(Sum("allocations__amount"), 0))
        .filter(amount__gt=F("allocated"))
        .values_list("enrollment_id", "sponsor_programme_id")
        .distinct()
    )
    total = 0
    for enrollment_id, programme_id in list(holders):
        total += credits_apply(
            enrollment=Enrollment.objects.get(pk=enrollment_id) if enrollment_id else None,
            programme=SponsorProgramme.objects.get(pk=programme_id) if programme_id else None,
        )
    return total


@transaction.atomic
def payment_reverse(*, payment: Payment, actor: Any, reason: str) -> Payment:
    """Reverse a payment: a negative payment and a negative allocation for each of its allocations."""
    if not reason.strip():
        raise PaymentError(_("Say why the payment is reversed."))
    original = Payment.objects.select_for_update().get(pk=payment.pk)
    if original.reverses_id is not None:
        raise PaymentError(_("A reversal cannot itself be reversed: record the payment again."))
    if Payment.objects.filter(reverses=original).exists():
        raise PaymentError(_("This payment was already reversed."))
    reversal = Payment.objects.create(
        reference=f"{original.reference}/BATAL"[:100],
        payer=original.payer,
        enrollment=original.enrollment,
        sponsor_programme=original.sponsor_programme,
        amount=-original.amount,
        received_on=original.received_on,
        source=original.source,
        note=reason.strip()[:300],
        reverses=original,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    per_bill = original.allocations.values("bill").annotate(total=Sum("amount")).filter(~Q(total=0))
    for row in per_bill:
        bill = Bill.objects.select_for_update().get(pk=row["bill"])
        Allocation.objects.create(payment=reversal, bill=bill, amount=-row["total"])
        Bill.objects.filter(pk=bill.pk).update(paid=F("paid") - row["total"])
    audit_record(
        actor=actor,
        action="contributions.payment.reversed",
        target=original,
        changes={"amount": (original.amount, 0)},
        reason=reason,
    )
    # The bills it had paid are open again: credit the same target holds from its other payments pays
    # them now (not at the next monthly run, after their due date), in a transaction of its own that
    # locks payments before bills, as the monthly run's credits_apply_all does.
    enrollment, programme = original.enrollment, original.sponsor_programme
    transaction.on_commit(lambda: credits_apply(enrollment=enrollment, programme=programme))
    return reversal
