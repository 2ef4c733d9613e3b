"""Writes to the registry of people. Every write is scoped, audited and keeps NIKs encrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.services import audit_record, diff, snapshot

from . import nik as nik_rules
from .models import DuplicateFlag, EnrollmentStatus, Member, NameToken
from .names import name_tokens, normalize_name, tidy_name
from .regions_catalog import region_catalog
from .vault import vault

NIK_PURPOSE = "nik"
KK_PURPOSE = "kk"

# The fields a form or an import may set; the NIK and family card number go through their own path.
EDITABLE_FIELDS = [
    "full_name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "province",
    "regency",
    "district",
    "village",
    "phone",
    "email",
    "occupation",
    "business_name",
    "nib",
    "kind",
    "monthly_income",
    "monthly_wage",
    "cooperative",
    "employer_member",
    "employer_cooperative",
    "aid_bpum",
    "aid_kur",
    "heir_name",
    "heir_relation",
    "heir_phone",
]
AUDITED_FIELDS = [*EDITABLE_FIELDS, "nik_masked", "kk_masked"]


class RegistryError(Exception):
    """A refusal with a message for the user; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NikTaken(RegistryError):
    def __init__(self, message: str, existing: Member) -> None:
        super().__init__(message, field="nik")
        self.existing = existing


class NikInvalid(RegistryError):
    def __init__(self, issues: list[nik_rules.Issue]) -> None:
        from .nik_messages import nik_messages

        super().__init__("; ".join(nik_messages(issues)), field="nik")
        self.issues = issues


class StaleEdit(RegistryError):
    """Someone else saved this person since the form was opened."""


