"""Writes of sponsor programmes: create and update within the actor's area, validated and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from umkm_enroll.accounts.models import User
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.services import audit_record, diff, snapshot

from .forms_programmes import PROGRAMME_FIELDS
from .models import SponsorProgramme


class ProgrammeError(Exception):
    """A refused programme write, with a message for the user."""


def _check_area(actor: User, province_id: str, regency_id: str | None) -> None:
    scope = scope_of(actor)
    if regency_id is not None:
        allowed = scope.covers_regency(regency_id) and regency_id[:2] == province_id
    else:
        allowed = scope.everything or province_id in scope.whole_provinces
    if not allowed:
        raise ProgrammeError(_("This programme's region is outside your office's area."))


@transaction.atomic
def programme_create(*, data: dict[str, Any], actor: User) -> SponsorProgramme:
    programme = SponsorProgramme(**data)
    _check_area(actor, programme.province_id, programme.regency_id)
    programme.full_clean()
    programme.save()
    audit_record(
        actor=actor,
        action="contributions.programme.created",
        target=programme,
        changes=diff({}, snapshot(programme, PROGRAMME_FIELDS)),
    )
    return programme


@transaction.atomic
def programme_update(*, programme: SponsorProgramme, data: dict[str, Any], actor: User) -> SponsorProgramme:
    programme = SponsorProgramme.objects.select_for_update().get(pk=programme.pk)
    _check_area(actor, programme.province_id, programme.regency_id)
    before = snapshot(programme, PROGRAMME_FIELDS)
    for name, value in data.items():
        if name not in PROGRAMME_FIELDS:
            raise ValueError(f"not an editable field: {name}")
        setattr(programme, name, value)
    _check_area(actor, programme.province_id, programme.regency_id)
    programme.full_clean()
    changes = diff(before, snapshot(programme, PROGRAMME_FIELDS))
    if not changes:
        return programme
    programme.save(update_fields=list(changes))
    audit_record(actor=actor, action="contributions.programme.updated", target=programme, changes=changes)
    return programme
