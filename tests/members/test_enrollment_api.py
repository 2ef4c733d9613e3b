"""The enrollment API (/api/v1/enrollments/) and the jobs API (/api/v1/jobs/): scoping, roles, the whole
lifecycle through the services, conflicts, bulk decisions as jobs, messages in Indonesian."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from members import api
from members.enrollments import EDITABLE_FIELDS, enrollment_approve, enrollment_create
from members.models import Enrollment, EnrollmentStatus
from members.services import nik_reveal_value
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job

pytestmark = pytest.mark.django_db

URL = "/api/v1/enrollments/"


def client_of(user: User) -> APIClient:
    client = APIClient()
    login_verified(client, user)
    return client


@pytest.fixture
def operator():
    return UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])


@pytest.fixture
def branch():
    return OfficeFactory.branch(["52.71"], name="Cabang Mataram")


@pytest.fixture
def officer(branch):
    return UserFactory.create(office=branch, roles=[Role.OFFICER])


@pytest.fixture
def colleague(branch):
    return UserFactory.create(office=branch, roles=[Role.OFFICER])


@pytest.fixture
def member():
    return make_member("52.71", full_name="Dewi Lestari", heir_name="Budi", heir_relation="spouse")


def start() -> str:
    return (timezone.localdate() + timedelta(days=7)).isoformat()


def create(client: APIClient, member, **body):
    return client.post(URL, {"member": member.pk, "requested_start": start(), **body}, format="json")


def submitted(operator, member) -> Enrollment:
    return enrollment_create(
        member=member, data={"requested_start": timezone.localdate()}, actor=operator, submit=True
    )


def test_an_operator_creates_and_submits_an_enrollment_that_shows_the_nik_masked_only(operator, member):
    response = create(client_of(operator), member, submit=True)
    assert response.status_code == 201, response.json()
    body = response.json()
    enrollment = Enrollment.objects.get()
    assert body["id"] == enrollment.pk
    assert body["status"] == EnrollmentStatus.SUBMITTED
    assert body["member"] == member.pk
    assert body["member_full_name"] == "Dewi Lestari"
    assert body["member_nik_masked"] == member.nik_masked
    assert body["submitted_office"] == operator.office_id
    assert body["submitted_by"] == operator.pk
    assert body["kind"] == "bpu"
    assert body["kpj_number"] is None
    assert nik_reveal_value(member) not in response.content.decode()
    assert set(body) == set(api.ENROLLMENT_FIELDS)


def test_without_submit_the_enrollment_stays_a_draft(operator, member):
    response = create(client_of(operator), member, payer="sponsor", scheme="bpu-national")
    assert response.status_code == 201, response.json()
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.payer, enrollment.scheme) == ("draft", "sponsor", "bpu-national")


def test_a_scheme_not_in_force_when_cover_starts_or_of_another_province_is_refused(operator, member):
    from contributions.models import TariffScheme

    ended = create(client_of(operator), member, scheme="ntb-2021")
    assert ended.status_code == 400
    assert "berakhir pada 12/2021" in str(ended.json())
    TariffScheme.objects.create(
        code="sulut-2026",
        name="Sulut 2026",
        province_id="71",
        valid_from=date(2026, 1, 1),
        method="flat",
        flat_amount=12_000,
    )
    elsewhere = create(client_of(operator), member, scheme="sulut-2026")
    assert elsewhere.status_code == 400
    assert "untuk provinsi lain" in str(elsewhere.json())
    assert not Enrollment.objects.exists()


def test_the_list_is_scoped_and_filtered(operator, member):
    mine = submitted(operator, member)
    other_operator = UserFactory.create(office=OfficeFactory.diskop_regency("71.71"), roles=[Role.OPERATOR])
    theirs = submitted(
        other_operator, make_member("71.71", full_name="Orang Manado", heir_name="A", heir_relation="child")
    )
    client = client_of(operator)
    listed = client.get(URL).json()
    assert listed["count"] == 1
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert [row["id"] for row in client.get(URL, {"status": "submitted"}).json()["results"]] == [mine.pk]
    assert client.get(URL, {"status": "draft"}).json()["results"] == []
    assert client.get(URL, {"member": member.pk, "regency": "52.71", "kind": "bpu"}).json()["count"] == 1
    assert client.get(URL, {"submitted_office": operator.office_id, "payer": "self"}).json()["count"] == 1
    assert client.get(URL, {"regency": "71.71"}).json()["count"] == 0
    assert client.get(URL, {"member": theirs.member_id}).json()["count"] == 0
    assert client.get(f"{URL}{mine.pk}/").json()["member_full_name"] == "Dewi Lestari"


def test_an_invalid_filter_answers_400_in_indonesian(operator):
    response = client_of(operator).get(URL, {"status": "hilang", "member": "abc"})
    assert response.status_code == 400
    assert "tidak ada dalam daftar pilihan" in response.json()["status"][0]
    assert response.json()["member"] == ["Nilai bidang ini harus berupa bilangan bulat."]


def test_users_of_another_region_get_404_on_every_enrollment_endpoint(operator, member):
    enrollment = submitted(operator, member)
    stranger = UserFactory.create(office=OfficeFactory.diskop_regency("71.71"), roles=[Role.OPERATOR])
    strange_officer = UserFactory.create(office=OfficeFactory.branch(["71.71"]), roles=[Role.OFFICER])
    detail = f"{URL}{enrollment.pk}/"
    client = client_of(stranger)
    assert client.get(URL).json()["count"] == 0
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"scheme": "x", "version": 2}, format="json").status_code == 404
    assert client.post(f"{detail}submit/").status_code == 404
    client = client_of(strange_officer)
    assert client.get(detail).status_code == 404
    assert client.post(f"{detail}decide/", {"decision": "approve"}, format="json").status_code == 404
    assert client.post(f"{detail}end/", {"reason": "death"}, format="json").status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


def test_an_operator_cannot_enroll_a_person_outside_the_area(operator):
    outsider = make_member("71.71", full_name="Orang Manado", heir_name="A", heir_relation="child")
    response = create(client_of(operator), outsider)
    assert response.status_code == 400
    assert "member" in response.json()
    assert not Enrollment.objects.exists()


def test_an_officer_cannot_create_submit_or_correct(officer, operator, member):
    client = client_of(officer)
    assert create(client, member).status_code == 403
    draft = enrollment_create(member=member, data={"requested_start": timezone.localdate()}, actor=operator)
    assert client.post(f"{URL}{draft.pk}/submit/").status_code == 403
    assert client.patch(f"{URL}{draft.pk}/", {"scheme": "x", "version": 1}, format="json").status_code == 403
    assert client.get(f"{URL}{draft.pk}/").status_code == 200
    assert Enrollment.objects.get().status == EnrollmentStatus.DRAFT


def test_an_operator_cannot_decide_end_or_decide_in_bulk(operator, member):
    enrollment = submitted(operator, member)
    client = client_of(operator)
    assert (
        client.post(f"{URL}{enrollment.pk}/decide/", {"decision": "approve"}, format="json").status_code
        == 403
    )
    assert client.post(f"{URL}{enrollment.pk}/end/", {"reason": "death"}, format="json").status_code == 403
    bulk = client.post(f"{URL}bulk-decide/", {"ids": [enrollment.pk], "decision": "approve"}, format="json")
    assert bulk.status_code == 403
    assert not Job.objects.exists()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


def test_rejected_corrected_resubmitted_and_approved_with_a_kpj_number(operator, officer, colleague, member):
    desk = client_of(operator)
    created = create(desk, member, submit=True).json()
    detail = f"{URL}{created['id']}/"

    rejected = client_of(officer).post(
        f"{detail}decide/",
        {"decision": "reject", "reason": "incomplete", "note": "Skema belum diisi"},
        format="json",
    )
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == EnrollmentStatus.REJECTED
    assert rejected.json()["rejection_reason"] == "incomplete"
    assert rejected.json()["rejection_note"] == "Skema belum diisi"
    assert rejected.json()["decided_by"] == officer.pk

    no_version = desk.patch(detail, {"scheme": "bpu-national"}, format="json")
    assert no_version.status_code == 400
    assert no_version.json() == {"version": ["Bidang ini harus diisi."]}
    version = rejected.json()["version"]
    corrected = desk.patch(
        detail, {"scheme": "bpu-national", "payer": "bank", "bank": "bri", "version": version}, format="json"
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["scheme"] == "bpu-national"
    assert corrected.json()["payer"] == "bank"
    assert corrected.json()["bank"] == "bri"
    assert corrected.json()["version"] == version + 1

    resubmitted = desk.post(f"{detail}submit/")
    assert resubmitted.status_code == 200, resubmitted.json()
    assert resubmitted.json()["status"] == EnrollmentStatus.SUBMITTED
    assert resubmitted.json()["decided_by"] is None

    approved = client_of(colleague).post(f"{detail}decide/", {"decision": "approve"}, format="json")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == EnrollmentStatus.APPROVED
    assert body["kpj_number"] is not None
    assert len(body["kpj_number"]) == 11
    assert body["coverage_start"] == start()
    member.refresh_from_db()
    assert member.kpj_number == body["kpj_number"]
    trail = list(
        AuditEntry.objects.filter(object_type="members.enrollment", object_id=str(created["id"]))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert trail == [
        "members.enrollment.created",
        "members.enrollment.submitted",
        "members.enrollment.rejected",
        "members.enrollment.updated",
        "members.enrollment.submitted",
        "members.enrollment.approved",
    ]


def test_an_officer_approves_with_the_kpj_number_and_coverage_start_given(operator, officer, member):
    enrollment = submitted(operator, member)
    coverage = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client_of(officer).post(
        f"{URL}{enrollment.pk}/decide/",
        {"decision": "approve", "kpj": "12345678901", "coverage_start": coverage},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["kpj_number"] == "12345678901"
    assert response.json()["coverage_start"] == coverage


def test_a_kpj_number_of_the_wrong_format_is_refused_with_400(operator, officer, member):
    enrollment = submitted(operator, member)
    response = client_of(officer).post(
        f"{URL}{enrollment.pk}/decide/", {"decision": "approve", "kpj": "12-34"}, format="json"
    )
    assert response.status_code == 400
    assert "12-34" in response.json()["detail"]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


def test_the_submitter_cannot_approve_their_own_submission(branch, member):
    both = UserFactory.create(office=branch, roles=[Role.OPERATOR, Role.OFFICER])
    client = client_of(both)
    created = create(client, member, submit=True)
    assert created.status_code == 201, created.json()
    response = client.post(f"{URL}{created.json()['id']}/decide/", {"decision": "approve"}, format="json")
    assert response.status_code == 400
    assert "petugas lain" in response.json()["detail"]
    assert Enrollment.objects.get().status == EnrollmentStatus.SUBMITTED


def test_a_decision_overtaken_by_another_officers_answers_409(operator, officer, colleague, member):
    enrollment = submitted(operator, member)
    # The colleague loaded the enrollment while it was pending; the officer decided first.
    enrollment_approve(enrollment=enrollment, actor=officer)
    response = client_of(colleague).post(
        f"{URL}{enrollment.pk}/decide/", {"decision": "reject", "reason": "duplicate"}, format="json"
    )
    assert response.status_code == 409
    assert "sudah diputuskan" in response.json()["detail"]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert enrollment.decided_by == officer


def test_a_rejection_needs_a_reason_from_the_list(operator, officer, member):
    enrollment = submitted(operator, member)
    client = client_of(officer)
    decide = f"{URL}{enrollment.pk}/decide/"
    without = client.post(decide, {"decision": "reject"}, format="json")
    assert without.status_code == 400
    assert without.json() == {"reason": ["Bidang ini harus diisi."]}
    unknown = client.post(decide, {"decision": "reject", "reason": "malas"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["reason"] == ['"malas" tidak ada dalam daftar pilihan.']
    other = client.post(decide, {"decision": "reject", "reason": "other"}, format="json")
    assert other.status_code == 400
    assert other.json()["detail"]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


def test_a_stale_correction_answers_409_and_changes_nothing(operator, member):
    draft = enrollment_create(member=member, data={"requested_start": timezone.localdate()}, actor=operator)
    client = client_of(operator)
    first = client.patch(f"{URL}{draft.pk}/", {"scheme": "bpu-national", "version": 1}, format="json")
    assert first.status_code == 200, first.json()
    stale = client.patch(f"{URL}{draft.pk}/", {"scheme": "APBD", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["detail"]
    draft.refresh_from_db()
    assert draft.scheme == "bpu-national"


def test_a_submitted_enrollment_cannot_be_corrected(operator, member):
    enrollment = submitted(operator, member)
    response = client_of(operator).patch(
        f"{URL}{enrollment.pk}/", {"scheme": "APBD", "version": enrollment.version}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def test_messages_are_in_indonesian_and_a_refused_submission_creates_nothing(operator):
    client = client_of(operator)
    no_heir = make_member("52.71", full_name="Tanpa Ahli Waris")
    missing = client.post(URL, {"member": no_heir.pk}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"requested_start": ["Bidang ini harus diisi."]}
    refused = create(client, no_heir, submit=True)
    assert refused.status_code == 400
    assert "ahli waris" in refused.json()["detail"]
    assert not Enrollment.objects.exists()
    bad_date = client.post(URL, {"member": no_heir.pk, "requested_start": "31-12-2026"}, format="json")
    assert bad_date.json()["requested_start"][0].startswith("Format tanggal salah")


def test_an_officer_ends_an_approved_enrollment(operator, officer, member):
    enrollment = enrollment_approve(enrollment=submitted(operator, member), actor=officer)
    client = client_of(officer)
    end = f"{URL}{enrollment.pk}/end/"
    unknown = client.post(end, {"reason": "bosan"}, format="json")
    assert unknown.status_code == 400
    assert "reason" in unknown.json()
    too_early = client.post(end, {"reason": "left", "ended_on": "2000-01-01"}, format="json")
    assert too_early.status_code == 400
    assert too_early.json()["detail"]
    ended_on = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        end, {"reason": "death", "ended_on": ended_on, "note": "Akta kematian"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == EnrollmentStatus.ENDED
    assert response.json()["end_reason"] == "death"
    assert response.json()["ended_on"] == ended_on
    again = client.post(end, {"reason": "death"}, format="json")
    assert again.status_code == 400


def test_a_bulk_decision_answers_202_with_a_job_of_the_visible_pending_enrollments(operator, officer):
    pending = [
        submitted(
            operator, make_member("52.71", full_name=f"Orang {n}", heir_name="A", heir_relation="child")
        )
        for n in range(2)
    ]
    draft = enrollment_create(
        member=make_member("52.71", full_name="Masih Draf"),
        data={"requested_start": timezone.localdate()},
        actor=operator,
    )
    elsewhere = submitted(
        UserFactory.create(office=OfficeFactory.diskop_regency("71.71"), roles=[Role.OPERATOR]),
        make_member("71.71", full_name="Orang Manado", heir_name="A", heir_relation="child"),
    )
    client = client_of(officer)
    ids = [e.pk for e in [*pending, draft, elsewhere]]
    response = client.post(
        f"{URL}bulk-decide/",
        {"ids": ids, "decision": "reject", "reason": "incomplete", "note": " Foto "},
        format="json",
    )
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert response.json() == {"job": job.pk, "url": f"/api/v1/jobs/{job.pk}/", "total": 2}
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert job.kind == Job.Kind.ENROLLMENT_DECISIONS
    assert job.created_by == officer
    assert job.total == 2
    assert job.params == {
        "decision": "reject",
        "reason": "incomplete",
        "note": "Foto",
        "ids": sorted(e.pk for e in pending),
    }
    # Nothing is decided before a worker runs the job.
    assert set(Enrollment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "submitted",
        "draft",
    }

    followed = client.get(f"/api/v1/jobs/{job.pk}/")
    assert followed.status_code == 200
    assert followed.json()["status"] == Job.Status.PENDING
    assert followed.json()["total"] == 2
    assert followed.json()["percent"] == 0
    assert "params" not in followed.json()
    assert client.get("/api/v1/jobs/").json()["count"] == 1
    colleague = UserFactory.create(office=officer.office, roles=[Role.OFFICER])
    assert client_of(colleague).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert client_of(colleague).get("/api/v1/jobs/").json()["count"] == 0


def test_a_bulk_decision_is_validated_before_a_job_is_made(operator, officer, member):
    client = client_of(officer)
    bulk = f"{URL}bulk-decide/"
    empty = client.post(bulk, {"ids": [], "decision": "approve"}, format="json")
    assert empty.status_code == 400
    assert "ids" in empty.json()
    no_reason = client.post(bulk, {"ids": [1], "decision": "reject"}, format="json")
    assert no_reason.json() == {"reason": ["Bidang ini harus diisi."]}
    draft = enrollment_create(member=member, data={"requested_start": timezone.localdate()}, actor=operator)
    nothing_pending = client.post(bulk, {"ids": [draft.pk], "decision": "approve"}, format="json")
    assert nothing_pending.status_code == 400
    assert nothing_pending.json()["detail"]
    assert not Job.objects.exists()


def test_the_create_and_update_fields_are_the_services_editable_fields():
    fields = set(api.EnrollmentFieldsSerializer().fields)
    assert fields == set(EDITABLE_FIELDS)


def test_every_enrollment_and_job_operation_documents_its_request_and_responses():
    schema = SchemaGenerator(patterns=None).get_schema(request=None, public=True)
    paths = schema["paths"]
    bodies = {
        ("/api/v1/enrollments/", "post"): "201",
        ("/api/v1/enrollments/{id}/", "patch"): "200",
        ("/api/v1/enrollments/{id}/decide/", "post"): "200",
        ("/api/v1/enrollments/{id}/end/", "post"): "200",
        ("/api/v1/enrollments/bulk-decide/", "post"): "202",
    }
    for (path, method), ok in bodies.items():
        operation = paths[path][method]
        assert "requestBody" in operation, (path, method)
        assert {ok, "400"} <= set(operation["responses"]), (path, method)
    assert {"200", "409"} <= set(paths["/api/v1/enrollments/{id}/decide/"]["post"]["responses"])
    assert "400" in paths["/api/v1/enrollments/{id}/submit/"]["post"]["responses"]
    listing = {p["name"] for p in paths["/api/v1/enrollments/"]["get"]["parameters"]}
    assert {"status", "kind", "payer", "regency", "submitted_office", "member", "page"} <= listing
    assert "put" not in paths["/api/v1/enrollments/{id}/"]
    assert set(paths["/api/v1/jobs/{id}/"]) == {"get"}
    assert "nik" not in schema["components"]["schemas"]["Enrollment"]["properties"]
