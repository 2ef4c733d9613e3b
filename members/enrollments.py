"""Enrollment transitions.

    draft -> submitted -> approved | rejected -> (rejected: corrected and resubmitted)
    approved -> active (from the coverage start date) -> lapsed (arrears) -> active (reactivated)
    approved | active | lapsed -> ended (death, leaving, end of a sponsored period)

Every transition locks the row, checks the current state, saves with update_fields and writes an audit
entry (who, when, from, to, reason). The maker (submitter) is never the checker (decider): refused here
and by the database. Only an officer of the branch serving the person's regency decides. Bulk decisions
run the same checks per item, a chunk per transaction, from a Job row (see `bulk_decisions_run`).
"""

from __future__ import annotations

import calendar
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from umkm_enroll.accounts.models import Office, Role
from umkm_enroll.audit.services import audit_entry, audit_record, audit_record_many
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

from .models import (
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Member,
    ParticipantKind,
    Payer,
    RejectionReasons,
    RiskClass,
)

# Fields an operator sets on a draft or corrects on a rejected enrollment.
EDITABLE_FIELDS = [
    "kind",
    "jht",
    "risk_class",
    "scheme",
    "payer",
    "sponsor_programme",
    "bank",
    "requested_start",
]
BULK_LIMIT = 10_000
BULK_CHUNK = 500


class EnrollmentError(Exception):
    """A refused transition, with a message for the user."""


class RejectionReason:
    CHOICES = RejectionReasons.choices
    VALUES = set(RejectionReasons.values)

    @classmethod
    def label(cls, value: str) -> str:
        return str(dict(cls.CHOICES).get(value, value))


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
    if enrollment.scheme:
        wrong = scheme_problem(
            enrollment.scheme, start=enrollment.requested_start, province=member.province_id
        )
        if wrong:
            problems.append(wrong)
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
    if enrollment.payer == Payer.SPONSOR:
        programme = enrollment.sponsor_programme
        if programme is None:
            problems.append(_("Choose the sponsor programme that pays."))
        elif programme.province_id != member.province_id or (
            programme.regency_id and programme.regency_id != member.regency_id
        ):
            problems.append(_("The sponsor programme does not cover the person's region."))
    if enrollment.payer == Payer.BANK and not enrollment.bank:
        problems.append(_("Choose the bank that deducts the contribution."))
    if enrollment.payer == Payer.EMPLOYER and enrollment.kind != ParticipantKind.PU:
        problems.append(_("Only a wage earner (PU) is paid for by an employer."))
    if enrollment.payer == Payer.COOPERATIVE and not member.cooperative_id:
        problems.append(_("The person is not a member of a cooperative that could pay."))
    if enrollment.jht and enrollment.kind != ParticipantKind.BPU:
        problems.append(_("JHT is offered here to BPU participants only."))
    return problems


# A requested or cover start further ahead is a typing slip (2035 for 2025): enrollments are asked for the
# coming weeks, and a card printed with the slip would carry it.
START_MONTHS_AHEAD = 3


def latest_start(day: date) -> date:
    """START_MONTHS_AHEAD months after `day` (the last day of the month when it has no such day)."""
    years, month = divmod(day.month - 1 + START_MONTHS_AHEAD, 12)
    year, month = day.year + years, month + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def start_problem(start: date, today: date) -> str | None:
    """What is wrong with a requested start, or None: not in a past month, not months ahead."""
    if start < today.replace(day=1):
        return _("The start cannot be in a past month.")
    if start > latest_start(today):
        return _("The start can be at most %(months)s months ahead, until %(date)s: check the year.") % {
            "months": START_MONTHS_AHEAD,
            "date": latest_start(today).strftime("%d/%m/%Y"),
        }
    return None


