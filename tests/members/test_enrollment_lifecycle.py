"""After approval: activation on the coverage start, lapse and reactivation, ending; corrections; bulk
decisions run in-process (the worker journey is in test_enrollment_bulk_worker.py)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from members.enrollments import (
    BULK_CHUNK,
    EnrollmentError,
    bulk_decisions_run,
    bulk_decisions_start,
    enrollment_approve,
    enrollment_create,
    enrollment_end,
    enrollment_lapse,
    enrollment_reactivate,
    enrollment_reject,
    enrollment_submit,
    enrollment_update,
    enrollments_activate_due,
)
from members.models import Enrollment, EnrollmentStatus
from tests.factories import OfficeFactory, UserFactory, make_member
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job


@pytest.fixture
def team(db):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    branch = OfficeFactory.branch(["52.71"], name="Cabang Mataram")
    officer = UserFactory.create(office=branch, roles=[Role.OFFICER])
    return operator, officer


def pending(operator, count=1, **fields):
    result = []
    for index in range(count):
        member = make_member(
            "52.71", full_name=f"Peserta {index}", heir_name="Ahli", heir_relation="child", **fields
        )
        enrollment = enrollment_create(
            member=member, data={"requested_start": timezone.localdate()}, actor=operator, submit=True
        )
        result.append(enrollment)
    return result


def test_an_approved_enrollment_becomes_active_on_its_coverage_start(team):
    operator, officer = team
    today = timezone.localdate()
    (enrollment,) = pending(operator)
    enrollment_approve(enrollment=enrollment, actor=officer, coverage_start=today + timedelta(days=10))
    assert enrollments_activate_due(today) == 0
    assert list(Enrollment.objects.eligible()) == [enrollment]
    assert enrollments_activate_due(today + timedelta(days=10)) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    entry = AuditEntry.objects.get(action="members.enrollment.active")
    assert entry.changes == {"status": ["approved", "active"]}
    assert entry.actor is None
    # Running again changes nothing.
    assert enrollments_activate_due(today + timedelta(days=11)) == 0


def test_lapse_reactivation_and_end_are_transitions_with_audit(team):
    operator, officer = team
    (enrollment,) = pending(operator)
    enrollment_approve(enrollment=enrollment, actor=officer)
    enrollments_activate_due(timezone.localdate())
    enrollment = enrollment_lapse(enrollment=enrollment, reason="3 bulan menunggak")
    assert enrollment.status == EnrollmentStatus.LAPSED
    assert not Enrollment.objects.eligible().exists()
    with pytest.raises(EnrollmentError):
        enrollment_lapse(enrollment=enrollment)
    enrollment = enrollment_reactivate(enrollment=enrollment, reason="tunggakan dibayar")
    assert enrollment.status == EnrollmentStatus.ACTIVE
    with pytest.raises(EnrollmentError, match="cabang"):
        enrollment_end(enrollment=enrollment, actor=operator, reason="death")
    with pytest.raises(EnrollmentError):
        enrollment_end(enrollment=enrollment, actor=officer, reason="bogus")
    enrollment = enrollment_end(enrollment=enrollment, actor=officer, reason="death", note="akta kematian")
    assert enrollment.status == EnrollmentStatus.ENDED
    assert enrollment.ended_on == timezone.localdate()
    actions = list(
        AuditEntry.objects.filter(object_id=str(enrollment.pk), object_type="members.enrollment")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "members.enrollment.lapsed",
        "members.enrollment.active",
        "members.enrollment.ended",
    ]
    # Ended: the person may be enrolled again with a new enrollment.
    again = enrollment_create(
        member=enrollment.member, data={"requested_start": timezone.localdate()}, actor=operator
    )
    assert again.status == EnrollmentStatus.DRAFT


def test_a_rejected_enrollment_is_corrected_with_a_version_check(team):
    operator, officer = team
    (enrollment,) = pending(operator)
    enrollment = enrollment_reject(enrollment=enrollment, actor=officer, reason="incomplete", note="Upah?")
    with pytest.raises(EnrollmentError, match="Orang lain"):
        enrollment_update(
            enrollment=enrollment, data={"payer": "bank", "bank": "bri"}, actor=operator, expected_version=1
        )
    enrollment = enrollment_update(
        enrollment=enrollment,
        data={"payer": "bank", "bank": "bri"},
        actor=operator,
        expected_version=enrollment.version,
    )
    assert enrollment.payer == "bank"
    entry = AuditEntry.objects.get(action="members.enrollment.updated")
    assert entry.changes == {"payer": ["self", "bank"], "bank": ["", "bri"]}
    enrollment_submit(enrollment=enrollment, actor=operator)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED
    with pytest.raises(EnrollmentError, match="draf"):
        enrollment_update(enrollment=enrollment, data={"payer": "self"}, actor=operator, expected_version=99)


def test_the_audit_log_names_no_one_in_full(team):
    operator, _ = team
    (enrollment,) = pending(operator)
    labels = set(
        AuditEntry.objects.filter(object_type="members.enrollment").values_list("object_label", flat=True)
    )
    assert labels == {f"P*** 0*** · #{enrollment.pk}"}


def test_a_bulk_decision_decides_each_item_audits_it_and_resumes_without_repeating(team):
    operator, officer = team
    items = pending(operator, count=BULK_CHUNK + 3)
    job = bulk_decisions_start(actor=officer, ids=[e.pk for e in items], decision="approve")
    assert job.total == BULK_CHUNK + 3
    assert job.params["ids"] == sorted(e.pk for e in items)
    # A worker that died after the first chunk committed: the cursor says where to resume.
    job.refresh_from_db()
    bulk_decisions_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == BULK_CHUNK + 3
    assert job.result["approved"] == BULK_CHUNK + 3
    assert Enrollment.objects.filter(status=EnrollmentStatus.APPROVED).count() == BULK_CHUNK + 3
    assert AuditEntry.objects.filter(action="members.enrollment.approved").count() == BULK_CHUNK + 3
    kpjs = [e.member.kpj_number for e in Enrollment.objects.select_related("member")]
    assert len(set(kpjs)) == len(kpjs)
    assert all(k and len(k) == 11 for k in kpjs)
    # Redelivered after it finished: nothing happens twice.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    bulk_decisions_run(job.pk)
    assert AuditEntry.objects.filter(action="members.enrollment.approved").count() == BULK_CHUNK + 3


def test_a_bulk_run_interrupted_between_chunks_continues_at_its_cursor(team):
    operator, officer = team
    items = pending(operator, count=3)
    job = bulk_decisions_start(
        actor=officer, ids=[e.pk for e in items], decision="reject", reason="incomplete"
    )
    # The first item was decided by the job's first chunk before a crash (simulated: cursor 1).
    first = Enrollment.objects.get(pk=job.params["ids"][0])
    enrollment_reject(enrollment=first, actor=officer, reason="incomplete")
    job.result = {**job.result, "cursor": 1, "rejected": 1}
    job.done = 1
    job.save()
    bulk_decisions_run(job.pk)
    job.refresh_from_db()
    assert job.done == 3
    assert job.failed == 0
    assert job.result["rejected"] == 3
    assert AuditEntry.objects.filter(action="members.enrollment.rejected").count() == 3


def test_a_bulk_decision_refuses_items_one_by_one_with_reasons(team):
    operator, officer = team
    items = pending(operator, count=2)
    # The officer submitted one of them (also an operator there): maker-checker refuses that item only.
    officer.roles = [Role.OFFICER, Role.OPERATOR]
    officer.save()
    own = make_member("52.71", full_name="Milik Sendiri", heir_name="A", heir_relation="child")
    mine = enrollment_create(
        member=own, data={"requested_start": timezone.localdate()}, actor=officer, submit=False
    )
    officer.office = operator.office
    officer.save()
    enrollment_submit(enrollment=mine, actor=officer)
    branch = UserFactory.create(office=OfficeFactory.branch(["52.71"], name="Cabang 2"), roles=[Role.OFFICER])
    officer.office = branch.office
    officer.save()
    job = bulk_decisions_start(actor=officer, ids=[*(e.pk for e in items), mine.pk], decision="approve")
    bulk_decisions_run(job.pk)
    job.refresh_from_db()
    assert job.result["approved"] == 2
    assert job.failed == 1
    assert job.result["refused"][0]["id"] == mine.pk
    assert "petugas lain" in job.result["refused"][0]["message"]


def test_a_bulk_decision_takes_only_what_the_officer_sees_and_is_limited(team):
    _, officer = team
    other_operator = UserFactory.create(office=OfficeFactory.diskop_regency("71.71"), roles=[Role.OPERATOR])
    elsewhere = make_member("71.71", full_name="Di Manado", heir_name="A", heir_relation="child")
    foreign = enrollment_create(
        member=elsewhere, data={"requested_start": date.today()}, actor=other_operator, submit=True
    )
    with pytest.raises(EnrollmentError, match="menunggu"):
        bulk_decisions_start(actor=officer, ids=[foreign.pk], decision="approve")
    with pytest.raises(EnrollmentError, match=r"10\.000"):
        bulk_decisions_start(actor=officer, ids=list(range(10_001)), decision="approve")
    with pytest.raises(EnrollmentError, match="alasan"):
        bulk_decisions_start(actor=officer, ids=[foreign.pk], decision="reject", reason="")
