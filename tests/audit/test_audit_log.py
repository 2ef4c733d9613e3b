import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError

from tests.factories import OfficeFactory, UserFactory
from umkm_enroll.accounts import services
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.masking import mask_email, mask_name, mask_nik, mask_phone
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = (InternalError, ProgrammingError)


def an_entry() -> AuditEntry:
    admin = UserFactory.create(roles=[Role.ADMINISTRATOR])
    return audit_record(actor=admin, action="tests.something.done")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_update_or_delete_an_audit_row(sql):
    entry = an_entry()
    with pytest.raises(REFUSED, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.action == "tests.something.done"


def test_raw_sql_cannot_truncate_the_audit_log():
    entry = an_entry()
    with transaction.atomic(), connection.cursor() as cursor:
        # The test database allows TRUNCATE for Django's flush; a real session does not.
        cursor.execute("SET LOCAL umkm.allow_audit_truncate = 'off'")
        with pytest.raises(REFUSED, match="append-only"):
            cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_orm_cannot_edit_an_entry_either():
    entry = an_entry()
    entry.action = "tampered"
    with pytest.raises(REFUSED), transaction.atomic():
        entry.save()


def test_a_user_change_records_who_what_and_the_fields_old_and_new():
    admin = UserFactory.create(roles=[Role.ADMINISTRATOR])
    user = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), email="siti.aminah@example.id")
    services.user_update(
        user=user,
        data={"roles": [Role.OPERATOR, Role.CARD_ADMIN], "email": "siti.baru@example.id"},
        actor=admin,
    )
    entry = AuditEntry.objects.get(action="accounts.user.updated")
    assert entry.actor == admin
    assert entry.object_id == str(user.pk)
    assert entry.changes["roles"] == [["operator"], ["operator", "card_admin"]]
    # personal values are masked
    assert entry.changes["email"] == ["s***@example.id", "s***@example.id"]


def test_masking_keeps_only_what_identifies_the_region_or_the_person_loosely():
    assert mask_nik("5271014408900001") == "527101******0001"
    assert mask_phone("+6281234567890") == "+6281******890"
    assert mask_email("siti@example.id") == "s***@example.id"
    assert mask_name("Siti Aminah") == "S*** A***"


def test_history_shows_actions_and_fields_in_the_interface_language():
    from django.template import Context, Template
    from django.utils import translation

    admin = UserFactory.create(roles=[Role.ADMINISTRATOR])
    user = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"))
    services.user_update(
        user=user, data={"roles": [Role.OPERATOR, Role.FINANCE], "is_active": False}, actor=admin
    )
    entry = AuditEntry.objects.get(action="accounts.user.updated")
    with translation.override("id"):
        html = Template('{% include "audit/_history.html" %}').render(Context({"history": [entry]}))
    assert "Pengguna diubah" in html
    assert "Peran" in html
    assert "tidak" in html  # is_active True -> False