def scheme_problem(code: str, *, start: date | None, province: str | None) -> str | None:
    """Why the scheme `code` cannot be an enrollment's (unknown, another province's, closed, or not in
    force in the month cover is asked to start: the monthly run would find no tariff), or None."""
    from contributions.models import TariffScheme

    versions = list(TariffScheme.objects.filter(code=code).order_by("valid_from"))
    if not versions:
        return _("Unknown contribution scheme “%(code)s”.") % {"code": code}
    latest = versions[-1]
    if province and latest.province_id and latest.province_id != province:
        return _("The scheme “%(name)s” is for another province: choose one for the person's province.") % {
            "name": latest.name
        }
    if latest.valid_to is not None:
        return _("The scheme “%(name)s” ended in %(month)s: choose a scheme still in force.") % {
            "name": latest.name,
            "month": f"{latest.valid_to:%m/%Y}",
        }
    month = start.replace(day=1) if start else None
    if month and month < versions[0].valid_from:
        return _(
            "The scheme “%(name)s” applies from %(first)s, not in the month cover starts (%(month)s): "
            "choose a scheme in force then."
        ) % {"name": latest.name, "first": f"{versions[0].valid_from:%m/%Y}", "month": f"{month:%m/%Y}"}
    return None


def _clean(data: dict[str, Any], *, start: date | None = None, province: str | None = None) -> dict[str, Any]:
    start = data.get("requested_start") or start
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise EnrollmentError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if data.get("requested_start") and data["requested_start"] > latest_start(timezone.localdate()):
        raise EnrollmentError(str(start_problem(data["requested_start"], timezone.localdate())))
    if data.get("scheme"):
        problem = scheme_problem(data["scheme"], start=start, province=province)
        if problem:
            raise EnrollmentError(problem)
    if "payer" in data:
        if data["payer"] != Payer.SPONSOR:
            data = {**data, "sponsor_programme": None}
        if data["payer"] != Payer.BANK:
            data = {**data, "bank": ""}
    if data.get("kind") == ParticipantKind.BPU:
        data = {**data, "risk_class": ""}
    if data.get("kind") == ParticipantKind.PU:
        data = {**data, "jht": False}
        if data.get("risk_class", "") not in RiskClass.values:
            raise EnrollmentError(_("Choose the risk class of the work."))
    return data


def _visible(actor: Any, member_id: int) -> bool:
    return Member.objects.visible_to(actor).filter(pk=member_id).exists()


@transaction.atomic
def enrollment_create(
    *, member: Member, data: dict[str, Any], actor: Any, submit: bool = False
) -> Enrollment:
    if not _visible(actor, member.pk):
        raise EnrollmentError(_("This person is outside your office's area."))
    if member.merged_into_id:
        raise EnrollmentError(_("This record was merged into another one: enroll that record."))
    data = _clean({"kind": member.kind, **data}, start=timezone.localdate(), province=member.province_id)
    enrollment = Enrollment(member=member, created_office=getattr(actor, "office", None), **data)
    enrollment.status_changed_at = timezone.now()
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        raise EnrollmentError(_("This person already has an enrollment that has not ended.")) from None
    audit_record(
        actor=actor,
        action="members.enrollment.created",
        target=enrollment,
        changes={
            "status": (None, enrollment.status),
            **{name: (None, data[name]) for name in sorted(data) if data[name] not in ("", None, False)},
        },
    )
    if submit:
        enrollment = enrollment_submit(enrollment=enrollment, actor=actor)
    return enrollment


@transaction.atomic
def enrollment_update(
    *, enrollment: Enrollment, data: dict[str, Any], actor: Any, expected_version: int
) -> Enrollment:
    """Correct a draft or a rejected enrollment (before resubmitting it)."""
    enrollment = _locked(enrollment)
    if not enrollment.is_open_for_correction:
        raise EnrollmentError(_("Only a draft or a rejected enrollment can be changed."))
    if not _visible(actor, enrollment.member_id):
        raise EnrollmentError(_("This person is outside your office's area."))
    if enrollment.version != expected_version:
        raise EnrollmentError(
            _("Someone else changed this enrollment while you were editing: review it and save again.")
        )
    data = _clean(data, start=enrollment.requested_start, province=enrollment.member.province_id)
    changes = {
        name: (getattr(enrollment, name), value)
        for name, value in data.items()
        if getattr(enrollment, name) != value
    }
    if not changes:
        return enrollment
    for name, value in data.items():
        setattr(enrollment, name, value)
    enrollment.version += 1
    enrollment.save(update_fields=[*data, "version", "updated_at"])
    audit_record(actor=actor, action="members.enrollment.updated", target=enrollment, changes=changes)
    return enrollment


