import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperatives.models import Cooperative
from tests.factories import CooperativeFactory, OfficeFactory, UserFactory
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_an_operator_of_kota_mataram_sees_mataram_cooperatives_and_not_manado(
    mataram_operator, manado_operator
):
    mataram = CooperativeFactory.create(regency_id="52.71")
    manado = CooperativeFactory.create(regency_id="71.71")
    assert set(Cooperative.objects.visible_to(mataram_operator)) == {mataram}
    assert set(Cooperative.objects.visible_to(manado_operator)) == {manado}


def test_a_province_office_sees_every_cooperative_of_its_province(ntb_operator):
    mataram = CooperativeFactory.create(regency_id="52.71")
    bima = CooperativeFactory.create(regency_id="52.72")
    CooperativeFactory.create(regency_id="71.71")
    assert set(Cooperative.objects.visible_to(ntb_operator)) == {mataram, bima}


def test_a_branch_sees_the_regencies_it_serves_and_national_roles_see_everything():
    mataram = CooperativeFactory.create(regency_id="52.71")
    manado = CooperativeFactory.create(regency_id="71.71")
    officer = UserFactory.create(office=OfficeFactory.branch(["71.71"]), roles=[Role.OFFICER])
    viewer = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.NATIONAL_VIEWER])
    assert set(Cooperative.objects.visible_to(officer)) == {manado}
    assert set(Cooperative.objects.visible_to(viewer)) == {mataram, manado}


def test_a_user_without_an_office_or_signed_out_sees_no_cooperative():
    from django.contrib.auth.models import AnonymousUser

    CooperativeFactory.create()
    nobody = UserFactory.create(office=None, roles=[Role.OPERATOR])
    assert not Cooperative.objects.visible_to(nobody).exists()
    assert not Cooperative.objects.visible_to(AnonymousUser()).exists()


def test_two_cooperatives_cannot_share_a_nik_koperasi_but_many_may_have_none():
    CooperativeFactory.create(nik_koperasi="5271010010001")
    CooperativeFactory.create(nik_koperasi="")
    CooperativeFactory.create(nik_koperasi="")
    with pytest.raises(IntegrityError), transaction.atomic():
        CooperativeFactory.create(nik_koperasi="5271010010001")


@pytest.mark.parametrize(
    ("field", "value"),
    [("nik_koperasi", "12345"), ("ahu_number", "ahu-123"), ("phone", "081234567890")],
)
def test_the_database_refuses_identifiers_that_were_not_normalized(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        CooperativeFactory.create(**{field: value})


def test_the_regions_of_the_address_must_nest():
    cooperative = CooperativeFactory.build(
        regency_id="52.71",
        province_id="71",
        district_id="52.72.01",
        village_id="71.71.01.1001",
        office=OfficeFactory.diskop_regency("52.71"),
        created_by=UserFactory.create(),
    )
    with pytest.raises(ValidationError) as raised:
        cooperative.full_clean()
    assert set(raised.value.message_dict) >= {"regency", "district", "village"}


def test_a_duplicate_nik_koperasi_is_reported_beside_its_field():
    CooperativeFactory.create(nik_koperasi="5271010010001")
    duplicate = CooperativeFactory.build(
        nik_koperasi="5271010010001",
        office=OfficeFactory.diskop_regency("52.71"),
        created_by=UserFactory.create(),
    )
    with pytest.raises(ValidationError) as raised:
        duplicate.full_clean()
    assert list(raised.value.message_dict) == ["nik_koperasi"]
