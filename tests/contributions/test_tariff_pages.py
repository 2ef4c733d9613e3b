"""The tariff pages: finance staff and administrators read the schemes, brackets and reliefs; administrators
add and change schemes and brackets, within what the monthly run has already billed, audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from contributions.billing import run_month
from contributions.forms_tariffs import parse_percent
from contributions.models import Bill, BillingRun, IncomeBracket, TariffScheme
from contributions.selectors import monthly_contribution
from contributions.tariff_admin import (
    TariffAdminError,
    bracket_create,
    bracket_update,
    scheme_new_version,
    scheme_update,
)
from members.models import Enrollment, EnrollmentStatus
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.models import AuditEntry

LIST = reverse("contributions:tariff_list")
CREATE = reverse("contributions:scheme_create")


def user_with(*roles: str) -> User:
    return UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=list(roles))


def client_for(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.fixture
def admin() -> User:
    return user_with(Role.ADMINISTRATOR)


def scheme_post(**changes: str) -> dict[str, str]:
    data = {
        "code": "pu-jatim-2027",
        "name": "PU Jawa Timur 2027",
        "province": "35",
        "valid_from": "2027-01",
        "valid_to": "",
        "method": "rates",
        "base": "wage",
        "jkk_very_low": "0,24",
        "jkk_low": "0,54",
        "jkk_medium": "0,89",
        "jkk_high": "1,27",
        "jkk_very_high": "1,74",
        "jkm_rate": "0,30",
        "rounding_unit": "100",
        "source": "Pergub Jatim 2026",
    }
    return {**data, **changes}


def test_a_percentage_is_read_as_basis_points():
    assert [parse_percent(text) for text in ("0,24", "0.24", "1", "0,3 %", "1,74")] == [24, 24, 100, 30, 174]
    for text in ("0,245", "abc", "", "1,2,3"):
        with pytest.raises(ValueError, match="unreadable"):
            parse_percent(text)


@pytest.mark.django_db
def test_finance_staff_read_the_tariffs_and_operators_may_not():
    page = client_for(user_with(Role.FINANCE)).get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "flat-11800" in text
    assert "Rp 11.800" in text
    assert "JKK 0,24% sampai 1,74% menurut kelas risiko + JKM 0,3% dari" in text
    assert "Rp 1.000.000" in text  # the lowest BPU bracket
    assert reverse("contributions:scheme_create") not in text  # finance reads, administrators edit
    assert client_for(user_with(Role.FINANCE)).get(CREATE).status_code == 403
    assert client_for(user_with(Role.OPERATOR)).get(LIST).status_code == 403


@pytest.mark.django_db
def test_an_administrator_adds_a_wage_scheme_that_the_run_then_uses(admin):
    response = client_for(admin).post(CREATE, scheme_post())
    scheme = TariffScheme.objects.get(code="pu-jatim-2027")
    assert response.status_code == 302
    assert response["Location"] == reverse("contributions:scheme_detail", args=[scheme.pk])
    assert scheme.jkk_rates == {"very_low": 24, "low": 54, "medium": 89, "high": 127, "very_high": 174}
    assert (scheme.jkm_rate, scheme.jkm_flat, scheme.rounding_unit, scheme.valid_from) == (
        30,
        None,
        100,
        date(2027, 1, 1),
    )
    entry = AuditEntry.objects.get(action="contributions.scheme.created", object_id=str(scheme.pk))
    assert entry.actor == admin
    assert entry.changes["jkm_rate"] == [None, 30]
    # A wage earner at Rp 3.000.000, medium risk: 0,89% + 0,30% = Rp 35.700, already a multiple of 100.
    member = make_member("35.78")
    member.kind, member.monthly_income, member.monthly_wage = "pu", None, 3_000_000
    member.save(update_fields=["kind", "monthly_income", "monthly_wage"])
    enrollment = Enrollment.objects.create(
        member=member,
        kind="pu",
        scheme="pu-jatim-2027",
        payer="self",
        risk_class="medium",
        requested_start=date(2027, 1, 1),
    )
    assert monthly_contribution(enrollment, date(2027, 2, 1)).total == 35_700
    Enrollment.objects.filter(pk=enrollment.pk).update(status="active", coverage_start=date(2027, 1, 1))
    run_month(date(2027, 2, 1))
    assert list(Bill.objects.filter(enrollment=enrollment).values_list("amount", flat=True)) == [35_700]
    detail = client_for(admin).get(response["Location"]).content.decode()
    assert "0,89%" in detail
    assert "Pergub Jatim 2026" in detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"method": "flat", "flat_amount": ""},
            "flat_amount",
            "Skema iuran tetap memerlukan jumlah sebulan.",
        ),
        ({"jkm_rate": ""}, "jkm_rate", "Isi tarif JKM atau jumlah JKM sebulan, salah satu saja."),
        ({"jkm_flat": "6800"}, "jkm_rate", "Isi tarif JKM atau jumlah JKM sebulan, salah satu saja."),
        ({"jkk_high": ""}, "jkk_high", "JKK penerima upah bergantung pada kelas risiko: isi setiap kelas."),
        (
            {"jkk_low": "0,545"},
            "jkk_low",
            "Tulis persentase dengan paling banyak dua angka desimal, mis. 0,24 untuk 0,24%.",
        ),
        (
            {"jkm_rate": "30"},
            "jkm_rate",
            "Tarif harus lebih dari 0% dan paling tinggi 10%: periksa tanda desimalnya.",
        ),
        ({"base": ""}, "base", "Pilih dasar pengenaan tarif."),
        ({"valid_to": "2026-12"}, "valid_to", "Bulan terakhir tidak boleh sebelum bulan pertama."),
        ({"code": "flat-11800"}, "code", "Skema dengan kode ini sudah ada: pilih kode lain."),
        ({"code": "Skema Baru!"}, "code", None),
        ({"rounding_unit": "0"}, "rounding_unit", None),
    ],
)
def test_a_scheme_with_bad_input_is_refused_beside_its_field(admin, changes, field, message):
    response = client_for(admin).post(CREATE, scheme_post(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert message in errors[field]
    assert (
        not TariffScheme.objects.filter(code=scheme_post(**changes)["code"])
        .exclude(code="flat-11800")
        .exists()
    )


@pytest.mark.django_db
def test_a_billed_scheme_keeps_its_arithmetic_and_still_takes_a_new_name(admin):
    scheme = TariffScheme.objects.get(code="flat-11800")
    BillingRun.objects.create(month=date(2026, 10, 1))
    url = reverse("contributions:scheme_edit", args=[scheme.pk])
    page = client_for(admin).get(url)
    assert 'data-testid="scheme-locked"' in page.content.decode()
    posted = {
        "name": "Iuran tetap Rp 11.800",
        "source": "Brief",
        "valid_to": "",
        "flat_amount": "20000",  # a locked field: what is posted is ignored
        "method": "flat",
        "valid_from": "2020-01",
        "rounding_unit": "1",
    }
    response = client_for(admin).post(url, posted)
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.name, scheme.flat_amount) == ("Iuran tetap Rp 11.800", 11_800)
    with pytest.raises(TariffAdminError, match="10/2026"):
        scheme_update(scheme=scheme, data={"flat_amount": 12_000}, actor=admin)
    with pytest.raises(TariffAdminError, match="10/2026"):
        scheme_update(scheme=scheme, data={"valid_to": date(2026, 9, 1)}, actor=admin)
    scheme.refresh_from_db()
    assert scheme.flat_amount == 11_800
    assert scheme.valid_to is None


@pytest.mark.django_db
def test_a_scheme_that_enrollments_use_cannot_be_closed(admin):
    scheme = TariffScheme.objects.get(code="bpu-national")
    member = make_member("52.71")
    Enrollment.objects.create(
        member=member,
        kind="bpu",
        scheme="bpu-national",
        payer="self",
        status=EnrollmentStatus.ACTIVE,
        requested_start=date(2026, 1, 1),
    )
    response = client_for(admin).post(
        reverse("contributions:scheme_edit", args=[scheme.pk]),
        {
            "name": scheme.name,
            "source": scheme.source,
            "valid_from": "2015-07",
            "valid_to": "2026-12",
            "method": "rates",
            "base": "income_bracket",
            "jkk_rate": "1",
            "jkm_flat": "6800",
            "rounding_unit": "1",
        },
    )
    assert response.status_code == 200
    assert "1 kepesertaan memakai skema ini: setelah 12/2026" in str(
        response.context["form"].non_field_errors()
    )
    scheme.refresh_from_db()
    assert scheme.valid_to is None
    # Unused, it closes; the change is in its history.
    ntb = TariffScheme.objects.get(code="ntb-2021")
    scheme_update(scheme=ntb, data={"valid_to": date(2021, 6, 1)}, actor=admin)
    assert AuditEntry.objects.get(action="contributions.scheme.updated", object_id=str(ntb.pk)).changes == {
        "valid_to": ["2021-12-01", "2021-06-01"]
    }


@pytest.mark.django_db
def test_an_administrator_adds_a_bracket_and_a_billed_bracket_keeps_its_amount(admin):
    client = client_for(admin)
    response = client.post(
        reverse("contributions:bracket_create"),
        {"amount": "1.500.000", "valid_from": "2027-01", "valid_to": ""},
    )
    assert response.status_code == 302
    bracket = IncomeBracket.objects.get(amount=1_500_000)
    assert AuditEntry.objects.filter(
        action="contributions.bracket.created", object_id=str(bracket.pk)
    ).exists()
    again = client.post(
        reverse("contributions:bracket_create"),
        {"amount": "1500000", "valid_from": "2027-01", "valid_to": ""},
    )
    assert again.status_code == 200
    assert "amount" in again.context["form"].errors
    assert IncomeBracket.objects.filter(amount=1_500_000).count() == 1

    lowest = IncomeBracket.objects.get(amount=1_000_000)
    BillingRun.objects.create(month=date(2026, 5, 1))
    url = reverse("contributions:bracket_edit", args=[lowest.pk])
    assert 'data-testid="bracket-locked"' in client.get(url).content.decode()
    refused = client.post(url, {"amount": "900000", "valid_from": "2015-07", "valid_to": "2026-04"})
    assert refused.status_code == 200
    assert "05/2026" in str(refused.context["form"].non_field_errors())
    lowest.refresh_from_db()
    assert (lowest.amount, lowest.valid_to) == (1_000_000, None)
    closed = client.post(url, {"amount": "900000", "valid_from": "2015-07", "valid_to": "2026-12"})
    assert closed.status_code == 302
    lowest.refresh_from_db()
    assert (lowest.amount, lowest.valid_to) == (1_000_000, date(2026, 12, 1))


@pytest.mark.django_db
def test_a_new_rate_from_a_month_is_a_version_the_run_uses_and_billed_months_keep_theirs(admin):
    flat = TariffScheme.objects.get(code="flat-11800")
    member = make_member("52.71")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        payer="self",
        status="active",
        requested_start=date(2027, 1, 1),
        coverage_start=date(2027, 1, 1),
    )
    run_month(date(2027, 1, 1))
    page = client_for(admin).get(reverse("contributions:scheme_version", args=[flat.pk]))
    assert page.status_code == 200
    refused = client_for(admin).post(
        reverse("contributions:scheme_version", args=[flat.pk]),
        {
            "name": flat.name,
            "valid_from": "2027-01",
            "method": "flat",
            "flat_amount": "12.500",
            "rounding_unit": "1",
        },
    )
    assert "01/2027 sudah ditagih dengan tarif sekarang" in str(refused.context["form"].non_field_errors())
    response = client_for(admin).post(
        reverse("contributions:scheme_version", args=[flat.pk]),
        {
            "name": flat.name,
            "valid_from": "2027-02",
            "method": "flat",
            "flat_amount": "12.500",
            "rounding_unit": "1",
        },
    )
    assert response.status_code == 302
    versions = list(TariffScheme.objects.filter(code="flat-11800").order_by("valid_from"))
    assert [(v.valid_from, v.valid_to, v.flat_amount) for v in versions] == [
        (date(2020, 1, 1), date(2027, 1, 1), 11_800),
        (date(2027, 2, 1), None, 12_500),
    ]
    run_month(date(2027, 2, 1))
    assert list(
        Bill.objects.filter(enrollment=enrollment).order_by("month").values_list("amount", flat=True)
    ) == [
        11_800,
        12_500,
    ]
    # Only the latest version takes a new rate; an older one's months end where the next begins.
    with pytest.raises(TariffAdminError):
        scheme_new_version(scheme=versions[0], data={"valid_from": date(2027, 6, 1)}, actor=admin)
    with pytest.raises(TariffAdminError):
        scheme_update(scheme=versions[0], data={"valid_to": date(2027, 3, 1)}, actor=admin)
    detail = (
        client_for(admin).get(reverse("contributions:scheme_detail", args=[versions[1].pk])).content.decode()
    )
    assert 'data-testid="scheme-versions"' in detail


@pytest.mark.django_db
def test_brackets_must_still_cover_the_next_month_and_cannot_reach_into_billed_months(admin):
    lowest = IncomeBracket.objects.get(amount=1_000_000)
    with pytest.raises(TariffAdminError, match="tidak ada kelompok penghasilan yang berlaku"):
        bracket_update(bracket=lowest, data={"valid_to": date(2027, 2, 1)}, actor=admin)
    BillingRun.objects.create(month=date(2027, 2, 1))
    with pytest.raises(TariffAdminError, match="02/2027"):
        bracket_create(data={"amount": 1_500_000, "valid_from": date(2027, 2, 1)}, actor=admin)
    later = bracket_create(data={"amount": 1_500_000, "valid_from": date(2027, 3, 1)}, actor=admin)
    with pytest.raises(TariffAdminError, match="02/2027"):
        bracket_update(bracket=later, data={"valid_from": date(2027, 1, 1)}, actor=admin)


@pytest.mark.django_db
def test_a_closed_scheme_is_not_offered_nor_accepted_for_an_enrollment(admin):
    from members.enrollments import scheme_problem

    TariffScheme.objects.create(
        code="ending",
        name="Berakhir",
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 1),
        method="flat",
        flat_amount=11_800,
    )
    assert "berakhir pada 12/2026" in str(scheme_problem("ending", start=date(2026, 11, 1), province="52"))
    assert scheme_problem("flat-11800", start=date(2026, 11, 1), province="52") is None
