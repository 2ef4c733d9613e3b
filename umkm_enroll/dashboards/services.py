"""Writes of the dashboards app: coverage targets (one by one or from a file, audited) and the upkeep of
the tallies (compaction, rebuild)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from umkm_enroll.audit.services import audit_entry, audit_record, audit_record_many, diff, snapshot

from . import tally_sql
from .models import CoverageTarget
from .targets_file import LineError, read_targets

TARGET_FIELDS = ["province", "regency", "year", "kind", "count", "source"]
COMPACT_LOCK = 0xDA5B0  # pg_try_advisory_xact_lock: one compaction at a time


class TargetError(Exception):
    """A refused target, with a message for the user."""


def target_save(*, target: CoverageTarget, actor: Any) -> CoverageTarget:
    """Create or change a target (the form has validated it), with an audit entry of what changed."""
    with transaction.atomic():
        if target.pk:
            before = snapshot(
                CoverageTarget.objects.select_for_update(of=("self",)).get(pk=target.pk), TARGET_FIELDS
            )
            action = "dashboards.target.changed"
        else:
            before = {}
            action = "dashboards.target.created"
        if target.regency_id:
            target.province_id = target.regency_id[:2]
        target.updated_by = actor
        target.save()
        audit_record(
            actor=actor,
            action=action,
            target=target,
            changes=diff(before, snapshot(target, TARGET_FIELDS), TARGET_FIELDS),
            region_code=target.audit_region_code,
        )
    return target


def target_delete(*, target: CoverageTarget, actor: Any) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="dashboards.target.deleted",
            target=target,
            changes=diff(snapshot(target, TARGET_FIELDS), {}, TARGET_FIELDS),
            region_code=target.audit_region_code,
        )
        target.delete()


@dataclass(frozen=True)
class ImportResult:
    created: int
    changed: int
    unchanged: int
    errors: list[LineError]

    @property
    def saved(self) -> bool:
        return not self.errors


def targets_import(*, content: bytes, actor: Any) -> ImportResult:
    """Create or update the targets of a file, all or nothing: with any unreadable row, nothing is saved
    and the rows' problems are returned. Raises TargetFileError when the file cannot be read at all."""
    from umkm_enroll.regions.models import Province, Regency

    lines, errors = read_targets(content)
    provinces = set(Province.objects.values_list("code", flat=True))
    regencies = set(Regency.objects.values_list("code", flat=True))
    for line in lines:
        known = regencies if "." in line.region else provinces
        if line.region not in known:
            errors.append(
                LineError(line.row, _("There is no region with the code %(code)s.") % {"code": line.region})
            )
    if errors:
        return ImportResult(0, 0, 0, sorted(errors, key=lambda error: error.row))
    created = changed = unchanged = 0
    entries = []
    with transaction.atomic():
        for line in lines:
            regency = line.region if "." in line.region else None
            existing = (
                CoverageTarget.objects.select_for_update(of=("self",))
                .filter(province_id=line.region[:2], regency_id=regency, year=line.year, kind=line.kind)
                .first()
            )
            before = snapshot(existing, TARGET_FIELDS) if existing else {}
            target = existing or CoverageTarget(
                province_id=line.region[:2], regency_id=regency, year=line.year, kind=line.kind
            )
            target.count, target.source, target.updated_by = line.count, line.source, actor
            changes = diff(before, snapshot(target, TARGET_FIELDS), TARGET_FIELDS)
            if existing and not changes:
                unchanged += 1
                continue
            target.save()
            created += existing is None
            changed += existing is not None
            entries.append(
                audit_entry(
                    actor=actor,
                    action="dashboards.target.imported",
                    target=target,
                    changes=changes,
                    region_code=target.audit_region_code,
                )
            )
        audit_record_many(entries)
    return ImportResult(created, changed, unchanged, [])


def tallies_compact() -> bool:
    """Fold the tallies' delta rows into one row per key; False when another compaction is running."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT dashboards_compact()")
    return True


def tallies_rebuild() -> None:
    """Count everything afresh from the rows (after a restore, or to prove the triggers right). Writers wait
    for the tallies' lock meanwhile, so nothing is counted twice or missed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE dashboards_tally, dashboards_monthtally IN ACCESS EXCLUSIVE MODE")
        cursor.execute("DELETE FROM dashboards_tally")
        cursor.execute("DELETE FROM dashboards_monthtally")
        cursor.execute("SET LOCAL work_mem = '128MB'")
        for statement in tally_sql.REBUILD_SQL:
            cursor.execute(statement)
