"""Exports of every list through the one mechanism (umkm_enroll/exports): the list's filters and search,
the user's scope, masked NIKs, formula-safe cells, the audit entries, and large exports as jobs (one
through a real Celery worker)."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from cards.models import CardStatus
from contributions.models import Bill
from members.models import Enrollment, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory, make_member, make_submitted_enrollments
from tests.helpers import login_verified
from tests.test_tenant_matrix import make_bill, make_card, make_payment
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.exports import files, registry, services
from umkm_enroll.jobs.models import Job

MASKED_NIK = re.compile(r"^\d{6}\*{6}\d{4}$")
FORMULA = '=HYPERLINK("http://contoh.id/x","klik")'


def client_of(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def user_in(regency: str, *roles: str) -> User:
    return UserFactory.create(office=OfficeFactory.diskop_regency(regency), roles=list(roles))


def read_csv(content: bytes, delimiter: str = ";") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def export(client: Client, url_name: str, query: str = "", **fields: str):
    return client.post(reverse(url_name), {"format": "csv", "delimiter": ";", "query": query, **fields})


def last_entry() -> AuditEntry:
    return AuditEntry.objects.filter(action=services.EXPORTED).latest("pk")


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.mark.django_db
def test_every_list_is_registered_with_a_masked_nik_column_and_its_own_export_url():
    names = set(registry.registered())
    assert names == {"people", "enrollments", "cards", "bills", "payments", "arrears"}
    for export in registry.registered().values():
        reverse(export.export_url)
        reverse(export.list_url)
        assert any("nik_masked" in column.path for column in export.columns), export.name
        assert not any(column.path.endswith(("nik_ciphertext", "nik_digest")) for column in export.columns)


@pytest.mark.django_db
def test_people_export_has_the_lists_filters_scope_masked_niks_and_formula_safe_cells():
    formula = make_member("52.71", full_name=FORMULA, aid_bpum=True)
    siti = make_member("52.71", full_name="Siti Aminah", aid_bpum=True)
    make_member("52.71", full_name="Budi Tanpa Bantuan")
    make_member("52.72", full_name="Dewi Bima", aid_bpum=True)  # another regency of the province
    make_member("71.71", full_name="Grace Manado", aid_bpum=True)  # another province: out of scope
    operator = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])
    client = client_of(operator)

    response = export(client, "members:export", "aid=bpum&regency=52.71&sort=name")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="orang-')
    rows = read_csv(response.content)
    assert rows[0] == registry.get("people").header
    body = {int(row[0]): row for row in rows[1:]}
    assert set(body) == {formula.pk, siti.pk}
    assert body[formula.pk][1] == "'" + FORMULA
    assert body[siti.pk][2] == siti.nik_masked
    assert all(MASKED_NIK.match(row[2]) for row in body.values())

    entry = last_entry()
    assert (entry.actor, entry.region_code) == (operator, "52.71")
    assert entry.changes["list"] == [None, "people"]
    assert entry.changes["rows"] == [None, 2]
    assert entry.changes["filters"][1] == {"aid": "bpum", "regency": "52.71", "sort": "name"}

    # The whole province without filters: Manado's person is not in the operator's scope.
    everyone = {int(row[0]) for row in read_csv(export(client, "members:export").content)[1:]}
    assert len(everyone) == 4
    assert not Member.objects.filter(pk__in=everyone, regency_id="71.71").exists()


@pytest.mark.django_db
def test_a_searched_people_list_exports_what_the_search_found_and_the_search_is_not_logged():
    siti = make_member("52.71", full_name="Siti Aminah")
    make_member("52.71", full_name="Budi Santoso")
    operator = user_in("52.71", Role.OPERATOR)
    client = client_of(operator)
    listed = client.post(reverse("members:list"), {"q": "aminah"})
    token = listed["Location"].split("s=")[1]
    assert "aminah" not in listed["Location"]

    page = client.get(listed["Location"]).content.decode()
    assert f'name="query" value="s={token}"' in page
    rows = read_csv(export(client, "members:export", f"s={token}").content)
    assert [int(row[0]) for row in rows[1:]] == [siti.pk]
    entry = last_entry()
    assert entry.changes["filters"][1] == {"q": "***"}
    assert "aminah" not in json.dumps(entry.changes).lower()


@pytest.mark.django_db
def test_an_xlsx_export_keeps_a_formula_as_text():
    member = make_member("52.71", full_name=FORMULA)
    client = client_of(user_in("52.71", Role.OPERATOR))
    response = export(client, "members:export", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2))
    assert rows[0][0].value == member.pk
    assert (rows[0][1].value, rows[0][1].data_type) == (FORMULA, "s")
    assert MASKED_NIK.match(rows[0][2].value)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+62", "'+62"),
        ("-2", "'-2"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
    ],
)
def test_csv_cells_starting_a_formula_get_an_apostrophe(text, safe):
    written = files.csv_lines([[text, 5]], ";")
    assert next(csv.reader(io.StringIO(written, newline=""), delimiter=";")) == [safe, "5"]
    assert files.formula_safe(text) == safe


@pytest.mark.django_db
def test_enrollments_export_follows_the_status_tab_and_the_operators_own_office():
    operator = user_in("52.71", Role.OPERATOR)
    ids = make_submitted_enrollments(3, regency="52.71", operator=operator)
    Enrollment.objects.filter(pk=ids[0]).update(status="active")
    colleague = user_in("52.71", Role.OPERATOR)  # another office of the same regency
    client = client_of(colleague)
    assert read_csv(export(client, "enrollments:export").content)[1:] == []
    rows = read_csv(export(client, "enrollments:export", "all=1&status=submitted").content)
    assert sorted(int(row[0]) for row in rows[1:]) == ids[1:]
    assert all(row[6] == "Diajukan" or row[6] == "Submitted" for row in rows[1:])
    assert last_entry().changes["filters"][1] == {"status": "submitted", "all": True}
    # Another region sees none of them.
    manado = client_of(user_in("71.71", Role.OPERATOR))
    assert read_csv(export(manado, "enrollments:export", "all=1").content)[1:] == []


@pytest.mark.django_db
def test_cards_export_by_status_for_card_admins_only():
    card = make_card("52.71", "Kartu")
    card_admin = user_in("52.71", Role.CARD_ADMIN)
    rows = read_csv(export(client_of(card_admin), "cards:export", f"status={CardStatus.ISSUED}").content)
    assert [int(row[0]) for row in rows[1:]] == [card.pk]
    assert MASKED_NIK.match(rows[1][3])
    assert read_csv(export(client_of(card_admin), "cards:export", "status=revoked").content)[1:] == []
    assert export(client_of(user_in("52.71", Role.OPERATOR)), "cards:export").status_code == 403


@pytest.mark.django_db
def test_bills_list_and_export_with_search_state_and_scope():
    bill = make_bill("52.71", "Tagih")
    other = make_bill("71.71", "Jauh")
    finance = user_in("52.71", Role.FINANCE)
    client = client_of(finance)
    page = client.get(reverse("contributions:bill_list"))
    assert page.status_code == 200
    assert [b.pk for b in page.context["page_obj"]] == [bill.pk]

    posted = client.post(reverse("contributions:bill_list"), {"q": "Tagih", "state": "open"})
    location = posted["Location"]
    assert "Tagih" not in location
    assert "state=open" in location
    listed = client.get(location)
    assert [b.pk for b in listed.context["page_obj"]] == [bill.pk]
    query = location.split("?", 1)[1]
    rows = read_csv(export(client, "contributions:bill_export", query).content)
    assert [int(row[0]) for row in rows[1:]] == [bill.pk]
    assert rows[1][2] == bill.enrollment.member.full_name
    assert MASKED_NIK.match(rows[1][3])
    assert (rows[1][7], int(rows[1][10]), int(rows[1][12])) == ("2026-01", 11_800, 0)
    assert last_entry().changes["filters"][1] == {"state": "open", "q": "***"}

    paid = read_csv(export(client, "contributions:bill_export", "state=paid").content)
    assert paid[1:] == []
    assert not Bill.objects.filter(pk=other.pk, enrollment__member__regency_id="52.71").exists()
    assert export(client_of(user_in("52.71", Role.OPERATOR)), "contributions:bill_export").status_code == 403


@pytest.mark.django_db
def test_payments_list_and_export_by_reference_and_date():
    payment = make_payment("52.71", "Bayar")
    make_payment("71.71", "Jauh")
    client = client_of(user_in("52.71", Role.FINANCE))
    page = client.get(reverse("contributions:payment_list"))
    assert [p.pk for p in page.context["page_obj"]] == [payment.pk]
    posted = client.post(reverse("contributions:payment_list"), {"q": "REF-Bayar"})
    listed = client.get(posted["Location"])
    assert [p.pk for p in listed.context["page_obj"]] == [payment.pk]
    rows = read_csv(export(client, "contributions:payment_export", "received_from=2026-01-10").content)
    assert [row[1] for row in rows[1:]] == ["REF-BAYAR"]
    assert MASKED_NIK.match(rows[1][8])
    assert (
        read_csv(export(client, "contributions:payment_export", "received_from=2026-02-01").content)[1:] == []
    )


@pytest.mark.django_db
def test_a_large_export_is_a_job_with_ids_not_the_search_and_its_download_is_audited(settings):
    settings.EXPORT_DIRECT_LIMIT = 2
    settings.EXPORT_CHUNK = 2
    for number in range(5):
        make_member("52.71", full_name=f"Siti Nomor {number}")
    operator = user_in("52.71", Role.OPERATOR)
    client = client_of(operator)
    direct_settings = settings.EXPORT_DIRECT_LIMIT
    token = client.post(reverse("members:list"), {"q": "siti"})["Location"].split("s=")[1]
    response = export(client, "members:export", f"s={token}&sort=name")
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.total, job.params["list"], job.params["search"]) == (5, "people", True)
    assert "siti" not in json.dumps(job.params).lower()

    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.result["rows"]) == (5, 5)
    settings.EXPORT_DIRECT_LIMIT = 100
    direct = export(client, "members:export", f"s={token}&sort=name").content
    settings.EXPORT_DIRECT_LIMIT = direct_settings
    downloaded = client.get(reverse("exports:download", args=[job.pk]))
    assert downloaded.getvalue() == direct
    entry = AuditEntry.objects.get(action=services.DOWNLOADED)
    assert (entry.actor, entry.object_id, entry.changes["list"]) == (operator, str(job.pk), [None, "people"])
    exported = AuditEntry.objects.get(action=services.EXPORTED, object_id=str(job.pk))
    assert exported.changes["filters"][1] == {"sort": "name", "q": "***"}
    # Another user of the same office neither sees the job nor downloads its file.
    assert (
        client_of(user_in("52.71", Role.OPERATOR)).get(reverse("exports:download", args=[job.pk])).status_code
        == 404
    )


@pytest.mark.worker
def test_a_people_export_job_is_written_by_a_real_worker(celery_worker_process, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    operator = user_in("52.71", Role.OPERATOR)
    make_submitted_enrollments(300, regency="52.71", operator=operator)
    settings.EXPORT_DIRECT_LIMIT = 50
    settings.EXPORT_CHUNK = 100
    client = client_of(operator)
    response = export(client, "members:export", "kind=bpu", format="xlsx")
    job = Job.objects.get(kind=Job.Kind.LIST_EXPORT)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    celery_worker_process(extra_env={"DATA_DIR": str(tmp_path)})

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=120, interval=0.2)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.result["rows"], job.attempts) == (300, 300, 1)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert reverse("exports:download", args=[job.pk]) in page
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("exports:download", args=[job.pk])).getvalue())
    ).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 300
    assert all(MASKED_NIK.match(str(row[2])) for row in rows)
    assert AuditEntry.objects.filter(action=services.EXPORTED, object_id=str(job.pk)).count() == 1
