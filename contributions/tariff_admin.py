"""Writes of the tariffs by administrators: contribution schemes and BPU income brackets, audited.

A month the monthly run has billed keeps the arithmetic it was billed with. A scheme (a code that
enrollments name) has versions, one row each: a new rate from a month on is a new version of the code
(`scheme_new_version`), which ends the current one the month before; the months already billed cannot be
given another rate that way either. A version whose months an enrollment naming its code has been billed
in keeps its amounts, rates and first month. A code that enrollments name cannot be closed (their next
bills would have no tariff), and the income brackets must still cover the month after one is closed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from members.models import Enrollment, EnrollmentStatus
from umkm_enroll.accounts.models import User
from umkm_enroll.audit.services import audit_record, diff, snapshot

from .forms_tariffs import ARITHMETIC, SCHEME_FIELDS
from .models import BillingRun, IncomeBracket, TariffScheme
from .selectors import DEFAULT_SCHEME

BRACKET_FIELDS = ["amount", "valid_from", "valid_to"]
# Enrollments that are, or will be, billed under the scheme they name (a draft may be submitted).
BILLED_STATUSES = [
    EnrollmentStatus.DRAFT,
    EnrollmentStatus.SUBMITTED,
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.LAPSED,
]
# The scheme page counts its enrollments up to this (the default scheme is named by nearly all of them).
USERS_COUNT_CAP = 100_000


class TariffAdminError(Exception):
    """A refused tariff write, with a message for the administrator."""


def _month(day: date) -> str:
    return f"{day:%m/%Y}"


def _month_before(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def _month_after(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def last_billed_month(first: date, last: date | None) -> date | None:
    """The latest month from `first` to `last` (open: onwards) that a monthly run has billed."""
    runs = BillingRun.objects.filter(month__gte=first)
    if last is not None:
        runs = runs.filter(month__lte=last)
    return runs.aggregate(latest=Max("month"))["latest"]


def _naming(code: str) -> Q:
    named = Q(scheme=code)
    if code == DEFAULT_SCHEME:
        named |= Q(scheme="")
    return named


def scheme_users(scheme: TariffScheme) -> int:
    """Enrollments billed, or to be billed, under the scheme's code (the default scheme: also those naming
    none), counted up to USERS_COUNT_CAP + 1."""
    rows = Enrollment.objects.filter(_naming(scheme.code), status__in=BILLED_STATUSES)
    return rows.values("pk")[: USERS_COUNT_CAP + 1].count()


def scheme_in_use(scheme: TariffScheme) -> bool:
    return Enrollment.objects.filter(_naming(scheme.code), status__in=BILLED_STATUSES).exists()


def scheme_billed(scheme: TariffScheme) -> date | None:
    """The latest month a run billed within the version's months, when an enrollment ever named its code
    (a version nobody was billed under can still be corrected)."""
    if scheme.code != DEFAULT_SCHEME and not Enrollment.objects.filter(scheme=scheme.code).exists():
        return None
    return last_billed_month(scheme.valid_from, scheme.valid_to)


def scheme_latest(scheme: TariffScheme) -> bool:
    """Whether this is the code's latest version (the one a new version follows, the one that closes)."""
    return not TariffScheme.objects.filter(code=scheme.code, valid_from__gt=scheme.valid_from).exists()


def bracket_billed(bracket: IncomeBracket) -> date | None:
    return last_billed_month(bracket.valid_from, bracket.valid_to)


def _valid(instance: Any) -> None:
    """full_clean, its messages as one refusal (a form checked them already: this is a race or an API)."""
    try:
        instance.full_clean(validate_unique=False)
    except ValidationError as error:
        raise TariffAdminError(" ".join(error.messages)) from None


def _refuse_overlap(scheme: TariffScheme) -> None:
    others = TariffScheme.objects.filter(code=scheme.code).exclude(pk=scheme.pk)
    last = scheme.valid_to or date.max
    for other in others:
        if other.valid_from <= last and (other.valid_to is None or other.valid_to >= scheme.valid_from):
            raise TariffAdminError(
                _(
                    "Another version of “%(code)s” applies from %(month)s: the months of two versions "
                    "cannot overlap."
                )
                % {"code": scheme.code, "month": _month(other.valid_from)}
            )


