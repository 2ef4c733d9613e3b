"""The contribution statement of an enrollment and the finance officer's payment actions."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from contributions.billing import run_month
from contributions.models import Payment
from members.models import Enrollment
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role

MONTHS = [date(2026, m, 1) for m in (7, 8, 9)]


@pytest.fixture
def setup(db):
    member = make_member("52.71", full_name="Baiq Nurul Aini")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        payer="sponsor",
        status="active",
        requested_start=MONTHS[0],
        coverage_start=MONTHS[0],
        scheme="flat-11800",
    )
    # payer "sponsor" without a programme: the participant is billed (sponsor payers are excluded from
    # the PP 50/2025 relief, so the full Rp 11.800)
    for month in MONTHS:
        run_month(month)
    finance = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.FINANCE])
    return enrollment, finance


def client_for(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def test_the_statement_shows_bills_arrears_and_payments(setup):
    enrollment, finance = setup
    client = client_for(finance)
    url = reverse("contributions:statement", args=[enrollment.pk])
    page = client.get(url).content.decode()
    assert page.count('data-testid="bill-row"') == 3
    assert 'data-testid="arrears">Rp 35.400<' in page
    response = client.post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "BRI-001", "amount": "20000", "received_on": "2026-11-20", "payer": "self"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="total-paid">Rp 20.000<' in page
    assert 'data-testid="arrears">Rp 15.400<' in page
    # The same reference again: nothing added, and the user is told.
    response = client.post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "bri-001", "amount": "20000", "received_on": "2026-11-20", "payer": "self"},
        follow=True,
    )
    assert Payment.objects.count() == 1
    assert "sudah dicatat" in response.content.decode()


def test_bad_input_is_refused_with_the_form_kept(setup):
    enrollment, finance = setup
    response = client_for(finance).post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "X-1", "amount": "-5", "received_on": "2099-01-01", "payer": "self"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="X-1"' in body
    assert "masa depan" in body
    assert not Payment.objects.exists()
    # The refused form's address, opened again: back to the statement's form, not a bare 405.
    again = client_for(finance).get(reverse("contributions:payment_create", args=[enrollment.pk]))
    assert again.status_code == 302
    assert again["Location"] == reverse("contributions:statement", args=[enrollment.pk]) + "#record"


def test_the_payment_list_says_when_its_dates_are_in_the_wrong_order(setup):
    _enrollment, finance = setup
    response = client_for(finance).get(
        reverse("contributions:payment_list"), {"received_from": "2026-11-20", "received_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "Tanggal akhir sebelum tanggal awal." in response.content.decode()


def test_a_reversal_from_the_page_restores_the_arrears(setup):
    enrollment, finance = setup
    client = client_for(finance)
    client.post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "BNI-7", "amount": "11800", "received_on": "2026-11-20", "payer": "self"},
    )
    payment = Payment.objects.get()
    client.post(reverse("contributions:payment_reverse", args=[payment.pk]), {"reason": "Salah peserta"})
    page = client.get(reverse("contributions:statement", args=[enrollment.pk])).content.decode()
    assert 'data-testid="arrears">Rp 35.400<' in page
    assert Payment.objects.count() == 2


def test_only_finance_records_and_other_regions_see_nothing(setup):
    enrollment, _ = setup
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    response = client_for(operator).post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "X", "amount": "1", "received_on": "2026-11-20", "payer": "self"},
    )
    assert response.status_code == 403
    assert (
        client_for(operator).get(reverse("contributions:statement", args=[enrollment.pk])).status_code == 200
    )
    stranger = UserFactory.create(office=OfficeFactory.diskop_regency("71.71"), roles=[Role.FINANCE])
    assert (
        client_for(stranger).get(reverse("contributions:statement", args=[enrollment.pk])).status_code == 404
    )


def test_an_administrator_runs_a_month_by_hand_and_others_may_not(setup, django_capture_on_commit_callbacks):
    from contributions.models import BillingRun

    enrollment, finance = setup
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR])
    assert client_for(finance).get(reverse("contributions:billing_runs")).status_code == 403
    client = client_for(admin)
    assert client.post(reverse("contributions:billing_runs"), {"month": "2099-01"}).status_code == 200
    # A month before any cover is a slip: refused beside the field.
    old = client.post(reverse("contributions:billing_runs"), {"month": "1990-01"})
    assert old.status_code == 200
    assert "1990" not in str(BillingRun.objects.values_list("month", flat=True))
    assert old.context["form"].errors["month"]
    # The task runs eagerly here only if the broker answers; call it as the worker would.
    from contributions.tasks import run_month as task

    assert task.run("2026-10-01") == 1
    page = client.get(reverse("contributions:billing_runs")).content.decode()
    assert "Oktober 2026" in page
    assert BillingRun.objects.filter(month=date(2026, 10, 1)).exists()
    assert enrollment.bills.count() == 4


def test_amounts_are_typed_with_indonesian_thousands_dots(setup):
    enrollment, finance = setup
    client = client_for(finance)
    client.post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "DOT-1", "amount": "Rp 12.000", "received_on": "2026-11-20", "payer": "self"},
    )
    assert Payment.objects.get().amount == 12_000
    response = client.post(
        reverse("contributions:payment_create", args=[enrollment.pk]),
        {"reference": "DOT-2", "amount": "12.000,50", "received_on": "2026-11-20", "payer": "self"},
    )
    assert response.status_code == 400
    assert "tanpa sen" in response.content.decode()


def test_the_arrears_of_a_sponsored_participant_say_who_owes_what(db):
    from tests.factories import make_programme

    programme = make_programme("52", sponsor_percent=50)
    member = make_member("52.71")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        payer="sponsor",
        sponsor_programme=programme,
        status="active",
        requested_start=MONTHS[0],
        coverage_start=MONTHS[0],
    )
    run_month(MONTHS[0])
    finance = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.FINANCE])
    page = client_for(finance).get(reverse("contributions:statement", args=[enrollment.pk])).content.decode()
    assert 'data-testid="arrears">Rp 11.800<' in page
    assert "Sponsor anggaran daerah (APBD): Rp 5.900" in page
    assert "Peserta sendiri: Rp 5.900" in page
