"""Export files: formula-safe cells written as CSV (csv module) or XLSX (openpyxl, write-only).

Pure functions, no database. Every text cell is formula-safe: a text starting with = + - @, a tab or a line
break gets an apostrophe in CSV and is stored as text (never a formula) in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

# Excel, LibreOffice and Google Sheets read a cell starting with = + - @ as a formula.
from umkm_enroll.spreadsheets import FORMULA_STARTS, formula_safe  # noqa: F401 (used by callers)

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
DELIMITERS = (";", ",")
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",  # the files of other jobs kept here (services.OTHER_FILES): invoices
}

Cell = str | int | None


def csv_lines(rows: Iterable[Sequence[Cell]], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(
        [formula_safe(cell) if isinstance(cell, str) else ("" if cell is None else cell) for cell in row]
        for row in rows
    )
    return buffer.getvalue()


def csv_start(header: Sequence[str], delimiter: str) -> bytes:
    """The byte order mark (Excel then reads UTF-8) and the header line."""
    return ("\ufeff" + csv_lines([header], delimiter)).encode("utf-8")


def write_xlsx(
    target: IO[bytes] | Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], title: str
) -> None:
    """A one-sheet workbook, streamed; every text cell is stored as text, never a formula (xlsx.py)."""
    from . import xlsx

    xlsx.write(target, header, rows, title)


def file_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], fmt: str, delimiter: str, title: str
) -> bytes:
    if fmt == XLSX:
        buffer = io.BytesIO()
        write_xlsx(buffer, header, rows, title)
        return buffer.getvalue()
    return csv_start(header, delimiter) + csv_lines(list(rows), delimiter).encode("utf-8")