@transaction.atomic
def scheme_create(*, data: dict[str, Any], actor: User) -> TariffScheme:
    if TariffScheme.objects.filter(code=data.get("code")).exists():
        raise TariffAdminError(_("A scheme with this code exists already: choose another."))
    scheme = TariffScheme(**data)
    _valid(scheme)
    scheme.save()
    audit_record(
        actor=actor,
        action="contributions.scheme.created",
        target=scheme,
        changes=diff({}, snapshot(scheme, SCHEME_FIELDS)),
    )
    return scheme


def _lock_code(code: str) -> list[TariffScheme]:
    return list(TariffScheme.objects.select_for_update().filter(code=code).order_by("valid_from"))


@transaction.atomic
def scheme_update(*, scheme: TariffScheme, data: dict[str, Any], actor: User) -> TariffScheme:
    _lock_code(scheme.code)
    scheme = TariffScheme.objects.get(pk=scheme.pk)
    before = snapshot(scheme, SCHEME_FIELDS)
    unknown = set(data) - (set(SCHEME_FIELDS) - {"code"})
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    billed = scheme_billed(scheme)
    latest = scheme_latest(scheme)
    for name, value in data.items():
        setattr(scheme, name, value)
    changes = diff(before, snapshot(scheme, SCHEME_FIELDS))
    if not changes:
        return scheme
    # The months billed before or after the change (a first month moved back into billed months too).
    billed = max(filter(None, [billed, scheme_billed(scheme)]), default=None)
    if billed is not None and set(changes) & set(ARITHMETIC):
        raise TariffAdminError(
            _(
                "Months up to %(month)s have been billed with this scheme: its amounts, rates and first "
                "month cannot change. Give it a new rate from a later month instead."
            )
            % {"month": _month(billed)}
        )
    if "valid_to" in changes:
        if not latest:
            raise TariffAdminError(_("This version ends where the next version of the scheme begins."))
        if scheme.valid_to is not None:
            if billed is not None and scheme.valid_to < billed:
                raise TariffAdminError(
                    _("%(month)s has been billed with this scheme: its last month cannot be earlier.")
                    % {"month": _month(billed)}
                )
            if scheme_in_use(scheme):
                users = scheme_users(scheme)
                raise TariffAdminError(
                    _(
                        "%(count)s enrollments use this scheme: after %(month)s their bills would have no "
                        "tariff. Give it a new rate from a month instead of closing it."
                    )
                    % {"count": f"{users:,}".replace(",", "."), "month": _month(scheme.valid_to)}
                )
    _refuse_overlap(scheme)
    _valid(scheme)
    scheme.save(update_fields=list(changes))
    audit_record(actor=actor, action="contributions.scheme.updated", target=scheme, changes=changes)
    return scheme


@transaction.atomic
def scheme_new_version(*, scheme: TariffScheme, data: dict[str, Any], actor: User) -> TariffScheme:
    """A new rate for the scheme's code from data["valid_from"] on: the current (latest) version ends the
    month before, the new one takes its place (same code and province; its own arithmetic, name and
    source). The new version's first month must come after every month billed under the code."""
    versions = _lock_code(scheme.code)
    current = versions[-1]
    if current.pk != scheme.pk:
        raise TariffAdminError(_("Only the latest version of a scheme gets a new rate: open that one."))
    start = data["valid_from"].replace(day=1)
    if start <= current.valid_from:
        raise TariffAdminError(
            _("The new rate must start after %(month)s, the first month of the current one.")
            % {"month": _month(current.valid_from)}
        )
    if current.valid_to is not None and start > _month_after(current.valid_to):
        raise TariffAdminError(
            _("The scheme ended in %(month)s: a new rate starts at the latest the month after.")
            % {"month": _month(current.valid_to)}
        )
    billed = scheme_billed(current)
    if billed is not None and start <= billed:
        raise TariffAdminError(
            _("%(month)s has been billed with the current rate: a new rate starts in a later month.")
            % {"month": _month(billed)}
        )
    before = snapshot(current, SCHEME_FIELDS)
    new = TariffScheme(
        code=current.code,
        province=current.province,
        valid_to=current.valid_to,
        **{name: value for name, value in data.items() if name not in {"code", "province", "valid_to"}},
    )
    new.valid_from = start
    current.valid_to = _month_before(start)
    _valid(current)
    current.save(update_fields=["valid_to"])
    audit_record(
        actor=actor,
        action="contributions.scheme.updated",
        target=current,
        changes=diff(before, snapshot(current, SCHEME_FIELDS)),
    )
    _valid(new)
    new.save()
    audit_record(
        actor=actor,
        action="contributions.scheme.created",
        target=new,
        changes=diff({}, snapshot(new, SCHEME_FIELDS)),
        reason=_("New rate of “%(code)s” from %(month)s.") % {"code": new.code, "month": _month(start)},
    )
    return new


