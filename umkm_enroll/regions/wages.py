"""Reading the provincial minimum wage (UMP) file, data/ump.csv. No database here.

An empty amount is a gap: no figure was found for that province and year, so no row is produced (the page
shows the gap rather than a guess).
"""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

COLUMNS = ("province_code", "province", "year", "ump_idr", "legal_basis", "source_url", "verified", "note")
_BOOLEANS = {"true": True, "false": False}


class WageFileError(ValueError):
    """A row of the file cannot be read; the message names the line."""


class WageRow(NamedTuple):
    province_code: str
    year: int
    amount: Decimal
    legal_basis: str
    source: str
    verified: bool
    note: str


def read_minimum_wages(path: str | Path) -> list[WageRow]:
    rows: list[WageRow] = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise WageFileError(f"{path}: expected the columns {','.join(COLUMNS)}")
        for record in reader:
            line = reader.line_num
            amount_text = record["ump_idr"].strip()
            if not amount_text:
                continue
            try:
                amount = Decimal(amount_text)
                year = int(record["year"])
            except (InvalidOperation, ValueError):
                raise WageFileError(f"{path}:{line}: bad year or amount") from None
            if amount <= 0:
                raise WageFileError(f"{path}:{line}: the amount must be positive")
            verified = _BOOLEANS.get(record["verified"].strip().lower())
            if verified is None:
                raise WageFileError(f"{path}:{line}: verified must be true or false")
            rows.append(
                WageRow(
                    province_code=record["province_code"].strip(),
                    year=year,
                    amount=amount,
                    legal_basis=record["legal_basis"].strip(),
                    source=record["source_url"].strip(),
                    verified=verified,
                    note=record["note"].strip(),
                )
            )
    return rows
