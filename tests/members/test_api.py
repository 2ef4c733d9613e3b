from datetime import date

import pytest
from rest_framework.test import APIClient

from members import services
from members.models import Member
from tests.factories import OfficeFactory, UserFactory, make_member, nik_for
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])


@pytest.fixture
def api(operator):
    client = APIClient()
    login_verified(client, operator)
    return client


def payload(**overrides):
    from umkm_enroll.regions.models import Village

    village = Village.objects.filter(district__regency_id="52.71").order_by("code")[0]
    data = {
        "nik": nik_for("52.71", village.district_id[-2:], date(1991, 3, 9), "L", 77),
        "full_name": "Budi Santoso",
        "birth_place": "Mataram",
        "birth_date": "1991-03-09",
        "sex": "L",
        "address": "Jl. Udayana 1",
        "province": "52",
        "regency": "52.71",
        "district": village.district_id,
        "village": village.code,
        "phone": "+6281299990000",
        "occupation": "Bengkel",
        "kind": "bpu",
        "monthly_income": 2_000_000,
    }
    data.update(overrides)
    return data


def test_the_api_registers_a_person_and_shows_the_nik_masked(api):
    data = payload()
    response = api.post("/api/v1/members/", data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["nik_masked"] == f"{data['nik'][:6]}******{data['nik'][-4:]}"
    assert "nik" not in body
    assert data["nik"] not in response.content.decode()


def test_the_api_applies_the_same_rules_as_the_form(api):
    response = api.post("/api/v1/members/", payload(sex="P"), format="json")
    assert response.status_code == 400
    assert "nik" in response.json()


def test_the_api_lists_and_searches_only_the_callers_region(api):
    mine = make_member("52.71", full_name="Dewi Lestari")
    make_member("71.71", full_name="Dewi Lestari")
    listed = api.get("/api/v1/members/").json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    found = api.post("/api/v1/members/search/", {"q": "dewi lestary"}, format="json").json()
    assert [row["id"] for row in found["results"]] == [mine.pk]
    by_nik = api.post("/api/v1/members/search/", {"q": services.nik_reveal_value(mine)}, format="json").json()
    assert by_nik["count"] == 1


def test_an_update_needs_the_version_read_and_a_stale_one_conflicts(api):
    member = make_member("52.71", full_name="Dewi Lestari")
    assert (
        api.patch(f"/api/v1/members/{member.pk}/", {"occupation": "Penjahit"}, format="json").status_code
        == 400
    )
    ok = api.patch(f"/api/v1/members/{member.pk}/", {"occupation": "Penjahit", "version": 1}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["version"] == 2
    stale = api.patch(f"/api/v1/members/{member.pk}/", {"occupation": "Nelayan", "version": 1}, format="json")
    assert stale.status_code == 409
    member.refresh_from_db()
    assert member.occupation == "Penjahit"


def test_revealing_a_nik_through_the_api_is_audited(api):
    member = make_member("52.71")
    response = api.post(f"/api/v1/members/{member.pk}/reveal-nik/")
    assert response.json()["nik"] == services.nik_reveal_value(member)
    assert AuditEntry.objects.filter(action="members.member.nik_revealed").count() == 1


def test_a_finance_officer_reads_but_cannot_register(operator):
    finance = UserFactory.create(office=operator.office, roles=[Role.FINANCE])
    client = APIClient()
    login_verified(client, finance)
    assert client.get("/api/v1/members/").status_code == 200
    assert client.post("/api/v1/members/", payload(), format="json").status_code == 403
    assert not Member.objects.exists()
