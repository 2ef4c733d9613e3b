"""The audit log page: actions chosen by their label, users found by name, dates checked."""

import pytest
from django.test import Client

from tests.factories import OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    admin = UserFactory.create(
        office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR], username="admin.pusat"
    )
    client = Client()
    login_verified(client, admin)
    return client


def test_actions_are_offered_by_their_label_and_users_found_by_name(admin_client):
    operator = UserFactory.create(
        username="op.mataram",
        first_name="Baiq",
        last_name="Nurul",
        office=OfficeFactory.diskop_regency("52.71"),
    )
    audit_record(actor=operator, action="members.member.created")
    audit_record(actor=operator, action="accounts.logout")
    page = admin_client.get("/kelola/audit/").content.decode()
    assert '<option value="members.member.created">Orang didaftarkan</option>' in page
    chosen = admin_client.get("/kelola/audit/", {"action": "members.member.created"})
    assert [entry.action for entry in chosen.context["page_obj"]] == ["members.member.created"]
    by_name = admin_client.get("/kelola/audit/", {"actor": "baiq nurul", "action": "accounts.logout"})
    assert [entry.actor_label for entry in by_name.context["page_obj"]] == ["op.mataram"]


def test_days_in_the_wrong_order_or_not_days_are_said_not_silently_ignored(admin_client):
    swapped = admin_client.get("/kelola/audit/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert "setelah" in swapped.content.decode()
    assert swapped.context["errors"]
    assert admin_client.get("/kelola/audit/", {"since": "xx"}).context["errors"]
