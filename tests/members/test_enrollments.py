"""Enrollment transitions: maker-checker, the serving branch, checks before submit, concurrency."""

import threading
from datetime import date

import pytest
from django.db import connections
from django.utils import timezone

from members.enrollments import (
    START_MONTHS_AHEAD,
    EnrollmentError,
    enrollment_approve,
    enrollment_create,
    enrollment_reject,
    enrollment_submit,
    kpj_is_valid,
    latest_start,
)
from members.models import Enrollment, EnrollmentStatus
from tests.factories import OfficeFactory, UserFactory, make_member
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry


@pytest.fixture
def people(db):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    branch = OfficeFactory.branch(["52.71", "52.01"], name="Cabang Mataram")
    officer = UserFactory.create(office=branch, roles=[Role.OFFICER])
    colleague = UserFactory.create(office=branch, roles=[Role.OFFICER])
    stranger = UserFactory.create(office=OfficeFactory.branch(["71.71"]), roles=[Role.OFFICER])
    member = make_member("52.71", heir_name="Budi", heir_relation="spouse")
    return operator, officer, colleague, stranger, member


def submitted(operator, member):
    enrollment = enrollment_create(member=member, data={"requested_start": date(2026, 12, 1)}, actor=operator)
    return enrollment_submit(enrollment=enrollment, actor=operator)


def test_an_operator_submits_and_the_serving_branch_approves_with_a_kpj(people):
    operator, officer, _, _, member = people
    enrollment = enrollment_approve(enrollment=submitted(operator, member), actor=officer)
    member.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert member.kpj_number is not None
    assert len(member.kpj_number) == 11
    assert member.kpj_number.isdigit()
    assert enrollment.coverage_start is not None
    actions = list(
        AuditEntry.objects.filter(object_type="members.enrollment").values_list("action", flat=True)
    )
    assert set(actions) == {
        "members.enrollment.created",
        "members.enrollment.submitted",
        "members.enrollment.approved",
    }


def test_a_kpj_typed_in_full_width_digits_is_stored_in_ascii_and_cannot_pass_for_a_new_number(people):
    operator, officer, _, _, member = people
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in "12345678901")
    enrollment = enrollment_approve(enrollment=submitted(operator, member), actor=officer, kpj=full_width)
    member.refresh_from_db()
    assert member.kpj_number == "12345678901"
    assert enrollment.status == EnrollmentStatus.APPROVED
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in "12345678901")  # NFKC keeps these
    assert not kpj_is_valid(arabic_indic)


def test_only_the_branch_serving_the_regency_decides(people):
    operator, _, _, stranger, member = people
    with pytest.raises(EnrollmentError, match="cabang yang melayani"):
        enrollment_approve(enrollment=submitted(operator, member), actor=stranger)


def test_the_maker_is_never_the_checker(people):
    operator, officer, _, _, member = people
    operator.roles = [Role.OPERATOR, Role.OFFICER]
    operator.office = officer.office
    operator.save()
    enrollment = submitted(operator, member)
    with pytest.raises(EnrollmentError, match="petugas lain"):
        enrollment_approve(enrollment=enrollment, actor=operator)


def test_a_rejected_enrollment_is_corrected_and_resubmitted_keeping_its_history(people):
    operator, officer, colleague, _, member = people
    enrollment = enrollment_reject(
        enrollment=submitted(operator, member),
        actor=officer,
        reason="incomplete",
        note="Nama ahli waris tidak lengkap",
    )
    assert enrollment.status == EnrollmentStatus.REJECTED
    enrollment = enrollment_submit(enrollment=enrollment, actor=operator)
    enrollment = enrollment_approve(enrollment=enrollment, actor=colleague)
    assert enrollment.status == EnrollmentStatus.APPROVED
    trail = list(
        AuditEntry.objects.filter(object_type="members.enrollment", object_id=str(enrollment.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert trail == [
        "members.enrollment.created",
        "members.enrollment.submitted",
        "members.enrollment.rejected",
        "members.enrollment.submitted",
        "members.enrollment.approved",
    ]


def test_submission_checks_the_heir_income_and_age(people):
    operator, *_ = people
    no_heir = make_member("52.71", full_name="Tanpa Ahli Waris")
    enrollment = enrollment_create(
        member=no_heir, data={"requested_start": date(2026, 12, 1)}, actor=operator
    )
    with pytest.raises(EnrollmentError, match="ahli waris"):
        enrollment_submit(enrollment=enrollment, actor=operator)
    old = make_member(
        "52.71", full_name="Sudah Tua", birth=date(1940, 1, 1), heir_name="A", heir_relation="child"
    )
    enrollment = enrollment_create(member=old, data={"requested_start": date(2026, 12, 1)}, actor=operator)
    with pytest.raises(EnrollmentError, match="tahun"):
        enrollment_submit(enrollment=enrollment, actor=operator)


def test_a_second_open_enrollment_is_refused_with_a_message(people):
    operator, _, _, _, member = people
    submitted(operator, member)
    with pytest.raises(EnrollmentError, match="belum berakhir"):
        enrollment_create(member=member, data={"requested_start": date(2027, 1, 1)}, actor=operator)


@pytest.mark.django_db(transaction=True)
def test_two_officers_approving_at_the_same_moment_make_exactly_one_decision():
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    branch = OfficeFactory.branch(["52.71"])
    officers = [UserFactory.create(office=branch, roles=[Role.OFFICER]) for _ in range(2)]
    member = make_member("52.71", heir_name="Budi", heir_relation="spouse")
    enrollment = submitted(operator, member)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(officer):
        try:
            barrier.wait()
            enrollment_approve(enrollment=Enrollment.objects.get(pk=enrollment.pk), actor=officer)
            outcomes.append("approved")
        except EnrollmentError as error:
            outcomes.append(str(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("approved") == 1
    refusals = [outcome for outcome in outcomes if outcome != "approved"]
    assert len(refusals) == 1
    assert "sudah diputuskan" in refusals[0]
    assert AuditEntry.objects.filter(action="members.enrollment.approved").count() == 1


def test_the_latest_start_is_months_ahead_on_the_same_day_or_the_months_last():
    assert START_MONTHS_AHEAD == 3
    assert latest_start(date(2026, 11, 22)) == date(2027, 2, 22)
    assert latest_start(date(2026, 11, 30)) == date(2027, 2, 28)
    assert latest_start(date(2027, 11, 30)) == date(2028, 2, 29)


def test_a_start_years_ahead_is_refused_when_asked_and_when_approved(people):
    operator, officer, _, _, member = people
    today = timezone.localdate()
    with pytest.raises(EnrollmentError, match="3"):
        enrollment_create(
            member=member, data={"requested_start": latest_start(today).replace(year=2035)}, actor=operator
        )
    enrollment = enrollment_create(
        member=member, data={"requested_start": latest_start(today)}, actor=operator
    )
    enrollment = enrollment_submit(enrollment=enrollment, actor=operator)
    with pytest.raises(EnrollmentError):
        enrollment_approve(enrollment=enrollment, actor=officer, coverage_start=date(2099, 1, 1))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED
    approved = enrollment_approve(
        enrollment=enrollment, actor=officer, coverage_start=latest_start(latest_start(today))
    )
    assert approved.coverage_start == latest_start(latest_start(today))
