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
    assert "Baiq Nurul (op.mataram)" in by_name.content.decode()  # shown by name


def test_days_in_the_wrong_order_or_not_days_are_said_not_silently_ignored(admin_client):
    swapped = admin_client.get("/kelola/audit/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert "setelah" in swapped.content.decode()
    assert swapped.context["errors"]
    assert admin_client.get("/kelola/audit/", {"since": "xx"}).context["errors"]
    impossible = admin_client.get("/kelola/audit/", {"since": "2026-13-45"})
    assert impossible.status_code == 200
    assert impossible.context["errors"]


def test_an_invoice_download_entry_shows_in_the_programme_history_and_the_log(admin_client):
    from tests.factories import make_programme

    programme = make_programme("52")
    audit_record(
        actor=None,
        action="contributions.programme.invoice_downloaded",
        target=programme,
        changes={"month": (None, "2026-02"), "bills": (None, 3)},
    )
    page = admin_client.get("/kelola/audit/")
    assert page.status_code == 200
    assert "2026-02" in page.content.decode()
    finance = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.FINANCE])
    client = Client()
    login_verified(client, finance)
    detail = client.get(f"/iuran/program/{programme.pk}/")
    assert detail.status_code == 200


def test_a_history_shows_names_days_and_labels_and_leaves_out_what_stayed_empty():
    from django.utils import translation

    from umkm_enroll.audit.templatetags.audit_format import change_rows

    office = OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram")
    entry = audit_record(
        actor=None,
        action="members.member.created",
        changes={
            "regency": (None, "52.71"),
            "office": (None, office.pk),
            "email": (None, ""),
            "import_batch": (None, 3),
        },
    )
    entry.object_type = "members.member"
    with translation.override("id"):
        rows = change_rows(entry)
    afters = {after for _label, _before, after in rows}
    assert {"Kota Mataram", "Diskop Kota Mataram"} <= afters  # names, not the code and the id
    assert not any(label.lower().startswith("alamat email") for label, _before, _after in rows)
    assert "import_batch" not in {label for label, _before, _after in rows}

    started = audit_record(
        actor=None,
        action="members.enrollment.updated",
        changes={"requested_start": ("2026-12-01", "2027-01-01")},
    )
    started.object_type = "members.enrollment"
    assert [(before, after) for _label, before, after in change_rows(started)] == [
        ("01/12/2026", "01/01/2027")
    ]


def test_roles_and_rejection_reasons_show_by_their_labels_not_codes(admin_client):
    from django.utils import translation

    from umkm_enroll.audit.templatetags.audit_format import change_rows, reason_text

    entry = audit_record(
        actor=None, action="accounts.user.updated", changes={"roles": (["operator"], ["finance"])}
    )
    entry.object_type = "accounts.user"
    with translation.override("id"):
        assert [(before, after) for _label, before, after in change_rows(entry)] == [
            ("Operator Diskop", "Petugas keuangan")
        ]
        assert reason_text("incomplete: Foto KTP buram").endswith(": Foto KTP buram")
        assert not reason_text("incomplete: Foto KTP buram").startswith("incomplete")
        assert reason_text("Cover has started.") == "Cover has started."
    page = admin_client.get("/kelola/audit/").content.decode()
    assert "<code>accounts.user.updated</code>" not in page


def test_a_card_batch_names_its_regency():
    from cards.batches import describe

    assert "Kota Mataram" in describe({"regency": "52.71"})


def test_an_enrollment_entry_names_the_list_it_came_from():
    from members.models import ImportBatch
    from umkm_enroll.audit.templatetags.audit_format import change_rows

    batch = ImportBatch.objects.create(
        label="BPUM 2026 tahap 1", office=OfficeFactory.diskop_regency("52.71")
    )
    entry = audit_record(
        actor=None, action="members.enrollment.created", changes={"import_batch": (None, batch.pk)}
    )
    entry.object_type = "members.enrollment"
    assert [after for _label, _before, after in change_rows(entry)] == ["BPUM 2026 tahap 1"]