@dataclass(frozen=True)
class NikCheck:
    result: nik_rules.NikResult
    issues: tuple[nik_rules.Issue, ...]

    @property
    def errors(self) -> list[nik_rules.Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[nik_rules.Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]


def nik_check(raw: str, *, birth_date: date | None, sex: str | None, today: date | None = None) -> NikCheck:
    """All NIK rules at once: structure, region codes, and agreement with the stated birth date and sex."""
    result = nik_rules.parse(raw, regions=region_catalog(), today=today or timezone.localdate())
    issues = tuple(result.issues)
    if result.info is not None and (birth_date or sex):
        issues += tuple(nik_rules.check_against(result.info, birth_date=birth_date, sex=sex))
    return NikCheck(result=result, issues=issues)


def nik_digest(nik: str) -> str:
    return vault().digest(nik_rules.normalize(nik), purpose=NIK_PURPOSE)


def member_by_nik(nik: str) -> Member | None:
    """Nationwide exact lookup through the HMAC digest (no decryption, no scope: callers must not show
    personal data of a record the user cannot see)."""
    return Member.objects.filter(nik_digest=nik_digest(nik)).select_related("office").first()


def nik_reveal_value(member: Member) -> str:
    return vault().decrypt(member.nik_ciphertext, member.nik_key_id, purpose=NIK_PURPOSE)


def _set_nik(member: Member, info: nik_rules.NikInfo) -> None:
    member.nik_ciphertext, member.nik_key_id = vault().encrypt(info.nik, purpose=NIK_PURPOSE)
    member.nik_digest = vault().digest(info.nik, purpose=NIK_PURPOSE)
    member.nik_masked = nik_rules.mask(info.nik)
    member.nik_regency_code = info.regency_code
    member.nik_district_code = info.district_code


def _set_kk(member: Member, kk: str) -> None:
    kk = nik_rules.normalize(kk)
    if not kk:
        member.kk_ciphertext, member.kk_key_id, member.kk_masked = None, "", ""
        return
    member.kk_ciphertext, member.kk_key_id = vault().encrypt(kk, purpose=KK_PURPOSE)
    member.kk_masked = nik_rules.mask(kk)


def _check_scope(actor: Any, member: Member) -> None:
    if not scope_of(actor).covers_regency(member.regency_id):
        from django.utils.translation import gettext as _

        raise RegistryError(_("This regency or city is outside your office's area."), field="regency")


def _refuse_taken(nik: str, actor: Any, exclude_pk: int | None = None) -> None:
    existing = member_by_nik(nik)
    if existing is None or existing.pk == exclude_pk:
        return
    from django.utils.translation import gettext as _

    if Member.objects.visible_to(actor).filter(pk=existing.pk).exists():
        raise NikTaken(
            _("This NIK is already registered: %(name)s.") % {"name": existing.full_name}, existing
        )
    raise NikTaken(
        _(
            "This NIK is already registered by another office: %(office)s. Contact that office; the person "
            "is not registered twice."
        )
        % {"office": existing.office.name},
        existing,
    )


def _derived(member: Member) -> None:
    member.full_name = tidy_name(member.full_name)
    member.name_search = normalize_name(member.full_name)
    member.name_tokens = name_tokens(member.name_search)
    if member.regency_id:
        member.province_id = member.regency_id[:2]


@transaction.atomic
def member_create(*, data: dict[str, Any], nik: str, kk: str = "", actor: Any) -> Member:
    """Register a person. Refuses a NIK that breaks the rules or exists anywhere (NikTaken)."""
    check = nik_check(nik, birth_date=data.get("birth_date"), sex=data.get("sex"))
    if check.errors or check.result.info is None:
        raise NikInvalid(check.errors)
    member = Member(**data, office=actor.office, created_by=actor)
    _derived(member)
    _check_scope(actor, member)
    _refuse_taken(check.result.nik, actor)
    _set_nik(member, check.result.info)
    _set_kk(member, kk)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:
        if "nik_digest" in str(error):  # a concurrent registration of the same NIK won the race
            _refuse_taken(check.result.nik, actor)
        raise
    tokens_register(member.name_tokens)
    audit_record(
        actor=actor,
        action="members.member.created",
        target=member,
        changes=diff({}, snapshot(member, AUDITED_FIELDS)),
    )
    duplicates_flag(member=member)
    return member


@transaction.atomic
def member_update(
    *,
    member: Member,
    data: dict[str, Any],
    expected_version: int,
    actor: Any,
    nik: str | None = None,
    kk: str | None = None,
) -> Member:
    """Save an edit made on version `expected_version`; refuse (StaleEdit) if someone saved since."""
    locked = Member.objects.visible_to(actor).select_for_update().get(pk=member.pk)
    if locked.version != expected_version:
        from django.utils.translation import gettext as _

        raise StaleEdit(
            _(
                "Someone else saved this person while you were editing. Your changes are not "
                "saved yet: review the current data below and enter them again."
            )
        )
    before = snapshot(locked, AUDITED_FIELDS)
    for name, value in data.items():
        setattr(locked, name, value)
    _derived(locked)
    _check_scope(actor, locked)
    stored = nik_reveal_value(locked)
    new_nik = nik is not None and nik_rules.normalize(nik) != stored
    _refuse_identity_change_when_covered(locked, _identity_changed(new_nik, before, locked))
    if new_nik or before["birth_date"] != locked.birth_date or before["sex"] != locked.sex:
        # A corrected NIK, or a kept one against a corrected date of birth or sex: they must agree.
        check = nik_check(
            nik if new_nik and nik is not None else stored, birth_date=locked.birth_date, sex=locked.sex
        )
        if check.errors or check.result.info is None:
            raise NikInvalid(check.errors)
        if new_nik:
            _refuse_taken(check.result.nik, actor, exclude_pk=locked.pk)
            _set_nik(locked, check.result.info)
    if kk is not None:
        _set_kk(locked, kk)
    locked.version += 1
    locked.save()
    tokens_register(locked.name_tokens)
    changes = diff(before, snapshot(locked, AUDITED_FIELDS))
    if new_nik:
        # The mask hides the digits a correction most often touches (the date of birth): the entry
        # says the NIK changed even when the masked forms read the same.
        changes["nik"] = (before["nik_masked"], locked.nik_masked)
    if changes:
        audit_record(actor=actor, action="members.member.updated", target=locked, changes=changes)
    duplicates_flag(member=locked)
    return locked


def _identity_changed(new_nik: bool, before: dict[str, Any], after: Member) -> list[str]:
    """The identity fields an edit changes, the NIK first."""
    changed = {
        "nik": new_nik,
        "birth_date": before["birth_date"] != after.birth_date,
        "sex": before["sex"] != after.sex,
    }
    return [name for name, is_changed in changed.items() if is_changed]


# Enrollments BPJAMSOSTEK has accepted: the person's identity is registered there as it is here.
COVERED = (
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.LAPSED,
    EnrollmentStatus.ENDED,  # a claim (a death under JKM) is made on the identity registered
)


def _refuse_identity_change_when_covered(member: Member, changed: list[str]) -> None:
    """The NIK, date of birth and sex of a person whose enrollment BPJAMSOSTEK approved are what the
    branch registered (and printed on the card): a change here would leave the two apart, unseen."""
    if not changed:
        return
    covered = member.enrollments.filter(status__in=COVERED).order_by("pk").first()
    if covered is None:
        return
    from django.utils.translation import gettext as _

    raise RegistryError(
        _(
            "This person's enrollment #%(number)s is approved by BPJAMSOSTEK: the NIK, date of birth and "
            "sex are registered there as they are here and cannot be changed. Ask the BPJAMSOSTEK branch "
            "to correct the participant's data; other details can still be changed."
        )
        % {"number": covered.pk},
        field=changed[0],
    )


def tokens_register(tokens: list[str]) -> None:
    """Add a name's words to the search vocabulary (idempotent)."""
    NameToken.objects.bulk_create([NameToken(token=token) for token in set(tokens)], ignore_conflicts=True)


def member_reveal_nik(*, member: Member, actor: Any) -> str:
    """The full NIK for an authorised user, recorded in the audit log."""
    audit_record(actor=actor, action="members.member.nik_revealed", target=member)
    return nik_reveal_value(member)


def duplicates_flag(*, member: Member) -> list[DuplicateFlag]:
    """Flag other records with the same normalised name and birth date, or the same phone."""
    candidates = (
        Member.objects.current()
        .exclude(pk=member.pk)
        .filter(
            Q(name_search=member.name_search, birth_date=member.birth_date)
            | (Q(phone=member.phone) & ~Q(phone=""))
        )[:20]
    )
    flags = []
    for other in candidates:
        reason = (
            DuplicateFlag.Reason.NAME_BIRTH
            if other.name_search == member.name_search and other.birth_date == member.birth_date
            else DuplicateFlag.Reason.PHONE
        )
        first, second = sorted([member.pk, other.pk])
        flag, created = DuplicateFlag.objects.get_or_create(first_id=first, second_id=second, reason=reason)
        if created:
            flags.append(flag)
    return flags


@transaction.atomic
def duplicate_resolve(*, flag: DuplicateFlag, merge: bool, actor: Any) -> DuplicateFlag:
    """Confirm two records as different people, or merge the newer into the older one.

    A merge keeps both rows (nothing is deleted): the newer is marked `merged_into` the older and leaves
    the lists; its workers move to the kept record.
    """
    flag = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != DuplicateFlag.Status.OPEN:
        return flag
    kept, merged = (
        Member.objects.select_for_update().filter(pk__in=[flag.first_id, flag.second_id]).order_by("pk")
    )
    for member in (kept, merged):
        _check_scope(actor, member)
    if merge:
        merged.merged_into = kept
        merged.version += 1
        merged.save(update_fields=["merged_into", "version", "updated_at"])
        Member.objects.filter(employer_member=merged).update(employer_member=kept)
        DuplicateFlag.objects.filter(
            Q(first=merged) | Q(second=merged), status=DuplicateFlag.Status.OPEN
        ).exclude(pk=flag.pk).update(
            status=DuplicateFlag.Status.DISTINCT, resolved_by=actor, resolved_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="members.member.merged",
            target=merged,
            changes={"merged_into": (None, kept.pk)},
        )
    flag.status = DuplicateFlag.Status.MERGED if merge else DuplicateFlag.Status.DISTINCT
    flag.resolved_by = actor
    flag.resolved_at = timezone.now()
    flag.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor,
        action=f"members.duplicate.{flag.status}",
        target=kept,
        changes={"other": (None, merged.pk), "reason": (None, flag.reason)},
    )
    return flag
