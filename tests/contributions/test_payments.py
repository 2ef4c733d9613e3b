"""Payments: idempotent by reference (also 20 at once), oldest bills first, partial and advance payments,
reversals as entries, the ledger refusing edits in the database, and money conserved (hypothesis)."""

import contextlib
import threading
from datetime import date

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contributions.billing import run_month
from contributions.models import Allocation, Bill, Payment
from contributions.payments import (
    PaymentError,
    credit_held,
    credits_apply_all,
    participant_payers,
    payment_record,
    payment_reverse,
)
from members.models import Enrollment
from tests.factories import make_member

# 2027: no relief applies (PP 50/2025 halves BPU contributions until December 2026).
MONTHS = [date(2027, m, 1) for m in (1, 2, 3, 4)]


def active_enrollment() -> Enrollment:
    return Enrollment.objects.create(
        member=make_member("52.71"),
        kind="bpu",
        payer="self",
        status="active",
        requested_start=date(2027, 1, 1),
        coverage_start=date(2027, 1, 1),
    )


def billed(months=MONTHS) -> Enrollment:
    enrollment = active_enrollment()
    for month in months:
        run_month(month)
    return enrollment


def pay(enrollment, reference, amount, **kwargs):
    return payment_record(
        reference=reference,
        amount=amount,
        received_on=date(2027, 4, 20),
        actor=None,
        enrollment=enrollment,
        **kwargs,
    )


@pytest.mark.django_db
def test_a_payment_goes_to_the_oldest_open_bills_and_partly_to_the_next():
    enrollment = billed()
    recorded = pay(enrollment, "trx-001", 30_000)
    assert recorded.created
    assert (recorded.allocated, recorded.credit) == (30_000, 0)
    paid = list(Bill.objects.filter(enrollment=enrollment).order_by("month").values_list("paid", flat=True))
    assert paid == [11_800, 11_800, 6_400, 0]


@pytest.mark.django_db
def test_a_payer_without_bills_is_refused_and_a_payer_changed_since_still_pays_its_bills():
    enrollment = billed(MONTHS[:1])
    with pytest.raises(PaymentError, match="tidak punya tagihan untuk peserta ini"):
        pay(enrollment, "trx-employer", 5_900, payer="employer")
    assert not Payment.objects.exists()
    assert participant_payers(enrollment) == ["self"]
    Enrollment.objects.filter(pk=enrollment.pk).update(payer="bank", bank="bri")
    enrollment.refresh_from_db()
    assert participant_payers(enrollment) == ["bank", "self"]  # January's bill is still the participant's
    assert pay(enrollment, "trx-self", 11_800, payer="self").allocated == 11_800


@pytest.mark.django_db
def test_a_payment_sent_again_is_the_one_recorded_even_after_its_payer_stopped_being_billed():
    enrollment = active_enrollment()
    first = pay(enrollment, "trx-ahead", 11_800, payer="self")  # paid ahead, before any bill
    Enrollment.objects.filter(pk=enrollment.pk).update(payer="bank", bank="bri")
    enrollment.refresh_from_db()
    again = pay(enrollment, "trx-ahead", 11_800, payer="self")
    assert not again.created
    assert again.payment.pk == first.payment.pk


@pytest.mark.django_db
def test_a_participant_whose_programme_pays_everything_has_no_payer_to_record(client):
    from django.urls import reverse

    from tests.factories import OfficeFactory, UserFactory, make_programme
    from tests.helpers import login_verified
    from umkm_enroll.accounts.models import Role

    programme = make_programme("52")
    enrollment = active_enrollment()
    Enrollment.objects.filter(pk=enrollment.pk).update(payer="sponsor", sponsor_programme=programme)
    enrollment.refresh_from_db()
    assert participant_payers(enrollment) == []
    with pytest.raises(PaymentError, match="Program sponsor menanggung seluruh iuran"):
        pay(enrollment, "trx-apbd", 11_800, payer="self")
    login_verified(
        client, UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.FINANCE])
    )
    page = client.get(reverse("contributions:statement", args=[enrollment.pk])).content.decode()
    assert 'data-testid="sponsor-pays-all"' in page


@pytest.mark.django_db
def test_the_same_reference_is_one_payment_and_a_different_one_is_refused():
    enrollment = billed()
    first = pay(enrollment, " trx-9 ", 11_800)
    again = pay(enrollment, "TRX-9", 11_800)
    assert not again.created
    assert again.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 1
    with pytest.raises(PaymentError, match="sudah dipakai"):
        pay(enrollment, "trx-9", 20_000)


@pytest.mark.django_db
def test_an_advance_payment_is_held_as_credit_and_pays_the_next_bills():
    enrollment = billed(MONTHS[:1])
    recorded = pay(enrollment, "advance", 11_800 * 3)
    assert recorded.credit == 11_800 * 2
    run_month(MONTHS[1])
    run_month(MONTHS[2])
    assert credits_apply_all() == 11_800 * 2
    assert set(Bill.objects.values_list("paid", flat=True)) == {11_800}
    with pytest.raises(PaymentError, match="12 bulan"):
        pay(enrollment, "too-much", 11_800 * 14)


