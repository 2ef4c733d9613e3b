import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cooperatives.models import Cooperative
from tests.cooperatives.conftest import cooperative_data
from tests.factories import CooperativeFactory, OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cooperatives/"


def detail(cooperative: Cooperative) -> str:
    return reverse("api:cooperative-detail", kwargs={"pk": cooperative.pk})


def api_as(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    login_verified(client, user)
    return client


def test_the_api_lives_under_api_v1():
    assert reverse("api:cooperative-list") == LIST


def test_the_list_holds_only_the_cooperatives_of_the_scope_and_searches(mataram_operator, ntb_operator):
    CooperativeFactory.create(name="Koperasi Mataram Sejahtera", nik_koperasi="5271010010001")
    CooperativeFactory.create(name="Koperasi Bima Makmur", regency_id="52.72")
    CooperativeFactory.create(name="Koperasi Manado Bersatu", regency_id="71.71")

    body = api_as(mataram_operator).get(LIST).json()
    assert body["count"] == 1
    assert [row["name"] for row in body["results"]] == ["Koperasi Mataram Sejahtera"]

    client = api_as(ntb_operator)
    assert client.get(LIST).json()["count"] == 2
    assert [r["name"] for r in client.get(LIST, {"search": "527101"}).json()["results"]] == [
        "Koperasi Mataram Sejahtera"
    ]
    assert [r["name"] for r in client.get(LIST, {"regency": "52.72"}).json()["results"]] == [
        "Koperasi Bima Makmur"
    ]
    assert client.get(LIST, {"search": "Manado"}).json()["count"] == 0


def test_the_detail_of_another_region_answers_404(mataram_operator):
    manado = CooperativeFactory.create(regency_id="71.71")
    mataram = CooperativeFactory.create(regency_id="52.71", phone="+6281234567890")
    client = api_as(mataram_operator)
    assert client.get(detail(manado)).status_code == 404
    body = client.get(detail(mataram)).json()
    assert body["regency"] == "52.71"
    assert body["phone"] == "+6281234567890"
    assert body["version"] == 1


def test_an_operator_creates_within_the_scope_and_the_values_are_normalized(mataram_operator):
    response = api_as(mataram_operator).post(LIST, cooperative_data(member_count=120), format="json")
    assert response.status_code == 201, response.json()
    cooperative = Cooperative.objects.get(pk=response.json()["id"])
    assert cooperative.office == mataram_operator.office
    assert cooperative.phone == "+6281234567890"
    assert cooperative.ahu_number == "AHU-0001234.AH.01.26.TAHUN 2019"
    assert AuditEntry.objects.filter(
        action="cooperatives.cooperative.created", object_id=str(cooperative.pk)
    ).exists()


def test_creating_outside_the_scope_or_with_bad_values_is_refused_field_by_field(mataram_operator):
    client = api_as(mataram_operator)
    outside = client.post(
        LIST,
        cooperative_data(regency="52.72", district="52.72.01", village="52.72.01.1001"),
        format="json",
    )
    assert outside.status_code == 400
    assert "regency" in outside.json()
    bad = client.post(LIST, cooperative_data(phone="12345", ahu_number="SK-1"), format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"phone", "ahu_number"}
    mixed = client.post(LIST, cooperative_data(village="52.72.01.1001"), format="json")
    assert mixed.status_code == 400
    assert mixed.json()["village"] == ["Desa/kelurahan ini tidak berada di kecamatan yang dipilih."]
    assert not Cooperative.objects.exists()


def test_readers_may_not_write():
    officer = UserFactory.create(office=OfficeFactory.branch(["52.71"]), roles=[Role.OFFICER])
    cooperative = CooperativeFactory.create()
    client = api_as(officer)
    assert client.get(detail(cooperative)).status_code == 200
    assert client.post(LIST, cooperative_data(), format="json").status_code == 403
    assert (
        client.patch(detail(cooperative), {"member_count": 1, "version": 1}, format="json").status_code == 403
    )


def test_put_and_delete_are_not_offered(mataram_operator):
    cooperative = CooperativeFactory.create()
    client = api_as(mataram_operator)
    assert client.put(detail(cooperative), cooperative_data(version=1), format="json").status_code == 405
    assert client.delete(detail(cooperative)).status_code == 405
    assert Cooperative.objects.filter(pk=cooperative.pk).exists()


def test_a_partial_update_needs_the_current_version(mataram_operator):
    cooperative = CooperativeFactory.create(member_count=25)
    client = api_as(mataram_operator)
    assert "version" in client.patch(detail(cooperative), {"member_count": 30}, format="json").json()

    first = client.patch(detail(cooperative), {"member_count": 30, "version": 1}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = client.patch(detail(cooperative), {"member_count": 99, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    cooperative.refresh_from_db()
    assert (cooperative.member_count, cooperative.version) == (30, 2)
    assert AuditEntry.objects.filter(action="cooperatives.cooperative.updated").count() == 1


def test_an_officer_without_a_second_factor_gets_nothing():
    from django.test import Client

    officer = UserFactory.create(office=OfficeFactory.branch(["52.71"]), roles=[Role.OFFICER])
    CooperativeFactory.create()
    client = Client()
    client.force_login(officer)
    assert client.get(LIST).status_code == 403
