"""The dashboard page per role and area, the targets pages (administrators) and the import of a file."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.dashboards.data import LOMBOK_BARAT, MANADO, MATARAM, build_country, expected_for
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.dashboards.models import CoverageTarget

pytestmark = pytest.mark.django_db
URL = "/dasbor/"


def client_of(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.fixture
def country():
    build_country()


def test_a_regency_operator_lands_on_the_regency_and_cannot_open_another(country):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])
    client = client_of(operator)
    response = client.get(URL)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.level == "regency"
    assert figures.area_code == MATARAM
    assert figures.totals.people == expected_for([MATARAM]).people
    page = response.content.decode()
    assert f'data-testid="kpi-people" data-value="{expected_for([MATARAM]).people}"' in page
    assert 'id="dashboard-charts"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    for other in (f"?regency={MANADO}", f"?regency={LOMBOK_BARAT}", "?province=71"):
        assert client.get(URL + other).status_code == 404, other
    # Their province shows their regency alone.
    province = client.get(URL, {"province": "52"}).context["figures"]
    assert [row.code for row in province.rows] == [MATARAM]
    assert province.totals.people == expected_for([MATARAM]).people


def test_a_province_operator_sees_the_regencies_of_the_province(country):
    operator = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])
    client = client_of(operator)
    response = client.get(URL)
    figures = response.context["figures"]
    assert figures.level == "province"
    assert {row.code for row in figures.rows} == {MATARAM, LOMBOK_BARAT}
    page = response.content.decode()
    assert f'href="?regency={MATARAM}"' in page
    assert (
        client.get(URL, {"regency": MATARAM}).context["figures"].totals.people
        == expected_for([MATARAM]).people
    )
    assert client.get(URL, {"regency": MANADO}).status_code == 404


def test_a_national_viewer_sees_the_country_and_a_bad_month_is_explained(country):
    viewer = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.NATIONAL_VIEWER])
    client = client_of(viewer)
    response = client.get(URL)
    assert response.context["figures"].level == "country"
    assert response.context["figures"].totals.people == expected_for(None).people
    response = client.get(URL, {"bulan": "2099-01"})
    assert response.status_code == 200
    assert response.context["month_error"]
    assert client.get(reverse("dashboards:target_list")).status_code == 200
    assert client.get(reverse("dashboards:target_create")).status_code == 403


def test_an_administrator_creates_a_target_with_an_audit_entry():
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR])
    client = client_of(admin)
    response = client.post(
        reverse("dashboards:target_create"),
        {
            "province": "52",
            "regency": MATARAM,
            "year": 2026,
            "kind": "umkm",
            "count": 1500,
            "source": "Diskop",
        },
    )
    assert response.status_code == 302
    target = CoverageTarget.objects.get()
    assert (target.regency_id, target.count, target.updated_by) == (MATARAM, 1500, admin)
    assert AuditEntry.objects.filter(action="dashboards.target.created").count() == 1
    # The same region, year and kind again: refused beside the field.
    response = client.post(
        reverse("dashboards:target_create"),
        {"province": "52", "regency": MATARAM, "year": 2026, "kind": "umkm", "count": 9, "source": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["year"]
    # A regency of another province is refused.
    response = client.post(
        reverse("dashboards:target_create"),
        {"province": "52", "regency": MANADO, "year": 2026, "kind": "umkm", "count": 9, "source": "x"},
    )
    assert response.context["form"].errors["regency"]
    # Years and counts out of range are said in words, not as a constraint's name or a column's limit.
    for year, count, field, message in [
        (1999, 100, "year", "Isi tahun dari 2000 sampai 2100."),
        (99999, 100, "year", "Isi tahun dari 2000 sampai 2100."),
        (2027, 10**12, "count", "Target paling banyak 100.000.000 orang: periksa angkanya."),
        (2027, 0, "count", "Target adalah jumlah orang: paling sedikit 1."),
    ]:
        response = client.post(
            reverse("dashboards:target_create"),
            {"province": "52", "regency": "", "year": year, "kind": "umkm", "count": count, "source": "x"},
        )
        assert response.context["form"].errors[field] == [message], (year, count)
        assert "target_year_range" not in response.content.decode()


def upload(client: Client, name: str, content: bytes):
    return client.post(reverse("dashboards:target_import"), {"file": SimpleUploadedFile(name, content)})


def test_targets_import_from_csv_all_or_nothing_and_from_xlsx():
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR])
    client = client_of(admin)
    bad = b"Kode wilayah;Tahun;Target;Sumber\n52;2024;149.962;Diskop NTB\n99.99;2024;5;x\n52.71;20x4;5;x\n"
    response = upload(client, "target.csv", bad)
    assert response.status_code == 200
    assert [error.row for error in response.context["result"].errors] == [3, 4]
    assert not CoverageTarget.objects.exists()

    good = (
        "\ufeffKode wilayah;Tahun;Jenis;Target;Sumber\n52;2024;UMKM;149.962;Diskop NTB\n"
        "7471;2024;Penerima bantuan;147000;Sultra\n"
    )
    response = upload(client, "target.csv", good.encode())
    assert response.status_code == 302
    assert set(CoverageTarget.objects.values_list("province_id", "regency_id", "kind", "count")) == {
        ("52", None, "umkm", 149_962),
        ("74", "74.71", "aid", 147_000),
    }
    assert AuditEntry.objects.filter(action="dashboards.target.imported").count() == 2

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Tahun", "Kode wilayah", "Target", "Sumber"])
    sheet.append([2024, "52", 150_000, "Diskop NTB, revisi"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "target.xlsx", buffer.getvalue())
    assert response.status_code == 302
    assert CoverageTarget.objects.get(province_id="52", regency__isnull=True).count == 150_000
    assert AuditEntry.objects.filter(action="dashboards.target.imported").count() == 3


def test_regional_users_cannot_manage_targets():
    operator = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])
    client = client_of(operator)
    for name in ("target_list", "target_create", "target_import"):
        assert client.get(reverse(f"dashboards:{name}")).status_code == 403