@pytest.mark.django_db
def test_a_reversal_is_an_entry_that_undoes_the_allocations():
    enrollment = billed()
    recorded = pay(enrollment, "trx-r", 20_000)
    reversal = payment_reverse(payment=recorded.payment, actor=None, reason="Salah rekening")
    assert reversal.amount == -20_000
    assert set(Bill.objects.values_list("paid", flat=True)) == {0}
    assert Allocation.objects.aggregate(total=Sum("amount"))["total"] == 0
    with pytest.raises(PaymentError):
        payment_reverse(payment=recorded.payment, actor=None, reason="lagi")


@pytest.mark.django_db
def test_credit_held_pays_the_bill_a_reversal_opens_again(django_capture_on_commit_callbacks):
    enrollment = billed(MONTHS[:1])
    first = pay(enrollment, "trx-a", 11_800)  # pays January
    pay(enrollment, "trx-b", 11_800)  # held as credit
    with django_capture_on_commit_callbacks(execute=True):  # once the reversal has committed
        payment_reverse(payment=first.payment, actor=None, reason="Ganda")
    assert list(Bill.objects.values_list("paid", flat=True)) == [11_800]  # paid by the credit at once
    assert credit_held(enrollment=enrollment) == 0


@pytest.mark.django_db
def test_a_payment_dated_years_before_the_cover_is_refused():
    enrollment = billed(MONTHS[:1])
    with pytest.raises(PaymentError, match="01/01/1999"):
        payment_record(
            reference="trx-old",
            amount=11_800,
            received_on=date(1999, 1, 1),
            actor=None,
            enrollment=enrollment,
        )
    assert not Payment.objects.exists()
    # Paid ahead at registration, months before the cover starts: accepted.
    payment_record(
        reference="trx-early", amount=11_800, received_on=date(2026, 10, 1), actor=None, enrollment=enrollment
    )


@pytest.mark.django_db
def test_the_database_refuses_to_edit_or_delete_the_ledger():
    enrollment = billed()
    recorded = pay(enrollment, "trx-db", 11_800)
    for statement in (
        "UPDATE contributions_payment SET amount = 1",
        "DELETE FROM contributions_payment",
        "UPDATE contributions_allocation SET amount = 1",
        "DELETE FROM contributions_allocation",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert Payment.objects.get().amount == recorded.payment.amount


@pytest.mark.django_db(transaction=True)
def test_one_line_posted_twenty_times_at_once_is_one_payment():
    enrollment = billed()
    barrier = threading.Barrier(20)
    outcomes: list[bool] = []
    errors: list[Exception] = []

    def post():
        try:
            barrier.wait()
            outcomes.append(
                pay(Enrollment.objects.get(pk=enrollment.pk), "BANK-NTB-2026-11-0001", 23_600).created
            )
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [False] * 19 + [True]
    assert Payment.objects.count() == 1
    assert Allocation.objects.aggregate(total=Sum("amount"))["total"] == 23_600
    assert list(Bill.objects.order_by("month").values_list("paid", flat=True)) == [11_800, 11_800, 0, 0]


# Operations of the property test: pay an amount under a reference, re-deliver an earlier reference,
# reverse an earlier payment, bill the next month, apply credits.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=60_000)),
        st.tuples(st.just("redeliver"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("bill"), st.just(0)),
        st.tuples(st.just("credits"), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def check_invariants():
    for bill in Bill.objects.all():
        allocated = bill.allocations.aggregate(total=Sum("amount"))["total"] or 0
        assert 0 <= bill.paid <= bill.amount
        assert bill.paid == allocated
    total_in = Payment.objects.aggregate(total=Sum("amount"))["total"] or 0
    total_allocated = Allocation.objects.aggregate(total=Sum("amount"))["total"] or 0
    credit = 0
    for payment in Payment.objects.filter(reverses__isnull=True):
        allocated = payment.allocations.aggregate(total=Sum("amount"))["total"] or 0
        assert 0 <= allocated <= payment.amount
        if not Payment.objects.filter(reverses=payment).exists():
            credit += payment.amount - allocated
    assert total_in == total_allocated + credit


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_money_is_conserved_through_any_sequence_of_payments_reversals_and_redeliveries(steps):
    with transaction.atomic():
        enrollment = billed(MONTHS[:2])
        months = iter([date(2027, m, 1) for m in range(3, 13)])
        references: list[tuple[str, int]] = []
        for kind, value in steps:
            if kind == "pay":
                reference = f"P{len(references)}"
                try:
                    pay(enrollment, reference, value)
                    references.append((reference, value))
                except PaymentError:
                    pass  # more than 12 months ahead: refused, nothing stored
            elif kind == "redeliver" and references:
                reference, amount = references[value % len(references)]
                assert not pay(enrollment, reference, amount).created
            elif kind == "reverse" and references:
                payment = Payment.objects.get(reference=references[value % len(references)][0])
                with contextlib.suppress(PaymentError):  # already reversed
                    payment_reverse(payment=payment, actor=None, reason="koreksi")
            elif kind == "bill":
                month = next(months, None)
                if month is not None:
                    run_month(month)
            elif kind == "credits":
                credits_apply_all()
            check_invariants()
        assert Payment.objects.filter(reverses__isnull=True).count() == len(references)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_advance_limit_counts_all_credit_held_not_one_payment():
    enrollment = billed(MONTHS[:1])
    pay(enrollment, "ahead-1", 11_800 * 9)  # 8 months ahead
    with pytest.raises(PaymentError, match="12 bulan"):
        pay(enrollment, "ahead-2", 11_800 * 6)  # would make 14 months ahead
    assert Payment.objects.count() == 1
