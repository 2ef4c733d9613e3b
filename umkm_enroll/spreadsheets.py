"""Reading spreadsheets as people write them (plain Python, no database; tested without Django's models).

- CSV in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252, with the separator the caller tries.
- XLSX: an archive. Before anything is unpacked, every part's declared size is checked against
  MAX_XLSX_PART_BYTES (a zip bomb is refused from the archive's directory in milliseconds; Python's zipfile
  never unpacks more than the declared size), an XML part with a DTD (entity expansion) is refused, and so is
  a workbook with macros. `xlsx_rows` reads with openpyxl (formulas kept as formulas, never calculated);
  `xlsx_values` reads with calamine (ten times faster: the values Excel last saved).
- Old .xls workbooks and files that are not spreadsheets are refused with the fix.
- Dates as date cells, Excel serial numbers, dd/mm/yyyy, yyyy-mm-dd or "15 Januari 2026".

The payment files (contributions/payment_files.py) and the people import (members/imports.py) read with it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _

# Columns read from each row; anything further right is ignored.
MAX_COLUMNS = 60
MAX_XLSX_PART_BYTES = 256 * 1024 * 1024
MAX_XLSX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_XLSX_PARTS = 1_000
EXCEL_EPOCH = date(1899, 12, 30)
CSV = "csv"
# Parts that only a macro-enabled workbook carries: VBA projects, Excel 4 macro sheets, ActiveX controls.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "/macrosheets/", "/activex/")
XLSX = "xlsx"

MONTHS = {
    "jan": 1,
    "januari": 1,
    "january": 1,
    "feb": 2,
    "februari": 2,
    "february": 2,
    "mar": 3,
    "maret": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "mei": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "agu": 8,
    "agt": 8,
    "agus": 8,
    "agustus": 8,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oct": 10,
    "oktober": 10,
    "october": 10,
    "nov": 11,
    "nop": 11,
    "november": 11,
    "nopember": 11,
    "des": 12,
    "dec": 12,
    "desember": 12,
    "december": 12,
}
PLAIN_TYPES = (str, int, float, date, time, timedelta, type(None))


# A text cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class SpreadsheetError(Exception):
    """A file refused, with a message for the user."""


class CellError(Exception):
    """A value that cannot be read; `code` says why (the message is made with the column's name)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def cell_text(value: Any) -> str:
    """A cell as text, as a person would read it in the sheet."""
    if type(value) is str:  # most cells, tested first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    # An array or data-table formula (openpyxl objects): its text.
    return str(getattr(value, "text", value)).strip()


def is_formula(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().startswith("=")
    return not isinstance(value, PLAIN_TYPES)


def normalize_header(value: Any) -> str:
    text = re.sub(r"[^0-9a-z]+", " ", cell_text(value).lower())
    return " ".join(text.split())


def sniff_format(content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        return XLSX
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            _(
                "This is an old Excel workbook (.xls) or a password-protected one: open it in Excel, "
                "remove any password and save it as .xlsx or .csv, then upload it again."
            )
        )
    if content.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff")):
        raise SpreadsheetError(_("This is not a spreadsheet: upload a CSV or XLSX file."))
    return CSV


def decode_csv(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = content.decode("utf-16", errors="replace"), "utf-16"
    else:
        try:
            text, encoding = content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in the ANSI code page: Windows-1252 in Indonesia.
            text, encoding = content.decode("cp1252", errors="replace"), "windows-1252"
    if "\x00" in text:
        raise SpreadsheetError(_("This is not a text file: upload a CSV or XLSX file."))
    return text, encoding


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            cells = row[:MAX_COLUMNS]
            if "'" in "".join(cell[:1] for cell in cells):
                cells = [unquote_formula(cell) for cell in cells]
            yield number, cells
    except csv.Error as error:
        raise SpreadsheetError(
            _("Row %(row)s cannot be read (%(error)s): check the file in a spreadsheet and save it again.")
            % {"row": number + 1, "error": error}
        ) from error


def check_xlsx(content: bytes) -> None:
    """Refuse a workbook whose parts would unpack to too much, or that declares a DTD; reads only the
    archive's directory and the first bytes of each XML part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as error:
        raise SpreadsheetError(
            _("The file is not a valid XLSX workbook: open it in Excel and save it again as .xlsx or .csv.")
        ) from error
    refused = SpreadsheetError(
        _(
            "The workbook would unpack to more than %(size)s MB (a compressed “zip bomb” or a huge sheet): "
            "it is refused. Save the sheet as CSV, or split it into smaller files."
        )
        % {"size": MAX_XLSX_PART_BYTES // (1024 * 1024)}
    )
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_XLSX_PARTS:
            raise refused
        total = 0
        for part in parts:
            total += part.file_size
            if part.file_size > MAX_XLSX_PART_BYTES or total > MAX_XLSX_TOTAL_BYTES:
                raise refused
        if any(marker in part.filename.lower() for part in parts for marker in MACRO_PARTS):
            raise SpreadsheetError(
                _(
                    "The workbook contains macros, which are not accepted: save it in Excel as "
                    "“Excel Workbook (.xlsx)” without macros, or as CSV, and upload it again."
                )
            )
        for part in parts:
            if not part.filename.endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(part) as handle:
                    head = handle.read(4096)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as error:
                raise SpreadsheetError(
                    _("The workbook is damaged or encrypted: open it in Excel and save it again as .xlsx.")
                ) from error
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise SpreadsheetError(
                    _("The workbook contains XML declarations that are not allowed: save it again as .xlsx.")
                )


def xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the first sheet (cells as stored: formulas as their text, never calculated)."""
    import openpyxl

    check_xlsx(content)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_links=False
        )
    except Exception as error:
        raise SpreadsheetError(
            _("The workbook cannot be read: open it in Excel and save it again as .xlsx or .csv.")
        ) from error
    try:
        if not workbook.worksheets:
            raise SpreadsheetError(_("The workbook has no sheet with data."))
        sheet: Any = workbook.worksheets[0]
        # The declared dimensions may claim a million columns: rows are sized by their cells instead.
        sheet.reset_dimensions()
        number = 0
        try:
            for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, list(row)
        except SpreadsheetError:
            raise
        except Exception as error:
            raise SpreadsheetError(
                _("Row %(row)s of the workbook cannot be read: open it in Excel and save it again.")
                % {"row": number + 1}
            ) from error
    finally:
        workbook.close()


_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")


def xlsx_row_bound(content: bytes) -> int:
    """The most rows any sheet of a workbook declares, by scanning its XML for row tags (a fraction of a
    second for 200,000 rows, where reading the cells takes half a minute). The workbook is checked first:
    a zip bomb or a damaged archive is refused before any part is unpacked."""
    check_xlsx(content)
    most = 0
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for part in archive.infolist():
            if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                continue
            rows = 0
            tail = b""
            with archive.open(part) as handle:
                while chunk := handle.read(1 << 20):
                    window = tail + chunk
                    # Tags wholly inside the carried-over tail were counted with the previous chunk.
                    rows += sum(window.count(tag) - tail.count(tag) for tag in _ROW_TAGS)
                    tail = window[-4:]
            most = max(most, rows)
    return most


def _from_serial(serial: float) -> date:
    if not 1 <= serial <= 2_958_465:
        raise CellError("unreadable")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: Any) -> date:
    """A date from a cell: a date cell, an Excel serial number, dd/mm/yyyy, yyyy-mm-dd, 15 Januari 2026."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError("unreadable")
    if isinstance(value, int | float):
        return _from_serial(value)
    text = cell_text(value)
    if not text:
        raise CellError("empty")
    try:
        if re.fullmatch(r"[0-9]{5}(?:\.[0-9]+)?", text):
            return _from_serial(float(text))
        if match := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T].*)?", text):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        if match := re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})(?:\s.*)?", text):
            day, month, year = (int(part) for part in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        if match := re.fullmatch(r"([0-9]{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+([0-9]{4})(?:\s.*)?", text):
            month_number = MONTHS.get(match.group(2).lower())
            if month_number:
                return date(int(match.group(3)), month_number, int(match.group(1)))
    except ValueError as error:
        raise CellError("unreadable") from error
    raise CellError("unreadable")


class XlsxSheet:
    """The first sheet of a workbook, parsed once with calamine (about 1 s for 150,000 rows where openpyxl
    takes 14 s). Its rows can be read more than once, and in processes forked after the parse (which
    share the parsed sheet)."""

    def __init__(self, content: bytes, *, max_columns: int = MAX_COLUMNS) -> None:
        import python_calamine

        check_xlsx(content)
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
            if not workbook.sheet_names:
                raise SpreadsheetError(_("The workbook has no sheet with data."))
            self._sheet = workbook.get_sheet_by_index(0)
            # calamine's rows begin at the sheet's first used column: padded back, a cell's index is its
            # column in Excel (A = 0), as with openpyxl and `xlsx_head`.
            start = self._sheet.start
            self._padding: list[Any] = [""] * (start[1] if start else 0)
        except SpreadsheetError:
            raise
        except Exception as error:
            raise SpreadsheetError(
                _("The workbook cannot be read: open it in Excel and save it again as .xlsx or .csv.")
            ) from error
        self._max_columns = max_columns

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The rows as the values Excel last saved (a formula gives its saved result), numbered as in
        Excel. Cells come as str ("" when empty), float, int, bool, date, datetime, time or timedelta."""
        padding, width = self._padding, self._max_columns
        number = 0
        try:
            for number, row in enumerate(self._sheet.iter_rows(), start=1):
                yield number, (padding + row)[:width] if padding else row[:width]
        except Exception as error:
            raise SpreadsheetError(
                _("Row %(row)s of the workbook cannot be read: open it in Excel and save it again.")
                % {"row": number + 1}
            ) from error


def xlsx_values(content: bytes, *, max_columns: int = MAX_COLUMNS) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the first sheet (`XlsxSheet.rows`), the workbook checked and parsed on the first row."""
    yield from XlsxSheet(content, max_columns=max_columns).rows()


# --- Writing --------------------------------------------------------------------------------------------


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet will not run (CSV): a leading = + - @, tab or line break gets a quote."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def unquote_formula(text: str) -> str:
    """A CSV cell as it was before formula_safe: the files we give back (an import's error report) are
    uploaded again once fixed, and "'+62 812..." is the phone "+62 812...". Other apostrophes stay."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1:].startswith(FORMULA_STARTS) else text


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    import xml.etree.ElementTree as ET

    workbook = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise SpreadsheetError(_("The workbook has no sheet with data."))
    relation = sheet.get(f"{_RELS}id")
    relations = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    for item in relations.iter(f"{_PACKAGE_RELS}Relationship"):
        if item.get("Id") == relation:
            target = item.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise SpreadsheetError(_("The workbook has no sheet with data."))


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


def _shared_strings(archive: zipfile.ZipFile, needed: set[int]) -> dict[int, str]:
    """The shared strings of the given indexes, read only as far as the largest one."""
    import xml.etree.ElementTree as ET

    found: dict[int, str] = {}
    if not needed or "xl/sharedStrings.xml" not in archive.namelist():
        return found
    last = max(needed)
    with archive.open("xl/sharedStrings.xml") as handle:
        index = 0
        for _event, element in ET.iterparse(handle):  # noqa: S314
            if element.tag == f"{_MAIN}si":
                if index in needed:
                    found[index] = "".join(text.text or "" for text in element.iter(f"{_MAIN}t"))
                index += 1
                element.clear()
                if index > last:
                    break
    return found


def xlsx_head(content: bytes, rows: int) -> list[tuple[int, list[Any]]]:
    """The first `rows` rows of the first sheet as text and numbers, streamed from the sheet's XML and
    stopped there: the header search of a 150,000-row list reads 30 rows, not the sheet (calamine and
    openpyxl both read the whole sheet first). Empty cells are "", a cell's index is its Excel column."""
    import xml.etree.ElementTree as ET

    check_xlsx(content)
    raw: list[tuple[int, dict[int, tuple[str, str]]]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            with archive.open(_first_sheet_path(archive)) as handle:
                for _event, element in ET.iterparse(handle):  # noqa: S314
                    if element.tag != f"{_MAIN}row":
                        continue
                    number = int(element.get("r") or len(raw) + 1)
                    cells: dict[int, tuple[str, str]] = {}
                    for position, cell in enumerate(element.iter(f"{_MAIN}c")):
                        column = _column_index(cell.get("r") or "") if cell.get("r") else position
                        kind = cell.get("t") or "n"
                        if kind == "inlineStr":
                            text = "".join(part.text or "" for part in cell.iter(f"{_MAIN}t"))
                        else:
                            value = cell.find(f"{_MAIN}v")
                            text = value.text or "" if value is not None else ""
                        if 0 <= column < MAX_COLUMNS:
                            cells[column] = (kind, text)
                    element.clear()
                    raw.append((number, cells))
                    if len(raw) == rows:
                        break
            needed = {int(text) for _number, cells in raw for kind, text in cells.values() if kind == "s"}
            strings = _shared_strings(archive, needed)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError) as error:
        raise SpreadsheetError(
            _("The workbook cannot be read: open it in Excel and save it again as .xlsx or .csv.")
        ) from error
    head: list[tuple[int, list[Any]]] = []
    for number, cells in raw:
        width = max(cells, default=-1) + 1
        values: list[Any] = [""] * width
        for column, (kind, text) in cells.items():
            if kind == "s":
                values[column] = strings.get(int(text), "")
            elif kind == "n" and text:
                number_value = float(text)
                values[column] = int(number_value) if number_value.is_integer() else number_value
            elif kind == "b":
                values[column] = text == "1"
            else:
                values[column] = text
        while values and values[-1] == "":
            values.pop()
        head.append((number, values))
    return head
