import pytest
from django.core.management import call_command

from cooperatives.models import Cooperative
from members.models import Member
from umkm_enroll.accounts.models import Role, User


@pytest.mark.django_db
def test_the_demo_data_has_an_account_per_role_and_can_be_loaded_twice():
    call_command("seed_demo", force=True)
    call_command("seed_demo", force=True)
    held = {role for user in User.objects.all() for role in user.roles}
    assert held == set(Role.values)
    assert Member.objects.count() == 4
    assert Cooperative.objects.count() == 2
