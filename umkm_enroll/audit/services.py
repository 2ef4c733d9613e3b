"""Writing audit entries. Callers pass plain values; personal fields are masked here, once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.db import models

from .context import current
from .masking import mask
from .models import AuditEntry

# Never written to the log, even masked.
SECRET_FIELDS = frozenset({"password", "nik_ciphertext", "nik_hmac", "key", "bin_key", "token"})


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return value


def personal_fields_of(target: Any) -> Mapping[str, str]:
    """Field -> masking kind, declared by a model as AUDIT_PERSONAL_FIELDS."""
    return getattr(target, "AUDIT_PERSONAL_FIELDS", {}) if target is not None else {}


def masked_changes(
    changes: Mapping[str, tuple[Any, Any]], personal: Mapping[str, str]
) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for field, (old, new) in changes.items():
        if field in SECRET_FIELDS:
            result[field] = ["***", "***"]
        elif field in personal:
            result[field] = [mask(personal[field], old), mask(personal[field], new)]
        else:
            result[field] = [_plain(old), _plain(new)]
    return result


def diff(before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict:
    """The fields whose values differ, as field -> (old, new)."""
    names = fields if fields is not None else sorted(set(before) | set(after))
    return {
        name: (before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)
    }


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    values = {}
    for name in fields:
        field = cast(models.Field, instance._meta.get_field(name))
        if field.many_to_many:
            values[name] = sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True))
        else:
            values[name] = getattr(instance, field.attname)
    return values


def audit_entry(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    region_code: str = "",
    object_label: str | None = None,
) -> AuditEntry:
    """An unsaved entry: for bulk work, saved many at a time with `audit_record_many`."""
    context = current.get()
    personal = personal_fields_of(target)
    if target is not None and object_label is None:
        object_label = getattr(target, "audit_label", None)
    if target is not None and object_label is None:
        label_kind = getattr(target, "AUDIT_LABEL_MASK", None)
        object_label = mask(label_kind, str(target)) if label_kind else str(target)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    office = getattr(actor, "office", None) if authenticated else None
    return AuditEntry(
        actor=actor if authenticated else None,
        actor_label=actor.get_username() if authenticated else "",
        office_label=str(office) if office else "",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_label=(object_label or "")[:200],
        region_code=region_code or getattr(target, "audit_region_code", "") or "",
        changes=masked_changes(changes or {}, personal),
        reason=reason,
        ip=context.ip if context else None,
        user_agent=context.user_agent if context else "",
    )


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    region_code: str = "",
    object_label: str | None = None,
) -> AuditEntry:
    """Write one entry (see `audit_entry`)."""
    entry = audit_entry(
        actor=actor,
        action=action,
        target=target,
        changes=changes,
        reason=reason,
        region_code=region_code,
        object_label=object_label,
    )
    entry.save()
    return entry


def audit_record_many(entries: Iterable[AuditEntry]) -> int:
    return len(AuditEntry.objects.bulk_create(entries, batch_size=1000))


def history_of(target: models.Model):
    """The object's entries, each with its actor's account (pages name the actor by name)."""
    return AuditEntry.objects.filter(
        object_type=target._meta.label_lower, object_id=str(target.pk)
    ).select_related("actor")