def _locked(enrollment: Enrollment | int) -> Enrollment:
    pk = enrollment if isinstance(enrollment, int) else enrollment.pk
    return Enrollment.objects.select_for_update(of=("self",)).select_related("member").get(pk=pk)


def _apply(enrollment: Enrollment, status: str) -> str:
    """Set the new status on the instance; returns the old one."""
    before = enrollment.status
    enrollment.status = status
    enrollment.version += 1
    enrollment.status_changed_at = timezone.now()
    return before


TRANSITION_FIELDS = ["status", "version", "status_changed_at", "updated_at"]


def _transition_entry(enrollment: Enrollment, actor: Any, before: str, reason: str = "") -> Any:
    return audit_entry(
        actor=actor,
        action=f"members.enrollment.{enrollment.status}",
        target=enrollment,
        changes={"status": (before, enrollment.status)},
        reason=reason,
    )


def _transition(enrollment: Enrollment, actor: Any, status: str, fields: list[str], reason: str = "") -> None:
    before = _apply(enrollment, status)
    enrollment.save(update_fields=[*fields, *TRANSITION_FIELDS])
    _transition_entry(enrollment, actor, before, reason).save()


@transaction.atomic
def enrollment_submit(*, enrollment: Enrollment, actor: Any) -> Enrollment:
    enrollment = _locked(enrollment)
    if enrollment.status == EnrollmentStatus.SUBMITTED:
        return enrollment
    if not enrollment.is_open_for_correction:
        raise EnrollmentError(_("Only a draft or a rejected enrollment can be submitted."))
    if not actor.has_role(Role.OPERATOR) or actor.office is None:
        raise EnrollmentError(_("Only an operator of a Diskop office can submit an enrollment."))
    if not _visible(actor, enrollment.member_id):
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


