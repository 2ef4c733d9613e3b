"""Export files: formula-safe cells written as CSV (csv module) or XLSX (openpyxl, write-only).

Pure functions, no database. Every text cell is formula-safe: a text starting with = + - @, a tab or a line
break gets an apostrophe in CSV and is stored as text (never a formula) in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
DELIMITERS = (";", ",")
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Cell = str | int | None

# Excel, LibreOffice and Google Sheets read a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters XML (and so XLSX) cannot hold.
_NOT_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @, tab or line break gets an apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


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
    """A one-sheet workbook, streamed (write-only); every text cell is stored as text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    # Readable as opened: the header frozen and bold, columns as wide as their titles (at least 12),
    # whole numbers (rupiah) with thousands separators.
    sheet.freeze_panes = "A2"
    for index, label in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(label) + 2))
    bold = Font(bold=True)
    titles = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label.translate(_NOT_XML))
        cell.data_type = "s"
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)

    def cells(row: Sequence[Cell]) -> list[Any]:
        out: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value.translate(_NOT_XML))
                cell.data_type = "s"  # openpyxl would make "=..." a formula
                out.append(cell)
            elif isinstance(value, int) and not isinstance(value, bool):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0"
                out.append(cell)
            else:
                out.append(value)
        return out

    for row in rows:
        sheet.append(cells(row))
    workbook.save(target)


def file_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], fmt: str, delimiter: str, title: str
) -> bytes:
    if fmt == XLSX:
        buffer = io.BytesIO()
        write_xlsx(buffer, header, rows, title)
        return buffer.getvalue()
    return csv_start(header, delimiter) + csv_lines(list(rows), delimiter).encode("utf-8")
