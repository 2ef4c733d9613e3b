"""The arrears list and its export: the numbers against the bills, the filters, the scoping, formula-safe
cells with masked NIKs, the audit entry, and a large export written by a real Celery worker."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from contributions.arrears import late_fee_of
from contributions.billing import run_month
from contributions.list_exports import ARREARS
from contributions.models import Bill, SponsorProgramme
from contributions.payments import payment_record
from members.models import Enrollment
from tests.conftest import wait_until
from tests.factories import (
    OfficeFactory,
    UserFactory,
    first_district,
    make_member,
    make_programme,
    make_submitted_enrollments,
    nik_for,
)
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.exports import files, services
from umkm_enroll.jobs.models import Job

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
TODAY = NOW.date()
JUL, AUG, SEP, OCT, NOV = (date(2026, month, 1) for month in range(7, 12))
FORMULA_NAME = '=HYPERLINK("http://contoh.id/x","klik")'
MASKED_NIK = re.compile(r"^\d{6}\*{6}\d{4}$")


# The full NIK of each person made here: it must never appear on a page or in a file.
FULL_NIK: dict[int, str] = {}


def enroll(
    name: str, regency: str = "52.71", *, kind: str = "bpu", start: date = JUL, **fields
) -> Enrollment:
    nik = nik_for(regency, first_district(regency)[-2:], date(1985, 6, 15), "P")
    member = make_member(regency, full_name=name, nik=nik)
    FULL_NIK[member.pk] = nik
    extra = {"risk_class": "very_low", "scheme": "flat-11800"} if kind == "pu" else {}
    return Enrollment.objects.create(
        member=member,
        kind=kind,
        status="active",
        requested_start=start,
        coverage_start=start,
        **extra,
        **fields,
    )


def expected(enrollment: Enrollment, *, payer: str = "") -> dict:
    """What the list must say, worked out bill by bill in Python (arrears.late_fee_of per bill)."""
    bills = list(
        Bill.objects.filter(enrollment=enrollment, due_date__lt=TODAY, **({"payer": payer} if payer else {}))
        .open()
        .select_related("enrollment")
    )
    return {
        "months_unpaid": len({bill.month for bill in bills}),
        "owed": sum(bill.amount - bill.paid for bill in bills),
        "late_fee": sum(late_fee_of(bill, TODAY) for bill in bills),
        "oldest_month": min(bill.month for bill in bills),
    }


def finance_of(office) -> User:
    return UserFactory.create(office=office, roles=[Role.FINANCE])


def client_of(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@dataclass
class Area:
    siti: Enrollment  # BPU, pays herself, July paid and Rp 100 of August
    budi: Enrollment  # PU, employer pays nothing: late fees
    paid: Enrollment  # everything paid: not in arrears
    not_due: Enrollment  # PU from November: due 15 December
    bima: Enrollment  # Kota Bima, one month
    sponsored: Enrollment  # the provincial programme owes October and November
    manado: Enrollment  # another province
    programme: SponsorProgramme
    finance: User  # NTB province Diskop, finance officer

    @property
    def ntb(self) -> list[Enrollment]:
        return [self.siti, self.budi, self.paid, self.not_due, self.bima, self.sponsored]


@pytest.fixture
def on_the_21st(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the files of in-process jobs stay in the test's own directory
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def area(on_the_21st) -> Area:
    programme = make_programme("52", name="Program APBD NTB 2026")
    siti = enroll("Siti Rahmawati")
    budi = enroll("Budi Santoso", kind="pu", payer="employer")
    paid = enroll("Lalu Lunas")
    not_due = enroll("Made Baru", kind="pu", payer="employer", start=NOV)
    bima = enroll("Dewi Kurnia", "52.72", start=NOV)
    sponsored = enroll("Nur Hasanah", start=OCT, payer="sponsor", sponsor_programme=programme)
    manado = enroll("Grace Manado", "71.71")
    for month in (JUL, AUG, SEP, OCT, NOV):
        run_month(month)
    for reference, enrollment, amount in (("SITI-1", siti, 6_000), ("LUNAS-1", paid, 5 * 5_900)):
        payment_record(
            reference=reference, amount=amount, received_on=TODAY, actor=None, enrollment=enrollment
        )
    finance = finance_of(OfficeFactory.diskop_province("52"))
    return Area(siti, budi, paid, not_due, bima, sponsored, manado, programme, finance)


def listed(client: Client, **params) -> list:
    url = reverse("contributions:arrears")
    if params.get("q"):
        # A search is posted: the list's URL then carries a token for the text, never the text.
        posted = client.post(url, params)
        assert posted.status_code == 302
        location = posted["Location"]
        assert params["q"] not in location
        assert "q=" not in location
        assert "s=" in location
        response = client.get(location)
    else:
        response = client.get(url, params)
    assert response.status_code == 200
    return list(response.context["page_obj"].object_list)


def pks(rows: list) -> list[int]:
    return [row.pk for row in rows]


@pytest.mark.django_db
def test_the_list_shows_each_enrollment_with_what_its_due_bills_leave_unpaid(area):
    client = client_of(area.finance)
    response = client.get(reverse("contributions:arrears"))
    rows = {row.pk: row for row in response.context["page_obj"].object_list}

    assert set(rows) == {area.siti.pk, area.budi.pk, area.bima.pk, area.sponsored.pk}
    for enrollment in (area.siti, area.budi, area.bima, area.sponsored):
        row = rows[enrollment.pk]
        got = {key: getattr(row, key) for key in ("months_unpaid", "owed", "late_fee", "oldest_month")}
        assert got == expected(enrollment), enrollment.member.full_name

    # The worked numbers: BPU halved by PP 50/2025 (Rp 5.900); July and Rp 100 of August paid.
    assert (rows[area.siti.pk].months_unpaid, rows[area.siti.pk].owed) == (4, 4 * 5_900 - 100)
    assert rows[area.siti.pk].oldest_month == AUG
    assert rows[area.siti.pk].late_fee == 0
    # PU July to October, 11.800 each, 4 + 3 + 2 + 1 months late at 2%: 944 + 708 + 472 + 236.
    assert (rows[area.budi.pk].months_unpaid, rows[area.budi.pk].owed) == (4, 47_200)
    assert rows[area.budi.pk].late_fee == 2_360
    # APBD-paid: no relief, the programme owes the whole 11.800 of October and November.
    assert (rows[area.sponsored.pk].months_unpaid, rows[area.sponsored.pk].owed) == (2, 23_600)

    # Highest amount first; each row links to the statement and shows the NIK masked only.
    assert list(rows) == [area.budi.pk, area.sponsored.pk, area.siti.pk, area.bima.pk]
    content = response.content.decode()
    assert reverse("contributions:statement", args=[area.siti.pk]) in content
    assert area.siti.member.nik_masked in content
    assert not any(FULL_NIK[e.member_id] in content for e in area.ntb)
    assert response.context["paginator"].count == 4


@pytest.mark.django_db
def test_the_filters_narrow_the_list(area):
    client = client_of(area.finance)
    assert pks(listed(client, regency="52.72")) == [area.bima.pk]
    assert pks(listed(client, payer="employer")) == [area.budi.pk]
    assert pks(listed(client, kind="pu")) == [area.budi.pk]
    assert pks(listed(client, programme=area.programme.pk)) == [area.sponsored.pk]
    assert pks(listed(client, min_months=3)) == [area.budi.pk, area.siti.pk]
    assert pks(listed(client, q="rahmawati")) == [area.siti.pk]
    assert listed(client, status="lapsed") == []
    # Fewest months first; between equals, the smaller amount.
    assert pks(listed(client, sort="months")) == [area.bima.pk, area.sponsored.pk, area.siti.pk, area.budi.pk]
    # A payer filter counts that payer's bills only: the participant owes nothing of the sponsored months.
    assert pks(listed(client, payer="self", q="nur hasanah")) == []
    # The export form carries the query string of the page it is on (its filters, not the page number).
    page = client.get(
        reverse("contributions:arrears"), {"min_months": "3", "kind": "pu", "page": "1"}
    ).content.decode()
    assert '<input type="hidden" name="query" value="min_months=3&amp;kind=pu">' in page


@pytest.mark.django_db
def test_the_payer_filter_sums_only_that_payers_share(area):
    programme = make_programme("52", name="Program separuh", sponsor_percent=60)
    shared = enroll("Rina Separuh", start=OCT, payer="sponsor", sponsor_programme=programme)
    run_month(OCT)
    run_month(NOV)
    client = client_of(area.finance)
    [sponsor_share] = listed(client, programme=programme.pk)
    [own_share] = listed(client, payer="self", q="rina separuh")
    [everything] = listed(client, q="rina separuh")
    assert sponsor_share.owed == expected(shared, payer="sponsor")["owed"]
    assert own_share.owed == expected(shared, payer="self")["owed"]
    assert sponsor_share.owed + own_share.owed == everything.owed == expected(shared)["owed"]


@pytest.mark.django_db
def test_users_of_another_region_see_none_of_it(area):
    manado_finance = finance_of(OfficeFactory.diskop_regency("71.71"))
    client = client_of(manado_finance)
    assert pks(listed(client)) == [area.manado.pk]
    assert listed(client, q="siti") == []
    assert client.get(reverse("contributions:statement", args=[area.siti.pk])).status_code == 404
    # And the other way round.
    assert area.manado.pk not in pks(listed(client_of(area.finance)))
    # An export by them holds the header only.
    response = client.post(reverse("contributions:arrears_export"), {"format": "csv", "delimiter": ";"})
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert [int(row[0]) for row in rows[1:]] == [area.manado.pk]


def read_csv(content: bytes, delimiter: str = ";") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


@pytest.mark.django_db
def test_a_small_export_is_a_formula_safe_csv_with_masked_niks_and_is_audited(area):
    formula = enroll(FORMULA_NAME, start=OCT)
    run_month(OCT)
    run_month(NOV)
    client = client_of(area.finance)
    response = client.post(
        reverse("contributions:arrears_export"), {"format": "csv", "delimiter": ";", "min_months": "1"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response.content)
    assert len(rows[0]) == len(ARREARS.columns)
    body = {int(row[0]): row for row in rows[1:]}
    order = [area.budi, area.sponsored, area.siti, formula, area.bima]
    assert list(body) == [e.pk for e in order]

    for enrollment in order:
        row = body[enrollment.pk]
        member = enrollment.member
        want = expected(enrollment)
        assert row[2] == member.nik_masked
        assert MASKED_NIK.match(row[2])
        assert row[4] == member.regency.name
        assert row[5] == enrollment.kind.upper()
        assert (int(row[8]), row[9], int(row[10]), int(row[11])) == (
            want["months_unpaid"],
            f"{want['oldest_month']:%Y-%m}",
            want["owed"],
            want["late_fee"],
        )
    assert body[formula.pk][1] == "'" + FORMULA_NAME
    assert body[area.siti.pk][1] == "Siti Rahmawati"
    assert body[area.sponsored.pk][7] == "Program APBD NTB 2026"
    assert not any(FULL_NIK[e.member_id] in response.content.decode() for e in order)

    entry = AuditEntry.objects.get(action=services.EXPORTED)
    assert entry.actor == area.finance
    assert entry.changes["rows"] == [None, 5]
    assert entry.changes["format"] == [None, "csv"]
    assert entry.changes["filters"][1] == {"min_months": 1, "sort": "-owed"}
    logged = json.dumps(entry.changes) + entry.object_label
    assert "Siti" not in logged
    assert area.siti.member.nik_masked not in logged


@pytest.mark.django_db
def test_an_xlsx_export_stores_a_formula_as_text_and_the_search_is_not_logged(area):
    formula = enroll(FORMULA_NAME, start=OCT)
    run_month(OCT)
    run_month(NOV)
    client = client_of(area.finance)
    searched = client.post(reverse("contributions:arrears"), {"q": "hyperlink"})["Location"]
    response = client.post(
        reverse("contributions:arrears_export"), {"format": "xlsx", "query": searched.split("?", 1)[1]}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert len(rows) == 2
    name = rows[1][1]
    assert (name.value, name.data_type) == (FORMULA_NAME, "s")
    assert rows[1][0].value == formula.pk
    assert rows[1][10].value == expected(formula)["owed"]
    assert MASKED_NIK.match(rows[1][2].value)
    # Readable as opened: the header frozen and bold, amounts with thousands separators.
    assert sheet.freeze_panes == "A2"
    assert rows[0][0].font.bold
    assert rows[1][10].number_format == "#,##0"

    entry = AuditEntry.objects.get(action=services.EXPORTED)
    assert entry.changes["filters"][1]["q"] == "***"
    assert "hyperlink" not in json.dumps(entry.changes).lower()


@pytest.mark.django_db
def test_only_finance_officers_export(area):
    operator = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])
    client = client_of(operator)
    assert client.post(reverse("contributions:arrears_export"), {"format": "csv"}).status_code == 403
    assert pks(listed(client)) == pks(listed(client_of(area.finance)))


@pytest.mark.django_db
def test_a_large_export_becomes_a_job_whose_file_equals_the_direct_one(area, settings):
    client = client_of(area.finance)
    params = {"format": "csv", "delimiter": ";"}
    direct = client.post(reverse("contributions:arrears_export"), params).content

    settings.EXPORT_DIRECT_LIMIT = 3
    settings.EXPORT_CHUNK = 2
    response = client.post(reverse("contributions:arrears_export"), params)
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.total == 4
    assert job.created_by == area.finance
    assert "q" not in job.params["filters"]

    # The test's transaction never commits, so nothing was queued: run the task's body here.
    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.result["rows"]) == (4, 4)
    downloaded = client.get(reverse("contributions:arrears_download", args=[job.pk]))
    assert downloaded.status_code == 200
    assert downloaded.getvalue() == direct
    made = services.export_file_of(job)
    assert made is not None
    assert oct(os.stat(made).st_mode & 0o777) == oct(0o600)  # personal data: the server's user only
    assert AuditEntry.objects.filter(action=services.EXPORTED, object_id=str(job.pk)).count() == 1
    assert AuditEntry.objects.filter(action=services.DOWNLOADED, object_id=str(job.pk)).count() == 1

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert reverse("exports:download", args=[job.pk]) in page

    # Only its creator downloads it: a colleague does not see the job, a national user sees a page saying
    # whose it is (not the file), another region gets nothing.
    colleague = finance_of(area.finance.office)
    other = client_of(colleague).get(reverse("contributions:arrears_download", args=[job.pk]))
    assert other.status_code == 404
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=list(Role.values))
    page_only = client_of(admin).get(reverse("contributions:arrears_download", args=[job.pk]))
    assert page_only.status_code == 200
    assert page_only["Content-Type"].startswith("text/html")
    manado = finance_of(OfficeFactory.diskop_regency("71.71"))
    assert client_of(manado).get(reverse("contributions:arrears_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_resumed_export_cuts_off_what_a_lost_worker_wrote_after_its_last_commit(area, settings):
    client = client_of(area.finance)
    params = {"format": "csv", "delimiter": ","}
    direct = client.post(reverse("contributions:arrears_export"), params).content
    settings.EXPORT_DIRECT_LIMIT = 1
    settings.EXPORT_CHUNK = 2
    client.post(reverse("contributions:arrears_export"), params)
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)

    # As a killed worker leaves it: the header and the first chunk committed, half a chunk more written.
    committed = b"".join(direct.splitlines(keepends=True)[:3])
    path = services.exports_dir() / f"{job.params['name']}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(committed + b"42,Lost Worker,520101******0001")
    job.status = Job.Status.RUNNING
    job.result = {"cursor": 2, "rows": 2, "bytes": len(committed)}
    job.done = 2
    job.save()

    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.result["rows"]) == (4, 4)
    assert path.read_bytes() == direct


@pytest.mark.django_db
def test_old_export_files_are_deleted_and_their_jobs_say_so(area, settings):
    settings.EXPORT_DIRECT_LIMIT = 1
    client = client_of(area.finance)
    client.post(reverse("contributions:arrears_export"), {"format": "xlsx"})
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)
    services.export_run(job.pk)
    job.refresh_from_db()
    path = services.export_file_of(job)
    assert path is not None
    assert openpyxl.load_workbook(path).active.max_row == 5
    assert not path.with_suffix(".jsonl").exists()

    later = NOW.replace(year=2027)
    os.utime(path, (NOW.timestamp(), NOW.timestamp()))
    with time_machine.travel(later, tick=False):
        Job.objects.filter(pk=job.pk).update(finished_at=NOW)
        assert services.exports_purge() >= 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.result["expired"] is True
    response = client.get(reverse("contributions:arrears_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+62812", "'+62812"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Siti", "Siti"),
        ("", ""),
        ("520101******0001", "520101******0001"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(text, safe):
    assert files.formula_safe(text) == safe


@pytest.mark.worker
def test_a_large_export_is_written_by_a_real_worker_and_downloaded(celery_worker_process, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    ids = make_submitted_enrollments(300, regency="52.71", operator=operator)
    Enrollment.objects.filter(pk__in=ids).update(status="active", coverage_start=SEP)
    run_month(SEP)
    run_month(OCT)
    finance = finance_of(OfficeFactory.diskop_regency("52.71"))
    settings.EXPORT_DIRECT_LIMIT = 50
    settings.EXPORT_CHUNK = 100

    client = client_of(finance)
    response = client.post(reverse("contributions:arrears_export"), {"format": "xlsx", "min_months": "2"})
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.total, job.params["chunk"]) == (300, 100)
    assert job.params["filters"]["min_months"] == 2
    celery_worker_process(extra_env={"DATA_DIR": str(tmp_path)})

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=120, interval=0.2)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.result["rows"], job.attempts) == (300, 300, 1)

    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert reverse("exports:download", args=[job.pk]) in page.content.decode()
    downloaded = client.get(reverse("contributions:arrears_download", args=[job.pk]))
    assert downloaded.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded.getvalue())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # All owe the same (September and October, Rp 5.900 each): the enrollment number breaks the tie.
    assert [row[0] for row in rows] == sorted(ids)
    assert {row[10] for row in rows} == {2 * 5_900}
    assert all(MASKED_NIK.match(str(row[2])) for row in rows)

    entry = AuditEntry.objects.get(action=services.EXPORTED)
    assert (entry.object_id, entry.actor_id, entry.changes["rows"]) == (str(job.pk), finance.pk, [None, 300])
    other = finance_of(OfficeFactory.diskop_regency("71.71"))
    assert client_of(other).get(reverse("contributions:arrears_download", args=[job.pk])).status_code == 404