class Decider:
    """Who may decide what: an officer of the branch serving the person's regency, never the submitter.

    The served regencies are read once, so a bulk decision checks each item without a query."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        office: Office | None = actor.office
        if office is not None and office.kind == Office.Kind.BPJS_BRANCH and actor.has_role(Role.OFFICER):
            self.served = frozenset(office.served_regencies.values_list("code", flat=True))
        else:
            self.served = frozenset()

    def problem(self, enrollment: Enrollment) -> str | None:
        if enrollment.status == EnrollmentStatus.DRAFT:
            return _("Only a submitted enrollment can be decided.")
        if enrollment.status != EnrollmentStatus.SUBMITTED:
            return _("This enrollment was already decided (%(status)s) by someone else.") % {
                "status": enrollment.get_status_display()
            }
        if self.actor.pk == enrollment.submitted_by_id:
            return _("You submitted this enrollment: another officer must decide it.")
        if enrollment.member.regency_id not in self.served:
            return _("Only an officer of the branch serving this regency can decide.")
        return None

    def check(self, enrollment: Enrollment) -> None:
        problem = self.problem(enrollment)
        if problem:
            raise EnrollmentError(problem)


def kpj_is_valid(kpj: str) -> bool:
    """In the configured format, in ASCII digits (a bank's file can match them; `\\d` takes any script)."""
    return bool(re.fullmatch(settings.KPJ_PATTERN, kpj, flags=re.ASCII))


def kpj_clean(kpj: str) -> str:
    """A KPJ number as typed, with full-width or other compatibility digits made ASCII (NFKC)."""
    return unicodedata.normalize("NFKC", kpj).strip()


def kpj_generate_many(count: int) -> list[str]:
    """`count` new KPJ numbers in the configured format (digits), not yet given to anyone."""
    length = settings.KPJ_GENERATED_DIGITS
    found: set[str] = set()
    while len(found) < count:
        candidates = {
            str(secrets.randbelow(9 * 10 ** (length - 1)) + 10 ** (length - 1))
            for _ in range(count - len(found))
        } - found
        taken = set(Member.objects.filter(kpj_number__in=candidates).values_list("kpj_number", flat=True))
        found |= candidates - taken
    return sorted(found)


def kpj_generate() -> str:
    return kpj_generate_many(1)[0]


def _coverage_start(enrollment: Enrollment, today: date) -> date:
    return max(enrollment.requested_start, today)


@transaction.atomic
def enrollment_approve(
    *, enrollment: Enrollment, actor: Any, kpj: str = "", coverage_start: date | None = None
) -> Enrollment:
    enrollment = _locked(enrollment)
    Decider(actor).check(enrollment)
    member = Member.objects.select_for_update().get(pk=enrollment.member_id)
    kpj = kpj_clean(kpj)
    if kpj and not kpj_is_valid(kpj):
        raise EnrollmentError(_("The KPJ number “%(kpj)s” does not have the expected format.") % {"kpj": kpj})
    if kpj and member.kpj_number and kpj != member.kpj_number:
        raise EnrollmentError(
            _("This person already has the KPJ number %(kpj)s: leave the field empty to keep it.")
            % {"kpj": member.kpj_number}
        )
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
    today = timezone.localdate()
    if coverage_start is not None and coverage_start < enrollment.requested_start:
        raise EnrollmentError(_("Cover cannot start before the requested start date."))
    if coverage_start is not None and coverage_start > latest_start(max(enrollment.requested_start, today)):
        raise EnrollmentError(
            _("Cover can start at most %(months)s months after the requested start or today, until %(date)s.")
            % {
                "months": START_MONTHS_AHEAD,
                "date": latest_start(max(enrollment.requested_start, today)).strftime("%d/%m/%Y"),
            }
        )
    enrollment.coverage_start = coverage_start or _coverage_start(enrollment, today)
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    _transition(enrollment, actor, EnrollmentStatus.APPROVED, ["coverage_start", "decided_by", "decided_at"])
    return enrollment


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, actor: Any, reason: str, note: str = "") -> Enrollment:
    if reason not in RejectionReason.VALUES:
        raise EnrollmentError(_("Choose a rejection reason from the list."))
    if reason == "other" and not note.strip():
        raise EnrollmentError(_("With the reason “Other”, explain the rejection in the note."))
    enrollment = _locked(enrollment)
    Decider(actor).check(enrollment)
    enrollment.rejection_reason = reason
    enrollment.rejection_note = note.strip()
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    _transition(
        enrollment,
        actor,
        EnrollmentStatus.REJECTED,
        ["rejection_reason", "rejection_note", "decided_by", "decided_at"],
        reason=f"{reason}: {note}".strip(": "),
    )
    return enrollment


# --- after approval ------------------------------------------------------------------------------------


def enrollments_activate_due(today: date | None = None, chunk: int = 1000) -> int:
    """Approved enrollments whose cover has started become active (run by Celery beat, every hour)."""
    today = today or timezone.localdate()
    activated = 0
    while True:
        with transaction.atomic():
            rows = list(
                Enrollment.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("member")
                .filter(status=EnrollmentStatus.APPROVED, coverage_start__lte=today)
                .order_by("pk")[:chunk]
            )
            if not rows:
                return activated
            entries = []
            for enrollment in rows:
                before = _apply(enrollment, EnrollmentStatus.ACTIVE)
                entries.append(_transition_entry(enrollment, None, before, reason=_("Cover has started.")))
            Enrollment.objects.bulk_update(rows, TRANSITION_FIELDS)
            audit_record_many(entries)
            activated += len(rows)


@transaction.atomic
def enrollment_lapse(*, enrollment: Enrollment, actor: Any = None, reason: str = "") -> Enrollment:
    """Active -> lapsed: cover stops for arrears (applied by the contributions rules)."""
    enrollment = _locked(enrollment)
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise EnrollmentError(_("Only an active enrollment can lapse."))
    _transition(enrollment, actor, EnrollmentStatus.LAPSED, [], reason=reason)
    return enrollment


