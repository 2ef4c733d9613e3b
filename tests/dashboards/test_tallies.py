"""The tallies behind the dashboard stay equal to a fresh count of the rows, whatever writes them: the
services one row at a time, the bulk paths (COPY, the monthly run's INSERT ... SELECT, bulk decisions,
card batches, queryset updates and deletes), people moving region or cooperative and merges. New bills
are tallied by their writer (the run, `bills_insert`); the database refuses any other."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from cards.batches import batch_run, batch_start
from cards.models import Card
from cards.services import card_hand_over, card_issue, card_mark_printed
from contributions.billing import bills_insert, run_month
from contributions.models import Bill
from contributions.payments import payment_record
from members.enrollments import (
    bulk_decisions_run,
    bulk_decisions_start,
    enrollment_approve,
    enrollment_create,
    enrollment_reject,
    enrollments_activate_due,
)
from members.models import Enrollment, Member
from members.services import duplicate_resolve, duplicates_flag
from tests.dashboards.reference import assert_tallies_match_rows, fresh_flows, fresh_stock, tallied_flows
from tests.factories import (
    CooperativeFactory,
    OfficeFactory,
    UserFactory,
    make_member,
    make_submitted_enrollments,
)
from umkm_enroll.accounts.models import Role
from umkm_enroll.dashboards.models import MonthTally, Tally
from umkm_enroll.dashboards.services import tallies_compact, tallies_rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])


@pytest.fixture
def officer():
    return UserFactory.create(office=OfficeFactory.branch(["52.71", "52.01"]), roles=[Role.OFFICER])


def test_single_writes_keep_the_tallies_equal_to_the_rows(operator, officer):
    cooperative = CooperativeFactory.create(regency_id="52.71")
    first = make_member("52.71", full_name="Baiq Aini", heir_name="Lalu Ahmad", heir_relation="spouse")
    second = make_member(
        "52.71",
        full_name="Siti Rahayu",
        heir_name="Made",
        heir_relation="child",
        cooperative=cooperative,
        aid_bpum=True,
    )
    third = make_member(
        "52.01", full_name="Nur Hasanah", heir_name="Agus", heir_relation="spouse", aid_kur=True
    )
    assert_tallies_match_rows()

    enrollments = [
        enrollment_create(member=m, data={"requested_start": date(2026, 1, 1)}, actor=operator, submit=True)
        for m in (first, second, third)
    ]
    assert_tallies_match_rows()
    assert fresh_stock()[("52.71", cooperative.pk)]["submitted"] == 1

    enrollment_approve(enrollment=enrollments[0], actor=officer)
    enrollment_approve(enrollment=enrollments[1], actor=officer)
    enrollment_reject(enrollment=enrollments[2], actor=officer, reason="incomplete")
    Enrollment.objects.filter(status="approved").update(coverage_start=date(2026, 1, 1))
    assert enrollments_activate_due(date(2026, 1, 2)) == 2
    assert_tallies_match_rows()

    for enrollment in Enrollment.objects.filter(status="active"):
        card = card_issue(enrollment=enrollment, actor=None)
        card_mark_printed(card=card, actor=None)
    printed = Card.objects.filter(status="printed").first()
    assert printed is not None
    card_hand_over(card=printed, actor=None, handed_to="Baiq Aini", on=timezone.localdate())
    assert_tallies_match_rows()

    run_month(date(2026, 1, 1))
    run_month(date(2026, 2, 1))
    assert Bill.objects.count() == 4
    payment_record(
        reference="TRX-1",
        amount=11_800 + 5_000,
        received_on=date(2026, 1, 10),
        actor=None,
        enrollment=enrollments[0],
    )
    assert_tallies_match_rows()

    # People move (regency, cooperative, aid flags): their enrollments, cards and bills follow.
    Member.objects.filter(pk=first.pk).update(regency_id="52.01", cooperative=cooperative)
    assert_tallies_match_rows()
    Member.objects.filter(pk=second.pk).update(cooperative=None, aid_bpum=False)
    assert_tallies_match_rows()

    # A merge takes the newer record out of the count of people.
    twin = make_member("52.71", full_name="Baiq Aini", heir_name="Lalu Ahmad", heir_relation="spouse")
    flag = duplicates_flag(member=twin)[0]
    duplicate_resolve(flag=flag, merge=True, actor=operator)
    assert_tallies_match_rows()

    # Deletes (the test database allows those the application never makes).
    Bill.objects.filter(month=date(2026, 2, 1), allocations__isnull=True).delete()
    assert_tallies_match_rows()


def test_bulk_paths_keep_the_tallies_equal_to_the_rows(operator, officer, django_capture_on_commit_callbacks):
    ids = make_submitted_enrollments(30, regency="52.71", operator=operator)  # COPY
    assert_tallies_match_rows()

    with django_capture_on_commit_callbacks(execute=False):
        job = bulk_decisions_start(actor=officer, ids=ids[:20], decision="approve")
    bulk_decisions_run(job.pk)  # chunked UPDATEs, KPJ numbers set with UPDATE ... FROM unnest
    with django_capture_on_commit_callbacks(execute=False):
        job = bulk_decisions_start(actor=officer, ids=ids[20:25], decision="reject", reason="incomplete")
    bulk_decisions_run(job.pk)
    assert_tallies_match_rows()

    Enrollment.objects.filter(status="approved").update(status="active", coverage_start=date(2026, 1, 1))
    run_month(date(2026, 1, 1))  # INSERT ... SELECT
    assert_tallies_match_rows()

    card_admin = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.CARD_ADMIN])
    with django_capture_on_commit_callbacks(execute=False):
        batch = batch_start(actor=card_admin, filters={}, layout="sheets", split_by="regency")
    assert batch.job is not None
    batch_run(batch.job.pk)  # the batch's cards issued in one INSERT, then marked printed
    assert Card.objects.filter(status="printed").count() == 20
    assert_tallies_match_rows()

    Bill.objects.filter(enrollment_id__in=ids[:5]).update(paid=5_000)
    Member.objects.filter(enrollments__in=ids[:10]).update(regency_id="52.01", province_id="52")
    assert_tallies_match_rows()


def test_compaction_and_rebuild_keep_the_sums(operator):
    make_submitted_enrollments(12, regency="52.71", operator=operator)
    make_submitted_enrollments(7, regency="52.71", operator=operator)
    Enrollment.objects.filter(pk__in=Enrollment.objects.values("pk")[:4]).update(status="rejected")
    assert Tally.objects.count() > 1
    assert tallies_compact()
    assert Tally.objects.count() == 1
    assert MonthTally.objects.count() >= 1
    assert_tallies_match_rows()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE dashboards_tally SET people = people + 99")  # damaged, say by a restore
    tallies_rebuild()
    assert_tallies_match_rows()


def test_an_enrollment_cannot_change_person_behind_the_tallies_back(operator):
    enrollment = Enrollment.objects.get(
        pk=make_submitted_enrollments(1, regency="52.71", operator=operator)[0]
    )
    other = make_member("52.01")
    with pytest.raises(IntegrityError.__mro__[1]), transaction.atomic():
        Enrollment.objects.filter(pk=enrollment.pk).update(member=other)


def test_a_bill_inserted_without_its_tally_is_refused(operator):
    enrollment_id = make_submitted_enrollments(1, regency="52.71", operator=operator)[0]
    Enrollment.objects.filter(pk=enrollment_id).update(status="active", coverage_start=date(2026, 1, 1))
    run_month(date(2026, 1, 1))  # declares that it tallies its bills, for its own statement only
    untallied = {"enrollment_id": enrollment_id, "month": date(2026, 2, 1), "payer": "self", "amount": 11_800}
    with (
        pytest.raises(DatabaseError, match="bills inserted without their dashboard tally"),
        transaction.atomic(),
    ):
        Bill.objects.create(**untallied, due_date=date(2026, 2, 15))
    with pytest.raises(DatabaseError, match="without their dashboard tally"), transaction.atomic():
        Bill.objects.bulk_create([Bill(**untallied, due_date=date(2026, 2, 15))])
    with (
        pytest.raises(DatabaseError, match="without their dashboard tally"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO contributions_bill (enrollment_id, month, payer, amount, relief, due_date, paid,"
            " created_at) VALUES (%s, '2026-02-01', 'self', 11800, 0, '2026-02-15', 0, now())",
            [enrollment_id],
        )
    assert Bill.objects.filter(month=date(2026, 2, 1)).count() == 0

    bills_insert([Bill(**untallied, due_date=date(2026, 2, 15))])  # the supported way
    assert Bill.objects.filter(month=date(2026, 2, 1)).count() == 1
    assert_tallies_match_rows()


def test_running_a_month_again_tallies_only_the_bills_it_creates(operator):
    ids = make_submitted_enrollments(6, regency="52.71", operator=operator)
    Enrollment.objects.filter(pk__in=ids[:4]).update(status="active", coverage_start=date(2026, 1, 1))
    assert run_month(date(2026, 1, 1)).bills_created == 4
    assert run_month(date(2026, 1, 1)).bills_created == 0  # every bill ON CONFLICT DO NOTHING
    assert_tallies_match_rows()

    # Two more people covered since: the run again bills (and tallies) them alone.
    Enrollment.objects.filter(pk__in=ids[4:]).update(status="active", coverage_start=date(2026, 1, 1))
    assert run_month(date(2026, 1, 1)).bills_created == 2
    assert_tallies_match_rows()
    january = {key: flows for key, flows in tallied_flows().items() if key[2] == date(2026, 1, 1)}
    assert sum(flows["bills"] for flows in january.values()) == 6

    # What the run tallied is what a rebuild counts afresh.
    assert tallies_compact()
    before = tallied_flows()
    tallies_rebuild()
    assert tallied_flows() == before == fresh_flows()
