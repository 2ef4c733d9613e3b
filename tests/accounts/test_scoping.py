import pytest

from tests.factories import OfficeFactory, UserFactory
from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.accounts.scoping import scope_of

pytestmark = pytest.mark.django_db

NTB_REGENCIES = {"52.01", "52.02", "52.03", "52.04", "52.05", "52.06", "52.07", "52.08", "52.71", "52.72"}


def test_a_province_diskop_office_sees_every_regency_of_its_province():
    user = UserFactory.create(office=OfficeFactory.diskop_province("52"))
    scope = scope_of(user)
    assert not scope.everything
    assert scope.regency_codes == NTB_REGENCIES


def test_a_regency_office_sees_only_its_regency():
    user = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"))
    assert scope_of(user).regency_codes == {"52.71"}


def test_a_branch_sees_the_regencies_it_serves_and_its_regional_office_sees_all_its_branches():
    regional = OfficeFactory.create(kind=Office.Kind.BPJS_REGIONAL, province_id=None, regency_id=None)
    mataram = OfficeFactory.branch(["52.71", "52.01"], parent=regional)
    OfficeFactory.branch(["52.06"], parent=regional)
    officer = UserFactory.create(office=mataram, roles=[Role.OFFICER])
    assert scope_of(officer).regency_codes == {"52.71", "52.01"}
    regional_user = UserFactory.create(office=regional, roles=[Role.FINANCE])
    assert scope_of(regional_user).regency_codes == {"52.71", "52.01", "52.06"}


@pytest.mark.parametrize("role", [Role.NATIONAL_VIEWER, Role.ADMINISTRATOR])
def test_national_roles_see_everything(role):
    user = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[role])
    assert scope_of(user).everything


def test_the_ministry_sees_everything_and_an_inactive_user_nothing():
    assert scope_of(UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.FINANCE])).everything
    inactive = UserFactory.create(office=OfficeFactory.diskop_province("52"), is_active=False)
    assert scope_of(inactive).regency_codes == frozenset()


def test_users_and_offices_are_filtered_through_the_scope():
    mataram_office = OfficeFactory.diskop_regency("52.71")
    manado_office = OfficeFactory.diskop_regency("71.71")
    ntb_operator = UserFactory.create(office=OfficeFactory.diskop_province("52"))
    colleague = UserFactory.create(office=mataram_office)
    stranger = UserFactory.create(office=manado_office)

    offices = set(Office.objects.visible_to(ntb_operator))
    assert mataram_office in offices
    assert manado_office not in offices
    users = set(User.objects.visible_to(ntb_operator))
    assert colleague in users
    assert stranger not in users