@transaction.atomic
def enrollment_reactivate(*, enrollment: Enrollment, actor: Any = None, reason: str = "") -> Enrollment:
    """Lapsed -> active: the arrears were paid within the grace period."""
    enrollment = _locked(enrollment)
    if enrollment.status != EnrollmentStatus.LAPSED:
        raise EnrollmentError(_("Only a lapsed enrollment can be reactivated."))
    _transition(enrollment, actor, EnrollmentStatus.ACTIVE, [], reason=reason)
    return enrollment


ENDABLE = {EnrollmentStatus.APPROVED, EnrollmentStatus.ACTIVE, EnrollmentStatus.LAPSED}


@transaction.atomic
def enrollment_end(
    *, enrollment: Enrollment, actor: Any, reason: str, ended_on: date | None = None, note: str = ""
) -> Enrollment:
    """End the cover (death, leaving, end of a sponsored period). The person may be enrolled again later
    with a new enrollment; this one keeps its history."""
    if reason not in EndReason.values:
        raise EnrollmentError(_("Choose why the enrollment ends."))
    enrollment = _locked(enrollment)
    if enrollment.status not in ENDABLE:
        raise EnrollmentError(_("Only an approved, active or lapsed enrollment can be ended."))
    decider = Decider(actor)
    if enrollment.member.regency_id not in decider.served:
        raise EnrollmentError(_("Only an officer of the branch serving this regency can end an enrollment."))
    ended_on = ended_on or timezone.localdate()
    if enrollment.coverage_start and ended_on < enrollment.coverage_start:
        raise EnrollmentError(_("The end date cannot be before the coverage start."))
    enrollment.end_reason = reason
    enrollment.ended_on = ended_on
    _transition(
        enrollment,
        actor,
        EnrollmentStatus.ENDED,
        ["end_reason", "ended_on"],
        reason=f"{reason}: {note}".strip(": "),
    )
    from cards.services import cards_revoke

    cards_revoke(enrollment=enrollment, actor=actor, reason=_("The enrollment ended."))
    return enrollment


# --- bulk decisions ---------------------------------------------------------------------------------------


def bulk_decisions_start(
    *, actor: Any, ids: Sequence[int], decision: str, reason: str = "", note: str = ""
) -> Job:
    """Record a bulk decision as a Job (the ids in its params) and queue it; the task gets only the job id.

    Only enrollments the actor sees and that are still pending are taken; each is checked again, and
    audited, when the worker decides it."""
    from .tasks import bulk_decisions

    if decision not in {"approve", "reject"}:
        raise EnrollmentError(_("Choose approve or reject."))
    if decision == "reject" and reason not in RejectionReason.VALUES:
        raise EnrollmentError(_("Choose a rejection reason from the list."))
    if decision == "reject" and reason == "other" and not note.strip():
        raise EnrollmentError(_("With the reason “Other”, explain the rejection in the note."))
    if len(ids) > BULK_LIMIT:
        raise EnrollmentError(
            _("At most %(limit)s enrollments at once: narrow the selection with the filters.")
            % {"limit": f"{BULK_LIMIT:,}".replace(",", ".")}
        )
    pending = sorted(
        Enrollment.objects.visible_to(actor).pending().filter(pk__in=list(ids)).values_list("pk", flat=True)
    )
    if not pending:
        raise EnrollmentError(_("None of the selected enrollments is still waiting for a decision."))
    with transaction.atomic():
        job = jobs.job_create(kind=Job.Kind.ENROLLMENT_DECISIONS, total=len(pending), actor=actor)
        job.params = {"decision": decision, "reason": reason, "note": note.strip(), "ids": pending}
        job.result = {"cursor": 0, "approved": 0, "rejected": 0, "refused": []}
        job.save(update_fields=["params", "result"])
        transaction.on_commit(lambda: bulk_decisions.delay(job.pk))
    return job


REFUSALS_KEPT = 200


