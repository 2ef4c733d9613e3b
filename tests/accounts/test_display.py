"""Users are shown by the name colleagues know them by (with their sign-in name); the audit log keeps
naming accounts by their sign-in name."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.services import audit_record
from umkm_enroll.jobs import services as jobs


def test_a_user_reads_as_the_full_name_with_the_sign_in_name():
    assert str(User(username="op.mataram", first_name="Baiq", last_name="Nurul")) == "Baiq Nurul (op.mataram)"
    assert str(User(username="op.mataram")) == "op.mataram"


@pytest.mark.django_db
def test_pages_name_who_started_a_job_and_the_audit_keeps_the_sign_in_name():
    office = OfficeFactory.diskop_regency("52.71")
    operator = UserFactory.create(
        username="op.mataram", first_name="Baiq", last_name="Nurul", office=office, roles=[Role.OPERATOR]
    )
    job = jobs.job_create(kind="ping", actor=operator)
    client = Client()
    login_verified(client, operator)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Baiq Nurul (op.mataram)" in page
    entry = audit_record(actor=operator, action="accounts.user.updated", target=operator)
    assert (entry.actor_label, entry.object_label) == ("op.mataram", "op.mataram")
