"""Writes of the tariffs by administrators: contribution schemes and BPU income brackets, audited.

A month the monthly run has billed keeps the arithmetic it was billed with: once a run has covered a month
of a scheme (or a bracket), its amounts, rates, base and first month stay as they are, and its last month
cannot move before that month. A scheme that enrollments still name cannot be closed (their next bills
would have no tariff): a new scheme is added, and the enrollments move to it first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
# Enrollments that are, or will be, billed under the scheme they name.
BILLED_STATUSES = [
    EnrollmentStatus.SUBMITTED,
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.LAPSED,
]


class TariffAdminError(Exception):
    """A refused tariff write, with a message for the administrator."""


def last_billed_month(first: date, last: date | None) -> date | None:
    """The latest month from `first` to `last` (open: onwards) that a monthly run has billed."""
    runs = BillingRun.objects.filter(month__gte=first)
    if last is not None:
        runs = runs.filter(month__lte=last)
    return runs.aggregate(latest=Max("month"))["latest"]


def scheme_users(scheme: TariffScheme) -> int:
    """Enrollments billed, or to be billed, under the scheme (the default scheme: also those naming none)."""
    named = Q(scheme=scheme.code)
    if scheme.code == DEFAULT_SCHEME:
        named |= Q(scheme="")
    return Enrollment.objects.filter(named, status__in=BILLED_STATUSES).count()


def scheme_billed(scheme: TariffScheme) -> date | None:
    return last_billed_month(scheme.valid_from, scheme.valid_to)


def bracket_billed(bracket: IncomeBracket) -> date | None:
    return last_billed_month(bracket.valid_from, bracket.valid_to)


def _month(day: date) -> str:
    return f"{day:%m/%Y}"


@transaction.atomic
def scheme_create(*, data: dict[str, Any], actor: User) -> TariffScheme:
    scheme = TariffScheme(**data)
    scheme.full_clean()
    scheme.save()
    audit_record(
        actor=actor,
        action="contributions.scheme.created",
        target=scheme,
        changes=diff({}, snapshot(scheme, SCHEME_FIELDS)),
    )
    return scheme


@transaction.atomic
def scheme_update(*, scheme: TariffScheme, data: dict[str, Any], actor: User) -> TariffScheme:
    scheme = TariffScheme.objects.select_for_update().get(pk=scheme.pk)
    before = snapshot(scheme, SCHEME_FIELDS)
    unknown = set(data) - (set(SCHEME_FIELDS) - {"code"})
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    billed = scheme_billed(scheme)
    for name, value in data.items():
        setattr(scheme, name, value)
    after = snapshot(scheme, SCHEME_FIELDS)
    changes = diff(before, after)
    if not changes:
        return scheme
    if billed is not None and set(changes) & set(ARITHMETIC):
        raise TariffAdminError(
            _(
                "Months up to %(month)s have been billed with this scheme: its amounts, rates and first "
                "month cannot change. Close it and add a new scheme for the months to come."
            )
            % {"month": _month(billed)}
        )
    if "valid_to" in changes and scheme.valid_to is not None:
        if billed is not None and scheme.valid_to < billed:
            raise TariffAdminError(
                _("%(month)s has been billed with this scheme: its last month cannot be earlier.")
                % {"month": _month(billed)}
            )
        users = scheme_users(scheme)
        if users:
            raise TariffAdminError(
                _(
                    "%(count)s enrollments use this scheme: after %(month)s their bills would have no "
                    "tariff. Move them to another scheme first."
                )
                % {"count": f"{users:,}".replace(",", "."), "month": _month(scheme.valid_to)}
            )
    scheme.full_clean()
    scheme.save(update_fields=list(changes))
    audit_record(actor=actor, action="contributions.scheme.updated", target=scheme, changes=changes)
    return scheme


@transaction.atomic
def bracket_create(*, data: dict[str, Any], actor: User) -> IncomeBracket:
    bracket = IncomeBracket(**data)
    bracket.full_clean(validate_unique=False)
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
    billed = bracket_billed(bracket)
    for name, value in data.items():
        if name not in BRACKET_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(bracket, name, value)
    changes = diff(before, snapshot(bracket, BRACKET_FIELDS))
    if not changes:
        return bracket
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
    bracket.full_clean(validate_unique=False)
    bracket.save(update_fields=list(changes))
    audit_record(actor=actor, action="contributions.bracket.updated", target=bracket, changes=changes)
    return bracket
