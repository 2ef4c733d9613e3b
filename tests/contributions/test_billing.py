"""The monthly run (set-based SQL) against the tariff arithmetic in Python, idempotence and concurrency."""

import random
import threading
from datetime import date

import pytest
from django.db import connections

from contributions.billing import bills_for, run_month
from contributions.models import Bill, BillingRun, SponsorProgramme
from contributions.selectors import expected_bills
from contributions.tariffs import TariffError
from members.models import Enrollment, Member
from tests.factories import make_member


def enrolled(
    regency="52.71",
    *,
    status="active",
    coverage_start=date(2021, 1, 1),
    income=1_000_000,
    wage=None,
    **fields,
):
    member = make_member(regency)
    kind = fields.get("kind", "bpu")
    Member.objects.filter(pk=member.pk).update(
        kind=kind,
        monthly_income=income if kind == "bpu" else None,
        monthly_wage=wage if kind == "pu" else None,
    )
    defaults = {"kind": "bpu", "payer": "self", "requested_start": coverage_start or date(2026, 11, 1)}
    return Enrollment.objects.create(
        member=member, status=status, coverage_start=coverage_start, **{**defaults, **fields}
    )


def bills_of(month):
    return sorted(
        (b.enrollment_id, b.payer, b.sponsor_programme_id, b.amount, b.relief)
        for b in Bill.objects.filter(month=month)
    )


def python_bills(month):
    rows = []
    for enrollment in Enrollment.objects.select_related("member", "sponsor_programme"):
        try:
            bills = expected_bills(enrollment, month)
        except TariffError:
            bills = []  # the tariffs cannot bill it (no scheme that month, no base): the run skips it too
        rows += [(enrollment.pk, *bill) for bill in bills]
    return sorted(rows)


@pytest.fixture
def programmes(db):
    sulut = SponsorProgramme.objects.create(
        name="Perlindungan UMKM Sulut 2021",
        sponsor="Pemerintah Provinsi Sulawesi Utara",
        province_id="71",
        first_month=date(2021, 9, 1),
        last_month=date(2021, 12, 1),
    )
    ntb = SponsorProgramme.objects.create(
        name="APBD NTB berbagi",
        sponsor="Pemerintah Provinsi NTB",
        province_id="52",
        first_month=date(2021, 1, 1),
        last_month=date(2026, 12, 1),
        sponsor_percent=60,
    )
    return sulut, ntb


def test_the_run_bills_the_briefs_numbers_and_splits_sponsored_shares(programmes):
    sulut, ntb = programmes
    flat = enrolled()
    ntb_scheme = enrolled(scheme="ntb-2021", payer="sponsor", sponsor_programme=ntb)
    sulut_member = enrolled("71.71", payer="sponsor", sponsor_programme=sulut)
    bpu = enrolled(scheme="bpu-national", income=900_000)
    pu = enrolled(
        scheme="pu-national", kind="pu", risk_class="low", payer="employer", wage=4_000_000, income=None
    )
    run = run_month(date(2021, 9, 1))
    assert run.bills_created == 6
    got = {(b.enrollment_id, b.payer): (b.amount, b.due_date) for b in Bill.objects.all()}
    assert got[(flat.pk, "self")] == (11_800, date(2021, 9, 15))
    # NTB 2021: Rp 11.800, 60% paid by the province (7.080) and 40% by the participant (4.720).
    assert got[(ntb_scheme.pk, "sponsor")] == (7_080, date(2021, 9, 15))
    assert got[(ntb_scheme.pk, "self")] == (4_720, date(2021, 9, 15))
    assert got[(sulut_member.pk, "sponsor")] == (11_800, date(2021, 9, 15))
    assert got[(bpu.pk, "self")] == (16_800, date(2021, 9, 15))
    # PU: JKK 0.54% + JKM 0.30% of Rp 4.000.000, due on the 15th of the following month.
    assert got[(pu.pk, "employer")] == (33_600, date(2021, 10, 15))


def test_a_sponsored_programme_stops_billing_the_sponsor_after_its_last_month(programmes):
    sulut, _ = programmes
    member = enrolled("71.71", payer="sponsor", sponsor_programme=sulut)
    run_month(date(2021, 12, 1))
    run_month(date(2022, 1, 1))
    assert bills_of(date(2021, 12, 1)) == [(member.pk, "sponsor", sulut.pk, 11_800, 0)]
    assert bills_of(date(2022, 1, 1)) == [(member.pk, "self", None, 11_800, 0)]


def test_only_approved_or_active_enrollments_whose_cover_has_started_are_billed(db):
    billed = enrolled(status="approved", coverage_start=date(2026, 11, 20))
    enrolled(status="approved", coverage_start=date(2026, 12, 1))
    enrolled(status="lapsed")
    enrolled(status="submitted", coverage_start=None)
    enrolled(status="ended")
    run_month(date(2026, 11, 1))
    assert [b.enrollment_id for b in Bill.objects.all()] == [billed.pk]


def test_running_a_month_twice_or_twice_at_once_creates_nothing_twice(db):
    for _ in range(5):
        enrolled()
    assert run_month(date(2026, 11, 1)).bills_created == 5
    assert run_month(date(2026, 11, 1)).bills_created == 0
    assert Bill.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_month_at_the_same_moment_bill_once():
    for _ in range(20):
        enrolled()
    barrier = threading.Barrier(2)
    created: list[int] = []

    def run():
        try:
            barrier.wait()
            created.append(run_month(date(2026, 11, 1)).bills_created)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [0, 20]
    assert Bill.objects.count() == 20
    assert BillingRun.objects.count() == 2


def test_the_sql_run_equals_the_python_arithmetic_on_random_enrollments(programmes):
    _, ntb = programmes
    chooser = random.Random(20261121)
    for _ in range(120):
        kind = chooser.choice(["bpu", "pu"])
        scheme = chooser.choice(
            ["", "flat-11800", "ntb-2021", "bpu-national" if kind == "bpu" else "pu-national"]
        )
        payer = chooser.choice(["self", "sponsor", "bank"] if kind == "bpu" else ["employer", "sponsor"])
        enrolled(
            kind=kind,
            scheme=scheme,
            payer=payer,
            sponsor_programme=ntb if payer == "sponsor" else None,
            risk_class=chooser.choice(["very_low", "low", "medium", "high", "very_high"])
            if kind == "pu"
            else "",
            income=chooser.choice([500_000, 1_000_000, 2_750_000, 7_000_001]),
            wage=chooser.choice([1_234_567, 4_416_186, 15_000_000]),
        )
    for month in (date(2021, 1, 1), date(2021, 9, 1), date(2026, 4, 1), date(2026, 11, 1)):
        assert sorted(bills_for(month)) == python_bills(month), month
        run_month(month)
        assert bills_of(month) == python_bills(month), month


def test_the_command_and_the_task_bill_a_month(db):
    from django.core.management import call_command

    from contributions.tasks import run_month as task

    enrolled()
    call_command("bill_month", "2026-10")
    assert task.run("2026-11-01") == 1
    assert task.run("2026-11-01") == 0
    assert sorted(Bill.objects.values_list("month", flat=True)) == [date(2026, 10, 1), date(2026, 11, 1)]


def test_a_first_bill_is_never_due_before_its_cover_has_run_two_weeks(db):
    late_start = enrolled(status="approved", coverage_start=date(2026, 11, 22))
    run_month(date(2026, 11, 1))
    assert Bill.objects.get(enrollment=late_start).due_date == date(2026, 12, 6)
