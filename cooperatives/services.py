"""Writes to cooperatives. Each change is audited with its changed fields (personal ones masked).

An edit is optimistic: the caller passes the version it read, and the save is refused if someone else
saved in between, so that nobody overwrites a colleague's change without seeing it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import User
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.services import audit_record, diff, snapshot

from .models import Cooperative

COOPERATIVE_FIELDS = [
    "name",
    "nik_koperasi",
    "ahu_number",
    "kind",
    "address",
    "province",
    "regency",
    "district",
    "village",
    "chairperson",
    "phone",
    "member_count",
    "status",
]


class CooperativeError(Exception):
    """A refused write, with a message for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class OutsideScope(CooperativeError):
    def __init__(self) -> None:
        super().__init__(_("This regency or city is outside your office's region."))


class StaleVersion(CooperativeError):
    """The row changed since the caller read it; `current` is the row as saved now."""

    def __init__(self, current: Cooperative) -> None:
        super().__init__(
            _(
                "Someone else saved this cooperative while you were editing it. Your changes have not "
                "been saved: check them against the values saved now, then save again."
            )
        )
        self.current = current


def _check_scope(actor: User, regency_code: str | None) -> None:
    if not scope_of(actor).covers_regency(regency_code):
        raise OutsideScope


def _regency_code(data: dict[str, Any]) -> str | None:
    regency = data.get("regency")
    return getattr(regency, "pk", regency)


@transaction.atomic
def cooperative_create(*, data: dict[str, Any], actor: User) -> Cooperative:
    _check_scope(actor, _regency_code(data))
    if actor.office_id is None:
        raise CooperativeError(_("Your account has no office: ask an administrator to assign one."))
    cooperative = Cooperative(**data, office_id=actor.office_id, created_by=actor)
    cooperative.full_clean()
    cooperative.save()
    audit_record(
        actor=actor,
        action="cooperatives.cooperative.created",
        target=cooperative,
        changes=diff({}, snapshot(cooperative, COOPERATIVE_FIELDS)),
    )
    return cooperative


@transaction.atomic
def cooperative_update(
    *, cooperative: Cooperative, data: dict[str, Any], expected_version: int, actor: User
) -> Cooperative:
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    _check_scope(actor, cooperative.regency_id)
    if cooperative.version != expected_version:
        raise StaleVersion(cooperative)
    before = snapshot(cooperative, COOPERATIVE_FIELDS)
    for name, value in data.items():
        if name not in COOPERATIVE_FIELDS:
            raise ValueError(f"not an editable field: {name}")
        setattr(cooperative, name, value)
    _check_scope(actor, cooperative.regency_id)
    cooperative.full_clean()
    changes = diff(before, snapshot(cooperative, COOPERATIVE_FIELDS))
    if not changes:
        return cooperative
    cooperative.version += 1
    cooperative.save(update_fields=[*changes, "version", "updated_at"])
    audit_record(actor=actor, action="cooperatives.cooperative.updated", target=cooperative, changes=changes)
    return cooperative