def _refuse_gap_after(bracket: IncomeBracket) -> None:
    """Closing a bracket must leave a bracket for the month after (BPU contributions are computed on one)."""
    if bracket.valid_to is None:
        return
    following = _month_after(bracket.valid_to)
    covered = IncomeBracket.objects.filter(
        Q(valid_from__lte=following), Q(valid_to__isnull=True) | Q(valid_to__gte=following)
    ).exclude(pk=bracket.pk)
    if not covered.exists():
        raise TariffAdminError(
            _(
                "No income bracket would apply from %(month)s, and BPU contributions could not be billed: "
                "add the brackets of %(month)s first."
            )
            % {"month": _month(following)}
        )


@transaction.atomic
def bracket_create(*, data: dict[str, Any], actor: User) -> IncomeBracket:
    bracket = IncomeBracket(**data)
    _valid(bracket)
    billed = bracket_billed(bracket)
    if billed is not None:
        raise TariffAdminError(
            _("Months up to %(month)s have been billed: a new bracket starts in a later month.")
            % {"month": _month(billed)}
        )
    if IncomeBracket.objects.filter(amount=bracket.amount, valid_from=bracket.valid_from).exists():
        raise TariffAdminError(_("This bracket already starts in that month."))
    bracket.save()
    audit_record(
        actor=actor,
        action="contributions.bracket.created",
        target=bracket,
        changes=diff({}, snapshot(bracket, BRACKET_FIELDS)),
    )
    return bracket


@transaction.atomic
def bracket_update(*, bracket: IncomeBracket, data: dict[str, Any], actor: User) -> IncomeBracket:
    bracket = IncomeBracket.objects.select_for_update().get(pk=bracket.pk)
    before = snapshot(bracket, BRACKET_FIELDS)
    billed_before = bracket_billed(bracket)
    for name, value in data.items():
        if name not in BRACKET_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(bracket, name, value)
    changes = diff(before, snapshot(bracket, BRACKET_FIELDS))
    if not changes:
        return bracket
    billed = max(filter(None, [billed_before, bracket_billed(bracket)]), default=None)
    if billed is not None and set(changes) & {"amount", "valid_from"}:
        raise TariffAdminError(
            _(
                "Months up to %(month)s have been billed with this bracket: its amount and first month "
                "cannot change. Close it and add a new bracket."
            )
            % {"month": _month(billed)}
        )
    if (
        "valid_to" in changes
        and billed is not None
        and bracket.valid_to is not None
        and bracket.valid_to < billed
    ):
        raise TariffAdminError(
            _("%(month)s has been billed with this bracket: its last month cannot be earlier.")
            % {"month": _month(billed)}
        )
    if (
        IncomeBracket.objects.filter(amount=bracket.amount, valid_from=bracket.valid_from)
        .exclude(pk=bracket.pk)
        .exists()
    ):
        raise TariffAdminError(_("This bracket already starts in that month."))
    _refuse_gap_after(bracket)
    _valid(bracket)
    bracket.save(update_fields=list(changes))
    audit_record(actor=actor, action="contributions.bracket.updated", target=bracket, changes=changes)
    return bracket