def bulk_decisions_run(job_id: int) -> None:
    """Decide a bulk job's enrollments, a chunk per transaction; resumable after any crash.

    Each chunk commits its decisions, their audit entries and the job's cursor together, so a task
    redelivered after a killed worker starts at the first chunk not yet committed: nothing is decided
    twice and nothing is skipped."""
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by", "created_by__office").get(pk=job_id)
    if job.created_by is None:
        jobs.job_fail(job_id=job_id, error=_("The user who started this job no longer exists."))
        return
    decider = Decider(job.created_by)
    ids: list[int] = job.params["ids"]
    while True:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            cursor = job.result.get("cursor", 0)
            if cursor >= len(ids):
                break
            _decide_chunk(job, decider, ids[cursor : cursor + BULK_CHUNK])
    result = Job.objects.get(pk=job_id).result
    jobs.job_succeed(job_id=job_id, result=result)


def _set_kpj_numbers(member_ids: list[int], kpjs: list[str], now: Any) -> None:
    """Give each member its KPJ number in one statement (UPDATE ... FROM unnest)."""
    if not member_ids:
        return
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET kpj_number = v.kpj, updated_at = %s "  # noqa: S608 (a model's table)
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, kpj) WHERE m.id = v.id",
            [now, member_ids, kpjs],
        )


def _decide_chunk(job: Job, decider: Decider, chunk: list[int]) -> None:
    params = job.params
    approve = params["decision"] == "approve"
    actor = decider.actor
    rows = {
        e.pk: e
        for e in Enrollment.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=chunk)
    }
    decided: list[Enrollment] = []
    refused: list[dict[str, Any]] = []
    for pk in chunk:
        enrollment = rows.get(pk)
        problem = (
            _("This enrollment no longer exists.") if enrollment is None else decider.problem(enrollment)
        )
        if problem or enrollment is None:
            refused.append({"id": pk, "message": problem})
        else:
            decided.append(enrollment)
    now = timezone.now()
    today = timezone.localdate()
    entries = []
    if approve:
        members = {
            m.pk: m for m in Member.objects.select_for_update().filter(pk__in=[e.member_id for e in decided])
        }
        without = [m for m in members.values() if not m.kpj_number]
        kpjs = kpj_generate_many(len(without))
        for member, kpj in zip(without, kpjs, strict=True):
            member.kpj_number = kpj
        _set_kpj_numbers([m.pk for m in without], kpjs, now)
        for enrollment in decided:
            enrollment.member = members[enrollment.member_id]
            enrollment.coverage_start = _coverage_start(enrollment, today)
    status = EnrollmentStatus.APPROVED if approve else EnrollmentStatus.REJECTED
    reason = "" if approve else f"{params['reason']}: {params['note']}".strip(": ")
    for enrollment in decided:
        enrollment.decided_by = actor
        enrollment.decided_at = now
        before = _apply(enrollment, status)
        entries.append(_transition_entry(enrollment, actor, before, reason=reason))
    # One UPDATE for the chunk: every column is the same for all rows or computed from the row itself.
    updates: dict[str, Any] = {
        "status": status,
        "version": F("version") + 1,
        "status_changed_at": now,
        "updated_at": now,
        "decided_by": actor,
        "decided_at": now,
    }
    if approve:
        updates["coverage_start"] = Greatest(F("requested_start"), Value(today))
    else:
        updates["rejection_reason"] = params["reason"]
        updates["rejection_note"] = params["note"]
    Enrollment.objects.filter(pk__in=[e.pk for e in decided]).update(**updates)
    audit_record_many(entries)
    result = job.result
    result["cursor"] = result.get("cursor", 0) + len(chunk)
    result["approved" if approve else "rejected"] = result.get(
        "approved" if approve else "rejected", 0
    ) + len(decided)
    result["refused"] = (result.get("refused", []) + refused)[:REFUSALS_KEPT]
    job.result = result
    job.done += len(chunk)
    job.failed += len(refused)
    jobs.job_heartbeat(job)
    job.save(update_fields=["result", "done", "failed", "heartbeat_at"])
