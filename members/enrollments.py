"""Enrollment transitions: draft -> submitted -> approved or rejected (-> corrected and resubmitted).

Every transition locks the row, checks the current state, saves with update_fields and writes an audit
entry. The maker (submitter) is never the checker (decider): refused here and by the database.
Only an officer of the branch serving the person's regency decides.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from umkm_enroll.accounts.models import Office, Role
from umkm_enroll.audit.services import audit_record

from .models import Enrollment, EnrollmentStatus, Member, ParticipantKind


class EnrollmentError(Exception):
    """A refused transition, with a message for the user."""


class RejectionReason:
    CHOICES = [
        ("incomplete", gettext_lazy("Data incomplete")),
        ("nik_mismatch", gettext_lazy("NIK does not match the e-KTP")),
        ("duplicate", gettext_lazy("Already a participant")),
        ("not_eligible", gettext_lazy("Not eligible (age or kind of work)")),
        ("other", gettext_lazy("Other")),
    ]
    VALUES = {value for value, _label in CHOICES}


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def submit_problems(enrollment: Enrollment, today: date | None = None) -> list[str]:
    """What stops a submission, as messages; empty when it may go."""
    member: Member = enrollment.member
    today = today or timezone.localdate()
    problems = []
    age = age_on(member.birth_date, today)
    if not settings.ENROLLMENT_MIN_AGE <= age <= settings.ENROLLMENT_MAX_AGE:
        problems.append(
            _("The person is %(age)s years old; enrollment is for ages %(min)s to %(max)s.")
            % {"age": age, "min": settings.ENROLLMENT_MIN_AGE, "max": settings.ENROLLMENT_MAX_AGE}
        )
    if enrollment.jkm and not (member.heir_name and member.heir_relation):
        problems.append(_("JKM pays the heir: enter the heir's name and relation on the person's page."))
    if enrollment.kind == ParticipantKind.BPU and not member.monthly_income:
        problems.append(_("A BPU participant needs a declared monthly income."))
    if enrollment.kind == ParticipantKind.PU:
        if not member.monthly_wage:
            problems.append(_("A wage earner (PU) needs the monthly wage."))
        if not (member.employer_member_id or member.employer_cooperative_id):
            problems.append(_("A wage earner (PU) needs an employer."))
        if not enrollment.risk_class:
            problems.append(_("Choose the risk class of the work."))
    if enrollment.jht and enrollment.kind != ParticipantKind.BPU:
        problems.append(_("JHT is offered here to BPU participants only."))
    return problems


@transaction.atomic
def enrollment_create(*, member: Member, data: dict[str, Any], actor: Any) -> Enrollment:
    if not Member.objects.visible_to(actor).filter(pk=member.pk).exists():
        raise EnrollmentError(_("This person is outside your office's area."))
    enrollment = Enrollment(member=member, kind=member.kind, **data)
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        raise EnrollmentError(_("This person already has an enrollment that has not ended.")) from None
    audit_record(
        actor=actor,
        action="members.enrollment.created",
        target=enrollment,
        changes={"status": (None, enrollment.status)},
        region_code=member.regency_id,
    )
    return enrollment


def _locked(enrollment: Enrollment) -> Enrollment:
    return Enrollment.objects.select_for_update().select_related("member").get(pk=enrollment.pk)


def _transition(enrollment: Enrollment, actor: Any, status: str, fields: list[str], reason: str = "") -> None:
    before = enrollment.status
    enrollment.status = status
    enrollment.version += 1
    enrollment.save(update_fields=[*fields, "status", "version", "updated_at"])
    audit_record(
        actor=actor,
        action=f"members.enrollment.{status}",
        target=enrollment,
        changes={"status": (before, status)},
        reason=reason,
        region_code=enrollment.member.regency_id,
    )


@transaction.atomic
def enrollment_submit(*, enrollment: Enrollment, actor: Any) -> Enrollment:
    enrollment = _locked(enrollment)
    if enrollment.status == EnrollmentStatus.SUBMITTED:
        return enrollment
    if enrollment.status not in {EnrollmentStatus.DRAFT, EnrollmentStatus.REJECTED}:
        raise EnrollmentError(_("Only a draft or a rejected enrollment can be submitted."))
    if not Member.objects.visible_to(actor).filter(pk=enrollment.member_id).exists():
        raise EnrollmentError(_("This person is outside your office's area."))
    problems = submit_problems(enrollment)
    if problems:
        raise EnrollmentError(" ".join(problems))
    enrollment.submitted_by = actor
    enrollment.submitted_office = actor.office
    enrollment.submitted_at = timezone.now()
    enrollment.decided_by = None
    enrollment.decided_at = None
    _transition(
        enrollment,
        actor,
        EnrollmentStatus.SUBMITTED,
        ["submitted_by", "submitted_office", "submitted_at", "decided_by", "decided_at"],
    )
    return enrollment


def _check_decider(enrollment: Enrollment, actor: Any) -> None:
    if enrollment.status != EnrollmentStatus.SUBMITTED:
        raise EnrollmentError(
            _("This enrollment was already decided (%(status)s) by someone else.")
            % {"status": enrollment.get_status_display()}
        )
    if actor.pk == enrollment.submitted_by_id:
        raise EnrollmentError(_("You submitted this enrollment: another officer must decide it."))
    office: Office | None = actor.office
    serves = (
        office is not None
        and office.kind == Office.Kind.BPJS_BRANCH
        and office.served_regencies.filter(code=enrollment.member.regency_id).exists()
    )
    if not (actor.has_role(Role.OFFICER) and serves):
        raise EnrollmentError(_("Only an officer of the branch serving this regency can decide."))


def kpj_is_valid(kpj: str) -> bool:
    return bool(re.fullmatch(settings.KPJ_PATTERN, kpj))


def kpj_generate() -> str:
    """A new KPJ number in the configured format (digits), not yet given to anyone."""
    length = settings.KPJ_GENERATED_DIGITS
    while True:
        candidate = str(secrets.randbelow(9 * 10 ** (length - 1)) + 10 ** (length - 1))
        if not Member.objects.filter(kpj_number=candidate).exists():
            return candidate


@transaction.atomic
def enrollment_approve(
    *, enrollment: Enrollment, actor: Any, kpj: str = "", coverage_start: date | None = None
) -> Enrollment:
    enrollment = _locked(enrollment)
    _check_decider(enrollment, actor)
    member = Member.objects.select_for_update().get(pk=enrollment.member_id)
    if kpj and not kpj_is_valid(kpj):
        raise EnrollmentError(_("The KPJ number “%(kpj)s” does not have the expected format.") % {"kpj": kpj})
    if not member.kpj_number:
        member.kpj_number = kpj or kpj_generate()
        try:
            with transaction.atomic():
                member.save(update_fields=["kpj_number", "updated_at"])
        except IntegrityError:
            raise EnrollmentError(
                _("The KPJ number %(kpj)s already belongs to another person.") % {"kpj": member.kpj_number}
            ) from None
    enrollment.member = member
    enrollment.coverage_start = coverage_start or max(enrollment.requested_start, timezone.localdate())
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    _transition(enrollment, actor, EnrollmentStatus.APPROVED, ["coverage_start", "decided_by", "decided_at"])
    return enrollment


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, actor: Any, reason: str, note: str = "") -> Enrollment:
    if reason not in RejectionReason.VALUES:
        raise EnrollmentError(_("Choose a rejection reason from the list."))
    enrollment = _locked(enrollment)
    _check_decider(enrollment, actor)
    enrollment.rejection_reason = reason
    enrollment.rejection_note = note
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    _transition(
        enrollment,
        actor,
        EnrollmentStatus.REJECTED,
        ["rejection_reason", "rejection_note", "decided_by", "decided_at"],
        reason=f"{reason}: {note}",
    )
    return enrollment
