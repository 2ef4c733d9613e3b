import pytest
from django.core.exceptions import ValidationError

from cooperatives import services
from cooperatives.models import Cooperative
from tests.factories import CooperativeFactory
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.regions.models import District, Province, Regency, Village

pytestmark = pytest.mark.django_db


def region_data(regency="52.71", district="52.71.01", village="52.71.01.1004") -> dict:
    return {
        "province": Province.objects.get(pk=regency[:2]),
        "regency": Regency.objects.get(pk=regency),
        "district": District.objects.get(pk=district),
        "village": Village.objects.get(pk=village),
    }


def data(**overrides) -> dict:
    values = {
        "name": "Koperasi Serba Usaha Maju Bersama",
        "kind": Cooperative.Kind.MULTI_PURPOSE,
        "nik_koperasi": "5271010010002",
        "ahu_number": "AHU-0001234.AH.01.26.TAHUN 2019",
        "address": "Jl. Saleh Sungkar 12",
        "chairperson": "Lalu Muhammad Zaini",
        "phone": "+6281234567890",
        "member_count": 40,
        "status": Cooperative.Status.ACTIVE,
        **region_data(),
    }
    values.update(overrides)
    return values


def test_creating_records_the_office_the_creator_and_an_audit_entry_with_masked_personal_fields(
    mataram_operator,
):
    cooperative = services.cooperative_create(data=data(), actor=mataram_operator)
    assert cooperative.office == mataram_operator.office
    assert cooperative.created_by == mataram_operator
    assert cooperative.version == 1
    entry = AuditEntry.objects.get(action="cooperatives.cooperative.created", object_id=str(cooperative.pk))
    assert entry.actor == mataram_operator
    assert entry.region_code == "52.71"
    assert entry.changes["name"] == [None, "Koperasi Serba Usaha Maju Bersama"]
    assert entry.changes["village"] == [None, "52.71.01.1004"]
    # Personal data of the chairperson is masked in the log.
    assert entry.changes["chairperson"] == ["", "L*** M*** Z***"]
    assert entry.changes["phone"][1] == "+6281******890"


def test_an_operator_cannot_create_outside_the_scope_of_the_office(mataram_operator):
    with pytest.raises(services.OutsideScope):
        services.cooperative_create(
            data=data(**region_data("52.72", "52.72.01", "52.72.01.1001")), actor=mataram_operator
        )
    assert not Cooperative.objects.exists()


def test_a_province_office_may_create_in_any_regency_of_its_province(ntb_operator):
    cooperative = services.cooperative_create(
        data=data(**region_data("52.72", "52.72.01", "52.72.01.1001")), actor=ntb_operator
    )
    assert cooperative.regency_id == "52.72"


def test_regions_that_do_not_nest_are_refused(mataram_operator):
    mixed = data(village=Village.objects.get(pk="52.71.02.1001"))
    with pytest.raises(ValidationError) as raised:
        services.cooperative_create(data=mixed, actor=mataram_operator)
    assert "village" in raised.value.message_dict
    assert not AuditEntry.objects.filter(action__startswith="cooperatives.").exists()


def test_an_edit_with_the_current_version_saves_the_changed_fields_and_audits_them(mataram_operator):
    cooperative = CooperativeFactory.create(member_count=25, status="active")
    updated = services.cooperative_update(
        cooperative=cooperative,
        data={"member_count": 30, "status": Cooperative.Status.INACTIVE, "name": cooperative.name},
        expected_version=1,
        actor=mataram_operator,
    )
    assert updated.version == 2
    cooperative.refresh_from_db()
    assert (cooperative.member_count, cooperative.status, cooperative.version) == (30, "inactive", 2)
    entry = AuditEntry.objects.get(action="cooperatives.cooperative.updated")
    assert entry.changes == {"member_count": [25, 30], "status": ["active", "inactive"]}


def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_entry(mataram_operator):
    cooperative = CooperativeFactory.create(member_count=25)
    services.cooperative_update(
        cooperative=cooperative, data={"member_count": 25}, expected_version=1, actor=mataram_operator
    )
    cooperative.refresh_from_db()
    assert cooperative.version == 1
    assert not AuditEntry.objects.filter(action="cooperatives.cooperative.updated").exists()


def test_an_edit_based_on_an_old_version_is_refused_and_the_first_edit_is_kept(mataram_operator):
    cooperative = CooperativeFactory.create(member_count=25)
    services.cooperative_update(
        cooperative=cooperative, data={"member_count": 30}, expected_version=1, actor=mataram_operator
    )
    with pytest.raises(services.StaleVersion) as raised:
        services.cooperative_update(
            cooperative=cooperative, data={"member_count": 99}, expected_version=1, actor=mataram_operator
        )
    assert raised.value.current.version == 2
    cooperative.refresh_from_db()
    assert (cooperative.member_count, cooperative.version) == (30, 2)
    assert AuditEntry.objects.filter(action="cooperatives.cooperative.updated").count() == 1


def test_an_edit_cannot_move_a_cooperative_out_of_the_scope(mataram_operator):
    cooperative = CooperativeFactory.create()
    with pytest.raises(services.OutsideScope):
        services.cooperative_update(
            cooperative=cooperative,
            data=region_data("52.72", "52.72.01", "52.72.01.1001"),
            expected_version=1,
            actor=mataram_operator,
        )
    cooperative.refresh_from_db()
    assert cooperative.regency_id == "52.71"
