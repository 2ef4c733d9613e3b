"""Sponsor programme pages: scoping and roles, the list and detail numbers, recording a sponsor's payment,
creating and editing a programme, the monthly invoice PDF, and the totals of an area."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contributions import invoicing
from contributions.billing import bills_insert
from contributions.invoices import Invoice, InvoiceLine, invoice_number, render_invoice
from contributions.models import Allocation, Bill, Payment, SponsorProgramme
from contributions.programmes import ProgrammeError, programme_create
from members.models import Enrollment
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory, make_member, make_programme, nik_for
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.exports import services as exports
from umkm_enroll.jobs.models import Job

MATARAM = "52.71"
LOMBOK_BARAT = "52.01"
MANADO = "71.71"
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
# A birth date no other test person has: the NIK is unique.
BAIQ_NIK = nik_for(MATARAM, "01", date(1979, 3, 3), "P", 1)


def user_in(region: str, *roles: str, province_office: bool = False) -> User:
    office = (
        OfficeFactory.diskop_province(region[:2]) if province_office else OfficeFactory.diskop_regency(region)
    )
    return UserFactory.create(office=office, roles=list(roles) or [Role.FINANCE])


def client_for(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def participant(
    programme: SponsorProgramme | None,
    regency: str = MATARAM,
    *,
    name: str = "Siti Aminah",
    status: str = "active",
    payer: str = "sponsor",
    office: Office | None = None,
    **member_fields,
) -> Enrollment:
    return Enrollment.objects.create(
        member=make_member(regency, full_name=name, **member_fields),
        kind="bpu",
        payer=payer,
        sponsor_programme=programme,
        status=status,
        requested_start=JAN,
        coverage_start=JAN,
        submitted_office=office,
    )


def bill(enrollment: Enrollment, month: date, amount: int, *, paid: int = 0, payer: str = "") -> Bill:
    """A bill of the enrollment's payer (or of `payer`: the participant's share of a sponsored one)."""
    payer = payer or enrollment.payer
    return bills_insert(
        [
            Bill(
                enrollment=enrollment,
                month=month,
                payer=payer,
                sponsor_programme=enrollment.sponsor_programme if payer == "sponsor" else None,
                amount=amount,
                paid=paid,
                due_date=month.replace(day=15),
            )
        ]
    )[0]


@pytest.fixture
def ntb(db):
    """A Kota Mataram programme: three participants (plus a draft and a rejected request, which are not
    participants), billed in January and February, partly paid."""
    programme = make_programme(
        "52",
        regency_id=MATARAM,
        name="Perlindungan UMKM Mataram",
        sponsor="Pemerintah Kota Mataram",
        legal_basis="Perwali Mataram 12/2025",
        first_month=JAN,
        last_month=date(2026, 12, 1),
        sponsor_percent=100,
        budget=1_000_000,
    )
    people = [
        participant(programme, name="Baiq Nurul Aini", nik=BAIQ_NIK, birth=date(1979, 3, 3)),
        participant(programme, name="Lalu Ahmad Zaini"),
        participant(programme, name="Made Saputra", status="lapsed"),
    ]
    participant(programme, name="Dewi Draf", status="draft")
    participant(programme, name="Rina Ditolak", status="rejected")
    bills = [bill(people[0], JAN, 11_800, paid=11_800), bill(people[1], JAN, 11_800, paid=5_000)]
    bills += [bill(person, FEB, 11_800) for person in people]
    return programme, people, bills


# Scoping and roles


def test_another_regions_users_see_nothing_of_the_programme(ntb):
    programme, _people, _bills = ntb
    manado = client_for(user_in(MANADO, Role.FINANCE, Role.OPERATOR))
    listing = manado.get(reverse("contributions:programme_list"), {"q": "Mataram"})
    assert listing.status_code == 200
    assert list(listing.context["rows"]) == []
    for name in ("programme_detail", "programme_edit", "programme_invoice"):
        assert manado.get(reverse(f"contributions:{name}", args=[programme.pk])).status_code == 404, name
    response = manado.post(
        reverse("contributions:programme_payment", args=[programme.pk]),
        {"reference": "SP2D-1", "amount": "11800", "received_on": "2026-02-20"},
    )
    assert response.status_code == 404
    assert not Payment.objects.exists()
    totals = manado.get(reverse("contributions:totals"))
    assert totals.status_code == 200
    assert totals.context["payer_rows"] == []
    assert list(totals.context["page_obj"]) == []
    assert b"Perlindungan UMKM Mataram" not in totals.content


def test_a_province_programme_is_seen_by_the_province_office_not_by_a_regency_office(db):
    province_wide = make_programme("52", name="APBD NTB berbagi")
    city = make_programme("52", regency_id=MATARAM, name="APBD Mataram")
    url = reverse("contributions:programme_list")
    province = client_for(user_in(MATARAM, Role.FINANCE, province_office=True))
    regency = client_for(user_in(MATARAM, Role.FINANCE))
    assert {row["programme"] for row in province.get(url).context["rows"]} == {province_wide, city}
    assert {row["programme"] for row in regency.get(url).context["rows"]} == {city}
    assert regency.get(reverse("contributions:programme_detail", args=[province_wide.pk])).status_code == 404


def test_roles_decide_who_records_payments_edits_invoices_and_reads_totals(ntb):
    programme, _people, _bills = ntb
    operator = client_for(user_in(MATARAM, Role.OPERATOR))
    detail = operator.get(reverse("contributions:programme_detail", args=[programme.pk]))
    assert detail.status_code == 200
    assert not detail.context["can_record"]
    assert b'id="record"' not in detail.content
    payment = operator.post(
        reverse("contributions:programme_payment", args=[programme.pk]),
        {"reference": "SP2D-1", "amount": "11800", "received_on": "2026-02-20"},
    )
    assert payment.status_code == 403
    assert operator.get(reverse("contributions:programme_create")).status_code == 403
    assert operator.get(reverse("contributions:programme_edit", args=[programme.pk])).status_code == 403
    assert operator.get(reverse("contributions:programme_invoice", args=[programme.pk])).status_code == 403
    assert operator.get(reverse("contributions:totals")).status_code == 403
    viewer = client_for(UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.NATIONAL_VIEWER]))
    assert viewer.get(reverse("contributions:totals")).status_code == 200
    assert viewer.get(reverse("contributions:programme_create")).status_code == 403


# The list and the detail


def test_the_list_shows_participants_months_share_and_money_of_each_programme(ntb):
    programme, _people, _bills = ntb
    other = make_programme("52", regency_id=MATARAM, name="Program Tanpa Tagihan", sponsor_percent=60)
    client = client_for(user_in(MATARAM, Role.OPERATOR))
    response = client.get(reverse("contributions:programme_list"))
    rows = {row["programme"].pk: row for row in response.context["rows"]}
    assert set(rows) == {programme.pk, other.pk}
    mataram = rows[programme.pk]
    billed = 11_800 * 5
    paid = 11_800 + 5_000
    assert mataram["months"] == 12
    assert mataram["programme"].participants == 3
    assert (mataram["programme"].billed, mataram["programme"].paid) == (billed, paid)
    assert mataram["programme"].open == billed - paid
    assert mataram["programme"].sponsor_percent == 100
    empty = rows[other.pk]["programme"]
    assert (empty.participants, empty.billed, empty.paid, empty.open) == (0, 0, 0, 0)
    assert rows[other.pk]["months"] == 7 * 12
    assert response.context["paginator"].count == 2
    searched = client.get(reverse("contributions:programme_list"), {"q": "tanpa"})
    assert [row["programme"].pk for row in searched.context["rows"]] == [other.pk]


def test_the_list_is_paginated_and_costs_the_same_queries_for_more_programmes(db):
    client = client_for(user_in(MATARAM, Role.OPERATOR))
    url = reverse("contributions:programme_list")
    for n in range(3):
        make_programme("52", regency_id=MATARAM, name=f"Program {n}")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 40):
        make_programme("52", regency_id=MATARAM, name=f"Program {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["paginator"].count == 40
    assert len(response.context["rows"]) == 30
    assert len(client.get(url, {"page": 2}).context["rows"]) == 10


def test_the_detail_shows_the_months_the_participants_and_the_payments(ntb):
    programme, people, _bills = ntb
    client = client_for(user_in(MATARAM, Role.FINANCE))
    response = client.get(reverse("contributions:programme_detail", args=[programme.pk]))
    assert response.status_code == 200
    context = response.context
    assert context["participant_count"] == 3
    assert (context["bill_count"], context["billed"], context["paid"]) == (5, 59_000, 16_800)
    assert context["open"] == 59_000 - 16_800
    assert context["budget_left"] == 1_000_000 - 59_000
    months = [
        (row["month"], row["count"], row["billed"], row["paid"], row["open"]) for row in context["months"]
    ]
    assert months == [(FEB, 3, 35_400, 0, 35_400), (JAN, 2, 23_600, 16_800, 6_800)]
    listed = [e.member.full_name for e in context["page_obj"]]
    assert listed == ["Baiq Nurul Aini", "Lalu Ahmad Zaini", "Made Saputra"]
    page = response.content.decode()
    first = people[0].member
    assert first.nik_masked in page
    assert BAIQ_NIK not in page
    assert "Dewi Draf" not in page
    # The search box is posted: the URL carries a token, never the typed name.
    url = reverse("contributions:programme_detail", args=[programme.pk])
    posted = client.post(url, {"q": "zaini"})
    assert posted.status_code == 302
    assert "zaini" not in posted["Location"].lower()
    assert re.match(rf"^{url}\?s=[\w-]+#participants$", posted["Location"])
    searched = client.get(posted["Location"])
    assert [e.member.full_name for e in searched.context["page_obj"]] == ["Lalu Ahmad Zaini"]
    # A name typed into the URL itself finds nothing (it would be in the access log).
    assert len(client.get(url, {"q": "zaini"}).context["page_obj"]) == 3


# Recording a sponsor's payment


def test_a_sponsor_payment_pays_the_oldest_bills_and_the_same_reference_twice_is_one(ntb):
    programme, _people, bills = ntb
    finance = user_in(MATARAM, Role.FINANCE)
    client = client_for(finance)
    url = reverse("contributions:programme_payment", args=[programme.pk])
    data = {"reference": "SP2D-0042/2026", "amount": "30000", "received_on": "2026-02-20", "note": "Termin 1"}
    first = client.post(url, data)
    assert first.status_code == 302
    assert first["Location"] == reverse("contributions:programme_detail", args=[programme.pk])
    again = client.post(url, {**data, "reference": " sp2d-0042/2026 "})
    assert again.status_code == 302
    payment = Payment.objects.get()
    assert (payment.payer, payment.sponsor_programme, payment.enrollment) == ("sponsor", programme, None)
    assert (payment.amount, payment.recorded_by) == (30_000, finance)
    # January's open 6.800 first, then February's bills in order.
    assert Allocation.objects.filter(payment=payment).count() == 3
    paid = {b.pk: b.paid for b in Bill.objects.all()}
    assert paid[bills[1].pk] == 11_800
    assert [paid[b.pk] for b in bills[2:]] == [11_800, 11_400, 0]
    assert AuditEntry.objects.filter(action="contributions.payment.recorded").count() == 1
    detail = client.get(reverse("contributions:programme_detail", args=[programme.pk]))
    assert [p.reference for p in detail.context["payments"]] == ["SP2D-0042/2026"]
    assert detail.context["paid"] == 16_800 + 30_000


def test_a_refused_payment_is_explained_in_the_form(ntb):
    programme, _people, _bills = ntb
    client = client_for(user_in(MATARAM, Role.FINANCE))
    url = reverse("contributions:programme_payment", args=[programme.pk])
    client.post(url, {"reference": "SP2D-7", "amount": "11800", "received_on": "2026-02-20"})
    reused = client.post(url, {"reference": "SP2D-7", "amount": "20000", "received_on": "2026-02-20"})
    assert reused.status_code == 400
    assert "sudah dipakai" in " ".join(reused.context["form"].non_field_errors())
    invalid = client.post(url, {"reference": "", "amount": "-5", "received_on": "2999-01-01"})
    assert invalid.status_code == 400
    assert set(invalid.context["form"].errors) == {"reference", "amount", "received_on"}
    assert Payment.objects.count() == 1


# Creating and editing a programme


def programme_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Perlindungan Pedagang Pasar",
        "sponsor": "Pemerintah Kota Mataram",
        "legal_basis": "Perwali Mataram 3/2026",
        "province": "52",
        "regency": MATARAM,
        "first_month": "2026-09",
        "last_month": "2026-12",
        "sponsor_percent": "100",
        "budget": "50000000",
        **overrides,
    }


def test_a_finance_officer_creates_a_programme_of_the_area_and_it_is_audited(db):
    finance = user_in(MATARAM, Role.FINANCE)
    response = client_for(finance).post(reverse("contributions:programme_create"), programme_form())
    programme = SponsorProgramme.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contributions:programme_detail", args=[programme.pk])
    assert (programme.regency_id, programme.first_month, programme.last_month) == (
        MATARAM,
        date(2026, 9, 1),
        date(2026, 12, 1),
    )
    assert programme.budget == 50_000_000
    entry = AuditEntry.objects.get(action="contributions.programme.created")
    assert (entry.actor, entry.object_id, entry.region_code) == (finance, str(programme.pk), MATARAM)
    assert entry.changes["name"] == [None, "Perlindungan Pedagang Pasar"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_month": "2026-12", "last_month": "2026-09"}, "last_month"),
        ({"first_month": "September 2026"}, "first_month"),
        ({"first_month": "1990-01"}, "first_month"),  # written right, out of range: said so
        ({"first_month": "2026-13"}, "first_month"),  # not a month
        ({"first_month": "2099-01", "last_month": "2099-12"}, "first_month"),  # a typo for 2029
        ({"first_month": "2026-09", "last_month": "2046-12"}, "last_month"),  # twenty years
        ({"sponsor_percent": "101"}, "sponsor_percent"),
        ({"sponsor_percent": "-1"}, "sponsor_percent"),
        ({"budget": "-1"}, "budget"),
        ({"regency": LOMBOK_BARAT}, "regency"),  # another regency of the same province
        ({"regency": ""}, "regency"),  # the whole province: not for a regency office
        ({"province": "71", "regency": MANADO}, "province"),  # a province outside the area
        ({"regency": MANADO}, "regency"),  # not in the chosen province
    ],
)
def test_the_programme_form_refuses_with_the_reason_beside_the_field(db, overrides, field):
    client = client_for(user_in(MATARAM, Role.FINANCE))
    response = client.post(reverse("contributions:programme_create"), programme_form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    said = {"1990-01": "dari tahun 2000 sampai 2100", "2026-13": "TTTT-BB", "September 2026": "TTTT-BB"}
    if overrides.get("first_month") in said:  # a month out of range is not told to change its format
        assert said[overrides["first_month"]] in str(response.context["form"].errors["first_month"])
    assert not SponsorProgramme.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="contributions.programme").exists()


def test_a_province_office_creates_a_programme_of_the_whole_province_and_an_administrator_anywhere(db):
    province = client_for(user_in(MATARAM, Role.FINANCE, province_office=True))
    assert (
        province.post(reverse("contributions:programme_create"), programme_form(regency="")).status_code
        == 302
    )
    admin = client_for(UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR]))
    response = admin.post(
        reverse("contributions:programme_create"), programme_form(province="71", regency="", name="Sulut")
    )
    assert response.status_code == 302
    assert set(SponsorProgramme.objects.values_list("province_id", "regency_id")) == {
        ("52", None),
        ("71", None),
    }


def test_the_service_itself_refuses_a_region_outside_the_area(db):
    finance = user_in(MATARAM, Role.FINANCE)
    data = {
        "name": "Program Manado",
        "sponsor": "Pemerintah Kota Manado",
        "province_id": "71",
        "regency_id": MANADO,
        "first_month": JAN,
        "last_month": FEB,
    }
    with pytest.raises(ProgrammeError):
        programme_create(data=data, actor=finance)
    with pytest.raises(ProgrammeError):
        programme_create(data={**data, "province_id": "52", "regency_id": None}, actor=finance)
    assert not SponsorProgramme.objects.exists()


def test_editing_a_programme_saves_the_changes_and_audits_them(ntb):
    programme, _people, _bills = ntb
    client = client_for(user_in(MATARAM, Role.FINANCE))
    url = reverse("contributions:programme_edit", args=[programme.pk])
    assert client.get(url).status_code == 200
    data = programme_form(
        name=programme.name,
        sponsor=programme.sponsor,
        legal_basis=programme.legal_basis,
        first_month="2026-01",
        last_month="2027-06",
        sponsor_percent="80",
        budget="2000000",
    )
    assert client.post(url, data).status_code == 302
    programme.refresh_from_db()
    assert (programme.last_month, programme.sponsor_percent, programme.budget) == (
        date(2027, 6, 1),
        80,
        2_000_000,
    )
    entry = AuditEntry.objects.get(action="contributions.programme.updated")
    assert set(entry.changes) == {"last_month", "sponsor_percent", "budget"}
    # Saving unchanged writes no entry.
    assert client.post(url, data).status_code == 302
    assert AuditEntry.objects.filter(action="contributions.programme.updated").count() == 1


# The invoice


def test_the_invoice_is_a_pdf_of_the_latest_month_with_pages_for_many_participants(db):
    programme = make_programme("52", regency_id=MATARAM, name="Program Besar")
    people = [participant(programme, name=f"Peserta {n:03d}") for n in range(120)]
    bills_insert(
        Bill(
            enrollment=person,
            month=month,
            payer="sponsor",
            sponsor_programme=programme,
            amount=11_800,
            due_date=month.replace(day=15),
        )
        for person in people
        for month in (JAN, FEB)
    )
    client = client_for(user_in(MATARAM, Role.FINANCE))
    response = client.get(reverse("contributions:programme_invoice", args=[programme.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="tagihan-program-{programme.pk}-2026-02.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) > 1
    entry = AuditEntry.objects.get(action="contributions.programme.invoice_downloaded")
    assert entry.changes == {"month": [None, "2026-02"], "bills": [None, 120]}
    january = client.get(
        reverse("contributions:programme_invoice", args=[programme.pk]), {"bulan": "2026-01"}
    )
    assert january["Content-Disposition"].endswith('-2026-01.pdf"')
    bad = client.get(
        reverse("contributions:programme_invoice", args=[programme.pk]), {"bulan": "Januari"}, follow=True
    )
    assert "Tidak ada tagihan untuk bulan itu" in bad.content.decode()  # on the programme's page
    empty = client.get(
        reverse("contributions:programme_invoice", args=[programme.pk]), {"bulan": "2026-06"}, follow=True
    )
    assert empty.get("Content-Type", "").startswith("text/html")  # no PDF of Rp 0
    assert "belum punya tagihan untuk 06/2026" in empty.content.decode()


def invoice_programme(people: int) -> SponsorProgramme:
    programme = make_programme("52", regency_id=MATARAM, name="Program Besar")
    bills_insert(
        Bill(
            enrollment=participant(programme, name=f"Peserta {n:03d}"),
            month=FEB,
            payer="sponsor",
            sponsor_programme=programme,
            amount=11_800,
            due_date=FEB.replace(day=15),
        )
        for n in range(people)
    )
    return programme


def test_a_large_invoice_is_made_by_a_job_and_downloaded_by_its_maker_only(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.INVOICE_DIRECT_LIMIT = 10
    programme = invoice_programme(25)
    finance = user_in(MATARAM, Role.FINANCE)
    client = client_for(finance)
    url = reverse("contributions:programme_invoice", args=[programme.pk])

    page = client.get(url, {"bulan": "2026-02"})
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert 'data-testid="invoice-make"' in page.content.decode()
    assert not Job.objects.exists()  # a GET asks for nothing
    response = client.post(f"{url}?bulan=2026-02")
    job = Job.objects.get(kind=Job.Kind.SPONSOR_INVOICE)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert client.post(f"{url}?bulan=2026-02")["Location"] == response["Location"]  # the same job again
    assert Job.objects.filter(kind=Job.Kind.SPONSOR_INVOICE).count() == 1
    assert set(job.params) == {"programme", "month", "issued_on", "language", "name"}
    assert "Peserta" not in json.dumps(job.params)

    invoicing.invoice_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.total, job.result["bills"]) == (25, 25, 25)
    path = tmp_path / "exports" / job.result["file"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert job.result["download_url"] in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    downloaded = client.get(job.result["download_url"])
    assert downloaded["Content-Type"] == "application/pdf"
    pdf = downloaded.getvalue()
    assert pdf.startswith(b"%PDF-")
    assert f'filename="tagihan-program-{programme.pk}-2026-02.pdf"' in downloaded["Content-Disposition"]
    entry = AuditEntry.objects.get(action="contributions.programme.invoice_downloaded")
    assert (entry.actor, entry.object_id) == (finance, str(programme.pk))
    assert entry.changes == {"month": [None, "2026-02"], "bills": [None, 25]}
    # The same invoice made at once has the same pages.
    settings.INVOICE_DIRECT_LIMIT = 100
    assert page_count(client.get(url, {"bulan": "2026-02"}).content) == page_count(pdf)
    settings.INVOICE_DIRECT_LIMIT = 10
    # The invoice page offers the file kept.
    assert job.result["download_url"] in client.get(url, {"bulan": "2026-02"}).content.decode()

    # A colleague of the same office sees no file: only its maker downloads it.
    colleague = client_for(user_in(MATARAM, Role.FINANCE)).get(job.result["download_url"])
    assert colleague["Content-Type"].startswith("text/html")
    assert b"%PDF" not in colleague.content

    # Deleted with the exports after EXPORT_KEEP_DAYS: the page then says so and offers to ask again.
    assert exports.exports_purge(now=timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS + 1)) == 1
    assert not path.exists()
    gone = client.get(job.result["download_url"]).content.decode()
    assert f"{url}?bulan=2026-02" in gone
    assert job.result["download_url"] not in client.get(url, {"bulan": "2026-02"}).content.decode()


def test_an_invoice_job_of_a_programme_out_of_the_makers_area_fails(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.INVOICE_DIRECT_LIMIT = 1
    programme = invoice_programme(3)
    finance = user_in(MATARAM, Role.FINANCE)
    client_for(finance).post(reverse("contributions:programme_invoice", args=[programme.pk]))
    job = Job.objects.get(kind=Job.Kind.SPONSOR_INVOICE)
    finance.office = OfficeFactory.diskop_regency(MANADO)
    finance.save()
    invoicing.invoice_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert not (tmp_path / "exports").exists() or not any((tmp_path / "exports").iterdir())


def test_an_invoice_job_started_too_many_times_is_given_up(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.INVOICE_DIRECT_LIMIT = 1
    programme = invoice_programme(3)
    client_for(user_in(MATARAM, Role.FINANCE)).post(
        reverse("contributions:programme_invoice", args=[programme.pk])
    )
    job = Job.objects.get(kind=Job.Kind.SPONSOR_INVOICE)
    Job.objects.filter(pk=job.pk).update(attempts=exports.MAX_ATTEMPTS)  # job_start adds the next one
    invoicing.invoice_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert not (tmp_path / "exports").exists() or not any((tmp_path / "exports").iterdir())


@pytest.mark.worker
def test_a_large_invoice_is_made_by_a_real_worker(celery_worker_process, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.INVOICE_DIRECT_LIMIT = 100
    programme = invoice_programme(450)
    client = client_for(user_in(MATARAM, Role.FINANCE))
    client.post(reverse("contributions:programme_invoice", args=[programme.pk]) + "?bulan=2026-02")
    job = Job.objects.get(kind=Job.Kind.SPONSOR_INVOICE)
    assert job.params["month"] == "2026-02-01"
    celery_worker_process(extra_env={"DATA_DIR": str(tmp_path), "INVOICE_DIRECT_LIMIT": "100"})

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=120, interval=0.2)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.attempts) == (450, 1)
    pdf = client.get(job.result["download_url"]).getvalue()
    assert page_count(pdf) > 5


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def test_the_invoice_lists_every_bill_with_masked_nik_totals_and_page_numbers():
    lines = [
        InvoiceLine(name=f"Peserta {n:03d}", nik_masked="527101******0001", kpj="12345678901", amount=11_800)
        for n in range(120)
    ]
    invoice = Invoice(
        number=invoice_number(7, FEB),
        sponsor="Pemerintah Kota Mataram",
        programme="Perlindungan UMKM Mataram",
        region="Kota Mataram",
        legal_basis="Perwali Mataram 12/2025",
        month=FEB,
        issued_on=date(2026, 2, 2),
        due_date=date(2026, 2, 15),
        sponsor_percent=100,
        count=120,
        total=120 * 11_800,
        paid=0,
        issuer="Diskop Kota Mataram",
        lines=iter(lines),
    )
    pdf = render_invoice(invoice, invariant=True, compress=False)
    assert pdf == render_invoice(
        Invoice(**{**invoice.__dict__, "lines": iter(lines)}), invariant=True, compress=False
    )
    pages = page_count(pdf)
    assert pages == 3
    for n in (0, 59, 119):
        assert f"(Peserta {n:03d})".encode() in pdf
    assert pdf.count(b"(527101******0001)") == 120
    assert b"TAG-PRG00007-202602" in pdf
    assert b"Rp 1.416.000" in pdf
    assert b"Perwali Mataram 12/2025" in pdf
    # "Page x of y" (Indonesian once the translations are merged) on every page: the last number is the count.
    footers = re.findall(rb"\((?:Page|Halaman) (\d+) (?:of|dari) (\d+)\)", pdf)
    assert footers == [(str(n).encode(), str(pages).encode()) for n in range(1, pages + 1)]


# Totals


def test_the_totals_sum_the_areas_bills_by_payer_programme_and_office(db):
    programme = make_programme("52", regency_id=MATARAM, name="APBD Mataram", sponsor_percent=60)
    office_a = OfficeFactory.diskop_regency(MATARAM, name="Diskop Kota Mataram")
    office_b = OfficeFactory.branch([MATARAM], name="BPJAMSOSTEK Cabang Mataram")
    sponsored = participant(programme, office=office_a)
    own = participant(None, payer="self", office=office_a)
    employed = participant(None, payer="employer", office=office_b)
    banked = participant(None, payer="bank", office=office_b)
    member_of = participant(None, payer="cooperative", office=None)
    rows = [
        bill(sponsored, JAN, 7_080, paid=7_080),
        bill(sponsored, JAN, 4_720, payer="self"),
        bill(sponsored, FEB, 7_080),
        bill(own, JAN, 16_800, paid=16_800),
        bill(own, FEB, 16_800, paid=10_000),
        bill(employed, JAN, 12_500),
        bill(banked, FEB, 16_800, paid=16_800),
        bill(member_of, FEB, 11_800, paid=1_000),
    ]
    # Another region's bills and programme count nowhere.
    manado = make_programme("71", regency_id=MANADO, name="APBD Manado")
    bill(participant(manado, MANADO), JAN, 11_800)
    client = client_for(user_in(MATARAM, Role.FINANCE))
    url = reverse("contributions:totals")

    for month in (None, JAN, FEB):
        chosen = [b for b in rows if month is None or b.month == month]
        response = client.get(url, {"bulan": f"{month:%Y-%m}"} if month else {})
        assert response.status_code == 200
        context = response.context

        def expected(key, chosen=chosen):
            sums: dict = {}
            for b in chosen:
                group = sums.setdefault(key(b), {"count": 0, "billed": 0, "paid": 0})
                group["count"] += 1
                group["billed"] += b.amount
                group["paid"] += b.paid
            return {k: {**v, "open": v["billed"] - v["paid"]} for k, v in sums.items()}

        by_payer = {
            r["code"]: {k: r[k] for k in ("count", "billed", "paid", "open")} for r in context["payer_rows"]
        }
        assert by_payer == expected(lambda b: b.payer)
        assert [r["code"] for r in context["payer_rows"]] == [
            code for code in ("self", "employer", "sponsor", "bank", "cooperative") if code in by_payer
        ]
        by_office = {
            r["enrollment__submitted_office"]: {k: r[k] for k in ("count", "billed", "paid", "open")}
            for r in context["office_rows"]
        }
        assert by_office == expected(lambda b: b.enrollment.submitted_office_id)
        programmes = {p.pk: (p.count, p.billed, p.paid, p.open) for p in context["page_obj"]}
        sponsor_bills = [b for b in chosen if b.payer == "sponsor"]
        billed = sum(b.amount for b in sponsor_bills)
        paid = sum(b.paid for b in sponsor_bills)
        assert programmes == {programme.pk: (len(sponsor_bills), billed, paid, billed - paid)}
        total = sum(b.amount for b in chosen), sum(b.paid for b in chosen)
        assert (context["payer_total"]["billed"], context["payer_total"]["paid"]) == total
        assert (context["office_total"]["billed"], context["office_total"]["paid"]) == total
        assert "APBD Manado" not in response.content.decode()


def test_the_totals_take_one_query_per_table_whatever_the_number_of_bills(db):
    programme = make_programme("52", regency_id=MATARAM)
    client = client_for(user_in(MATARAM, Role.FINANCE))
    url = reverse("contributions:totals")
    bill(participant(programme), JAN, 11_800)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(20):
        office = OfficeFactory.diskop_regency(MATARAM)
        enrollment = participant(
            programme if n % 2 else None, payer="sponsor" if n % 2 else "self", office=office
        )
        bill(enrollment, JAN, 11_800)
        bill(enrollment, FEB, 11_800, paid=n)
    make_programme("52", regency_id=MATARAM, name="Program Kedua")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert len(response.context["office_rows"]) == 21


def test_an_unreadable_month_shows_all_months_and_says_so(ntb):
    client = client_for(user_in(MATARAM, Role.FINANCE))
    response = client.get(reverse("contributions:totals"), {"bulan": "bulan lalu"})
    assert response.status_code == 200
    assert response.context["month_error"]
    assert response.context["month"] is None
    assert response.context["payer_total"]["billed"] == 59_000
