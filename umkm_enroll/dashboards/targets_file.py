"""Reading a file of coverage targets (CSV or XLSX), without the database.

One target a row: the region's Kemendagri code (`52` a province, `52.71` or `5271` a regency or city), the
year, the number to cover, where the number comes from, and optionally what is counted (UMKM, the default,
or aid recipients). Headers may be Indonesian or English; the file's reading (encodings, separators, XLSX
checks) is the payment files' (contributions/payment_files.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
HEADER_SEARCH_ROWS = 20

HEADERS = {
    "region": {"kode", "kode wilayah", "wilayah", "kode daerah", "region", "region code", "code"},
    "year": {"tahun", "year"},
    "count": {"target", "jumlah", "sasaran", "jumlah sasaran", "count", "jumlah umkm"},
    "source": {"sumber", "sumber data", "source"},
    "kind": {"jenis", "dihitung", "kind", "counted"},
}
REQUIRED = ("region", "year", "count", "source")
KINDS = {
    "umkm": "umkm",
    "pelaku umkm": "umkm",
    "": "umkm",
    "aid": "aid",
    "bantuan": "aid",
    "penerima bantuan": "aid",
    "aid recipients": "aid",
    "bpum": "aid",
    "kur": "aid",
}


class TargetFileError(Exception):
    """The file as a whole cannot be read (a message for the user)."""


@dataclass(frozen=True)
class TargetLine:
    row: int
    region: str  # "52" or "52.71"
    year: int
    kind: str
    count: int
    source: str


@dataclass(frozen=True)
class LineError:
    row: int
    message: str


def region_code(value: str) -> str | None:
    digits = re.sub(r"[\s.]", "", value)
    if re.fullmatch(r"[0-9]{2}", digits):
        return digits
    if re.fullmatch(r"[0-9]{4}", digits):
        return f"{digits[:2]}.{digits[2:]}"
    return None


def _rows(content: bytes) -> list[tuple[int, list[Any]]]:
    from contributions import payment_files as files

    try:
        if files.sniff_format(content) == files.XLSX:
            return list(islice(files.xlsx_rows(content), MAX_ROWS + HEADER_SEARCH_ROWS))
        text, _encoding = files.decode_csv(content)
        first_line = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first_line.count)
        return list(islice(files.csv_rows(text, delimiter), MAX_ROWS + HEADER_SEARCH_ROWS))
    except files.PaymentFileError as error:
        raise TargetFileError(str(error)) from error


def _header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]]:
    from contributions.payment_files import normalize_header

    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = normalize_header(cell)
            for name, aliases in HEADERS.items():
                if name not in found and key in aliases:
                    found[name] = index
        if all(name in found for name in REQUIRED):
            return number, found
    raise TargetFileError(
        _(
            "No header row found: the file needs the columns Kode wilayah, Tahun, Target and Sumber "
            "(and optionally Jenis)."
        )
    )


def read_targets(content: bytes) -> tuple[list[TargetLine], list[LineError]]:
    """The targets of a file, and the rows that cannot be read (with the reason)."""
    from contributions.payment_files import cell_text

    if len(content) > MAX_BYTES:
        raise TargetFileError(_("The file is larger than 5 MB."))
    rows = _rows(content)
    header_row, columns = _header(rows)
    lines: list[TargetLine] = []
    errors: list[LineError] = []
    seen: dict[tuple[str, int, str], int] = {}
    for number, cells in rows:
        if number <= header_row:
            continue
        values = {name: cell_text(cells[i]) if i < len(cells) else "" for name, i in columns.items()}
        if not any(values.values()):
            continue
        if len(lines) + len(errors) >= MAX_ROWS:
            raise TargetFileError(_("The file has more than %(rows)s rows.") % {"rows": MAX_ROWS})
        code = region_code(values["region"])
        if code is None:
            errors.append(
                LineError(
                    number, _("“%(value)s” is not a province or regency code.") % {"value": values["region"]}
                )
            )
            continue
        try:
            year = int(values["year"])
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            errors.append(LineError(number, _("“%(value)s” is not a year.") % {"value": values["year"]}))
            continue
        count_text = re.sub(r"[\s.,]", "", values["count"])
        if not count_text.isdigit() or int(count_text) <= 0 or int(count_text) > 100_000_000:
            errors.append(
                LineError(number, _("“%(value)s” is not a number of people.") % {"value": values["count"]})
            )
            continue
        kind = KINDS.get(values.get("kind", "").strip().lower())
        if kind is None:
            errors.append(
                LineError(
                    number, _("“%(value)s”: write UMKM or Penerima bantuan.") % {"value": values["kind"]}
                )
            )
            continue
        source = " ".join(values["source"].split())
        if not source:
            errors.append(LineError(number, _("Say where the number comes from (the Sumber column).")))
            continue
        key = (code, year, kind)
        if key in seen:
            errors.append(
                LineError(number, _("The same region, year and kind as row %(row)s.") % {"row": seen[key]})
            )
            continue
        seen[key] = number
        lines.append(TargetLine(number, code, year, kind, int(count_text), source[:300]))
    return lines, errors
