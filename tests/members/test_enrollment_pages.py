"""The enrollment pages: the operator's form and submissions (with the changed badge), the officer's queue
(filters, waiting time, overdue rows, bulk start), decisions and the job page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.enrollments import enrollment_create, enrollment_reject
from members.models import Enrollment, EnrollmentStatus, ImportBatch
from tests.factories import OfficeFactory, UserFactory, make_member, make_programme
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.jobs.models import Job


@pytest.fixture
def team(db):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    branch = OfficeFactory.branch(["52.71", "52.01"], name="Cabang Mataram")
    officer = UserFactory.create(office=branch, roles=[Role.OFFICER])
    return operator, officer


def client_for(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def person(regency="52.71", **fields):
    defaults = {"heir_name": "Ahli Waris", "heir_relation": "child"}
    return make_member(regency, **{**defaults, **fields})


def test_an_operator_enrolls_a_person_from_the_person_page(team):
    operator, _ = team
    member = person(full_name="Wayan Sudarma")
    client = client_for(operator)
    page = client.get(reverse("members:detail", args=[member.pk]))
    assert reverse("enrollments:create", args=[member.pk]) in page.content.decode()
    response = client.post(
        reverse("enrollments:create", args=[member.pk]),
        {
            "kind": "bpu",
            "payer": "self",
            "requested_start": timezone.localdate().isoformat(),
            "then": "submit",
        },
    )
    enrollment = Enrollment.objects.get(member=member)
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollments:detail", args=[enrollment.pk])
    assert enrollment.status == EnrollmentStatus.SUBMITTED
    assert enrollment.submitted_office == operator.office
    # A second visit to the form leads to the open enrollment instead of a duplicate.
    again = client.get(reverse("enrollments:create", args=[member.pk]))
    assert again["Location"] == reverse("enrollments:detail", args=[enrollment.pk])


def test_the_form_refuses_bad_input_with_messages_in_indonesian(team):
    operator, _ = team
    member = person()
    client = client_for(operator)
    response = client.post(
        reverse("enrollments:create", args=[member.pk]),
        {"kind": "pu", "payer": "self", "requested_start": "2020-01-01", "jht": "on", "then": "submit"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Pilih kelas risiko" in body
    assert "bulan yang sudah lewat" in body
    assert "hanya untuk peserta BPU" in body
    assert not Enrollment.objects.exists()


def test_submission_problems_are_shown_and_the_draft_is_kept(team):
    operator, _ = team
    member = make_member("52.71", full_name="Tanpa Waris")
    client = client_for(operator)
    response = client.post(
        reverse("enrollments:create", args=[member.pk]),
        {
            "kind": "bpu",
            "payer": "self",
            "requested_start": timezone.localdate().isoformat(),
            "then": "submit",
        },
    )
    assert "ahli waris" in response.content.decode()
    assert not Enrollment.objects.exists()  # create+submit is one transaction: nothing half-done
    client.post(
        reverse("enrollments:create", args=[member.pk]),
        {
            "kind": "bpu",
            "payer": "self",
            "requested_start": timezone.localdate().isoformat(),
            "then": "draft",
        },
    )
    assert Enrollment.objects.get().status == EnrollmentStatus.DRAFT


def submit(operator, member, **data):
    return enrollment_create(
        member=member, data={"requested_start": timezone.localdate(), **data}, actor=operator, submit=True
    )


def test_the_queue_lists_pending_enrollments_oldest_first_with_waiting_days_and_highlights(team):
    operator, officer = team
    old = submit(operator, person(full_name="Lama Menunggu"))
    new = submit(operator, person(full_name="Baru Masuk"))
    Enrollment.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    body = client_for(officer).get(reverse("enrollments:queue")).content.decode()
    assert body.index("Lama Menunggu") < body.index("Baru Masuk")
    assert "9 hari" in body
    assert body.count('class="overdue"') == 1
    assert 'data-testid="overdue-count">1 terlambat' in body
    assert new.pk


def test_the_queue_filters_by_regency_office_batch_payer_and_kind(team):
    operator, officer = team
    batch = ImportBatch.objects.create(label="BPUM 2021 tahap 1", office=operator.office)
    submit(operator, person(full_name="Dari Impor", import_batch=batch))
    other_regency_operator = UserFactory.create(
        office=OfficeFactory.diskop_regency("52.01"), roles=[Role.OPERATOR]
    )
    submit(
        other_regency_operator,
        person("52.01", full_name="Orang Lombok Barat"),
        payer="sponsor",
        sponsor_programme=make_programme("52"),
    )
    client = client_for(officer)

    def names(**params):
        body = client.get(reverse("enrollments:queue"), params).content.decode()
        return {name for name in ("Dari Impor", "Orang Lombok Barat") if name in body}

    assert names() == {"Dari Impor", "Orang Lombok Barat"}
    assert names(regency="52.01") == {"Orang Lombok Barat"}
    assert names(office=operator.office.pk) == {"Dari Impor"}
    assert names(batch=batch.pk) == {"Dari Impor"}
    assert names(payer="sponsor") == {"Orang Lombok Barat"}
    assert names(kind="pu") == set()


def test_an_officer_decides_from_the_detail_page_and_moves_to_the_next(team):
    operator, officer = team
    first = submit(operator, person(full_name="Pertama"))
    second = submit(operator, person(full_name="Kedua"))
    client = client_for(officer)
    page = client.get(reverse("enrollments:detail", args=[first.pk])).content.decode()
    assert 'data-shortcut="a"' in page
    response = client.post(
        reverse("enrollments:decide", args=[first.pk]), {"decision": "approve", "kpj": "", "then": "next"}
    )
    assert response["Location"] == reverse("enrollments:detail", args=[second.pk])
    first.refresh_from_db()
    assert first.status == EnrollmentStatus.APPROVED
    assert first.member.kpj_number
    response = client.post(
        reverse("enrollments:decide", args=[second.pk]), {"decision": "reject", "reason": "other", "note": ""}
    )
    second.refresh_from_db()
    assert second.status == EnrollmentStatus.SUBMITTED
    assert response.status_code == 400
    assert "jelaskan penolakan" in response.content.decode()


def test_an_operator_cannot_decide_and_an_officer_cannot_submit(team):
    operator, officer = team
    enrollment = submit(operator, person())
    assert (
        client_for(operator)
        .post(reverse("enrollments:decide", args=[enrollment.pk]), {"decision": "approve"})
        .status_code
        == 403
    )
    assert client_for(officer).post(reverse("enrollments:submit", args=[enrollment.pk])).status_code == 403


def test_the_operator_sees_rejections_with_reasons_and_a_badge_of_changes(team):
    operator, officer = team
    enrollment = submit(operator, person(full_name="Ditolak Dulu"))
    client = client_for(operator)
    client.get(reverse("enrollments:list"))  # seen now
    assert 'data-testid="nav-badge"' not in client.get(reverse("web:home")).content.decode()
    enrollment_reject(enrollment=enrollment, actor=officer, reason="incomplete", note="Lengkapi upah")
    home = client.get(reverse("web:home")).content.decode()
    assert 'data-testid="nav-badge" title="Berubah sejak kunjungan terakhir Anda">1</span>' in home
    listing = client.get(reverse("enrollments:list")).content.decode()
    assert "Data belum lengkap: Lengkapi upah" in listing
    assert 'class="new"' in listing
    assert 'data-testid="tab-rejected"' in listing
    # Looking clears the badge.
    assert 'data-testid="nav-badge"' not in client.get(reverse("web:home")).content.decode()


def test_the_bulk_form_starts_a_job_of_the_filtered_selection(team, django_capture_on_commit_callbacks):
    operator, officer = team
    programme = make_programme("52")
    kept = [
        submit(operator, person(full_name=f"Sponsor {i}"), payer="sponsor", sponsor_programme=programme)
        for i in range(3)
    ]
    submit(operator, person(full_name="Bayar Sendiri"))
    client = client_for(officer)
    with django_capture_on_commit_callbacks(execute=False):
        form = {"scope": "filtered", "decision": "approve", "filters": "payer=sponsor"}
        confirm = client.post(reverse("enrollments:bulk"), form)
        assert "Setujui 3 kepesertaan?" in confirm.content.decode()
        assert not Job.objects.exists()
        response = client.post(reverse("enrollments:bulk"), {**form, "confirmed": "1"})
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params["ids"] == sorted(e.pk for e in kept)
    assert job.created_by == officer
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "<progress" in page
    assert 'hx-trigger="every 1s"' in page
    # Another user does not see the job.
    assert client_for(operator).get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_the_bulk_form_explains_an_empty_selection(team):
    _, officer = team
    client = client_for(officer)
    response = client.post(
        reverse("enrollments:bulk"), {"scope": "selected", "decision": "approve"}, follow=True
    )
    assert "Centang minimal satu" in response.content.decode()
    assert not Job.objects.exists()


def test_a_bulk_rejection_for_another_reason_needs_its_note_before_the_confirmation(team):
    operator, officer = team
    enrollment = submit(operator, person())
    response = client_for(officer).post(
        reverse("enrollments:bulk"),
        {"scope": "selected", "decision": "reject", "reason": "other", "note": " ", "ids": [enrollment.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "jelaskan penolakan di catatan" in page
    assert "Ya, mulai" not in page  # not the confirmation page
    assert not Job.objects.exists()


def test_a_refused_decision_keeps_what_the_officer_typed(team):
    operator, officer = team
    enrollment = submit(operator, person())
    response = client_for(officer).post(
        reverse("enrollments:decide", args=[enrollment.pk]),
        {"decision": "approve", "kpj": "12345", "coverage_start": ""},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="12345"' in body
    assert "11 angka" in body
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


def test_a_decision_made_by_someone_else_first_answers_409_with_a_message(team):
    operator, officer = team
    colleague = UserFactory.create(office=officer.office, roles=[Role.OFFICER])
    enrollment = submit(operator, person())
    client = client_for(officer)
    client_for(colleague).post(reverse("enrollments:decide", args=[enrollment.pk]), {"decision": "approve"})
    response = client.post(
        reverse("enrollments:decide", args=[enrollment.pk]), {"decision": "reject", "reason": "incomplete"}
    )
    assert response.status_code == 409
    assert "sudah diputuskan" in response.content.decode()


def test_drafts_appear_in_the_offices_submissions_and_history_reads_as_words(team):
    operator, _ = team
    member = person(full_name="Masih Draf")
    draft = enrollment_create(
        member=member, data={"requested_start": timezone.localdate(), "payer": "sponsor"}, actor=operator
    )
    client = client_for(operator)
    listing = client.get(reverse("enrollments:list")).content.decode()
    assert "Masih Draf" in listing
    assert 'data-testid="tab-draft"' in listing
    detail = client.get(reverse("enrollments:detail", args=[draft.pk])).content.decode()
    assert "Kepesertaan dibuat" in detail
    assert "Sponsor anggaran daerah (APBD)" in detail


def test_the_form_warns_of_possible_duplicates_and_offers_the_stored_schemes(team):
    from members.services import duplicates_flag

    operator, _ = team
    person(full_name="Kembar Sama")
    twin = person(full_name="Kembar Sama")
    duplicates_flag(member=twin)
    page = client_for(operator).get(reverse("enrollments:create", args=[twin.pk])).content.decode()
    assert 'data-testid="duplicate-warning"' in page
    assert 'value="bpu-national"' in page
    assert 'value="ntb-2021"' not in page  # ended in 2021: no tariff for a cover starting now
    response = client_for(operator).post(
        reverse("enrollments:create", args=[twin.pk]),
        {
            "kind": "bpu",
            "payer": "self",
            "scheme": "nope",
            "requested_start": timezone.localdate().isoformat(),
        },
    )
    assert "pilihan yang valid" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_officer_can_skip_to_the_next_in_the_queue(team):
    operator, officer = team
    first = submit(operator, person(full_name="Satu"))
    second = submit(operator, person(full_name="Dua"))
    page = client_for(officer).get(reverse("enrollments:detail", args=[first.pk])).content.decode()
    assert f'href="{reverse("enrollments:detail", args=[second.pk])}" data-shortcut="n"' in page
