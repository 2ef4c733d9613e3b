"""NIK (Nomor Induk Kependudukan) rules. This is plain Python: no Django import, tested without settings.

Layout of the 16 digits: 1-2 province, 3-4 regency or city, 5-6 district (where the NIK was first issued),
7-8 day of birth (plus 40 for women), 9-10 month, 11-12 year (two digits), 13-16 serial from 0001. There is no
check digit, so the structure alone cannot prove that Dukcapil issued a number.

The module returns codes with parameters (`Issue`), never text. The Django layer turns them into messages
(`members/nik_messages.py`).

Error codes: ``empty``; ``not_digits`` {chars}; ``length`` {length}; ``province_unknown`` {code};
``regency_unknown`` {code}; ``date_invalid`` {digits}; ``serial_zero``; ``birth_future`` {date};
``birth_mismatch`` {digits, found, expected, differing, parts}; ``sex_mismatch`` {digits, found, expected,
nik_sex, stated_sex}. Warning code: ``regency_retired`` {code, and replaced_by when known}.

How regency codes are judged:

* a code in ``RegionCatalog.regencies`` (the current edition) passes;
* a code in ``RegionCatalog.retired_regencies`` gets a *warning*. A NIK keeps the code of the regency that
  issued it, even after a split gave that regency a new code (Papua 91.01 Merauke is now 93.01);
* any other code is an *error*: ``province_unknown`` when digits 1-2 are not a province, otherwise
  ``regency_unknown``. "Plausible" codes are not guessed: the caller's retired set is the complete history
  (regencies marked inactive in the database, plus ``data/retired_regencies.csv``).

District digits (5-6) are not checked: the catalog carries no district history, and districts are split
more often than regencies.

Two-digit years: 20YY is taken if that date exists and is not after ``today``; otherwise 19YY. Only
29 February of year 00 exists in one century (2000) and not in the other (1900).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = [
    "ERROR_CODES",
    "NIK_LENGTH",
    "RETIRED_REGENCIES_CSV",
    "WARNING_CODES",
    "Issue",
    "NikInfo",
    "NikResult",
    "RegionCatalog",
    "Severity",
    "Sex",
    "check_against",
    "expected_date_digits",
    "load_retired_regencies",
    "load_retired_replacements",
    "mask",
    "normalize",
    "parse",
]

Severity = Literal["error", "warning"]
Sex = Literal["L", "P"]

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40

ERROR_CODES = frozenset(
    {
        "empty",
        "not_digits",
        "length",
        "province_unknown",
        "regency_unknown",
        "date_invalid",
        "serial_zero",
        "birth_future",
        "birth_mismatch",
        "sex_mismatch",
    }
)
WARNING_CODES = frozenset({"regency_retired"})

RETIRED_REGENCIES_CSV = Path(__file__).resolve().parent / "data" / "retired_regencies.csv"

# People type NIKs with spaces, dots and dashes. Text copied from PDFs and chat apps also brings
# no-break spaces, typographic dashes and zero-width characters.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]+")
# Excel users prefix a leading apostrophe to keep the zeros and stop 16 digits turning into 1.2E+15.
_LEADING_QUOTES = "'\u2018\u2019`"
_DIGITS = frozenset("0123456789")
_REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")

# The parts of digits 7-12, with their 1-based positions in the NIK.
_DATE_PARTS = (("day", 7, 8), ("month", 9, 10), ("year", 11, 12))


@dataclass(frozen=True)
class Issue:
    """One finding about a NIK. `code` and `params` are everything the message layer needs."""

    code: str
    severity: Severity
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NikInfo:
    """What a structurally valid NIK says. Codes are written with dots, as in the regions tables."""

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: Sex
    serial: str


@dataclass(frozen=True)
class NikResult:
    """`nik` is the normalized input. `info` is set exactly when there is no error (warnings allowed)."""

    nik: str
    info: NikInfo | None
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class RegionCatalog:
    """Region codes with dots: provinces "52", regencies "52.71".

    `regencies` are current codes. `retired_regencies` are codes that no longer exist but may appear in an
    old NIK.
    `replaced_by` (optional, retired code -> current code) only adds a detail to the warning.
    """

    provinces: frozenset[str]
    regencies: frozenset[str]
    retired_regencies: frozenset[str]
    replaced_by: Mapping[str, str] = field(default_factory=dict)


def normalize(raw: str) -> str:
    """Strip whitespace, dots, dashes and a leading apostrophe typed around the digits. No validation."""
    return _SEPARATORS.sub("", raw).lstrip(_LEADING_QUOTES)


def parse(raw: str, *, regions: RegionCatalog, today: date) -> NikResult:
    nik = normalize(raw)
    if not nik:
        return NikResult(nik, None, (_error("empty"),))
    offending = (
        "" if nik.isascii() and nik.isdigit() else "".join(dict.fromkeys(c for c in nik if c not in _DIGITS))
    )
    if offending:
        return NikResult(nik, None, (_error("not_digits", chars=offending),))
    if len(nik) != NIK_LENGTH:
        return NikResult(nik, None, (_error("length", length=str(len(nik))),))

    province_code = nik[0:2]
    regency_code = f"{province_code}.{nik[2:4]}"
    district_code = f"{regency_code}.{nik[4:6]}"
    serial = nik[12:16]

    issues: list[Issue] = []
    region_issue = _region_issue(province_code, regency_code, regions)
    if region_issue is not None:
        issues.append(region_issue)
    birth_date, sex, date_issue = _birth(nik[6:12], today)
    if date_issue is not None:
        issues.append(date_issue)
    if serial == "0000":
        issues.append(_error("serial_zero"))

    if any(issue.severity == "error" for issue in issues) or birth_date is None or sex is None:
        return NikResult(nik, None, tuple(issues))
    info = NikInfo(
        nik=nik,
        province_code=province_code,
        regency_code=regency_code,
        district_code=district_code,
        birth_date=birth_date,
        sex=sex,
        serial=serial,
    )
    return NikResult(nik, info, tuple(issues))


def expected_date_digits(birth_date: date, sex: str) -> str:
    """Digits 7-12 of a NIK for this birth date and sex: DDMMYY, with 40 added to the day for women ("P")."""
    day = birth_date.day + (FEMALE_DAY_OFFSET if _checked_sex(sex) == "P" else 0)
    return f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


def check_against(info: NikInfo, *, birth_date: date | None, sex: str | None) -> tuple[Issue, ...]:
    """Compare the NIK's digits 7-12 with the birth date and sex stated on the form.

    Only the digits are compared, so the century the NIK was read in does not matter. A missing field is not
    checked: without a stated sex, the NIK's own sex is used to build the expected digits.

    * ``sex_mismatch`` when the date agrees and only the +40 does not: digits 7-8, with the found and
      expected day digits.
    * ``birth_mismatch`` otherwise: digits 7-12 with the full found and expected DDMMYY. `differing` gives the
      positions that disagree ("9-12", "7-8, 11-12") and `parts` their meaning ("month,year").
    """
    stated_sex = _checked_sex(sex) if sex is not None else None
    found = info.nik[6:12]
    if birth_date is None:
        if stated_sex is None or stated_sex == info.sex:
            return ()
        day = int(found[0:2]) - (FEMALE_DAY_OFFSET if info.sex == "P" else 0)
        expected_day = day + (FEMALE_DAY_OFFSET if stated_sex == "P" else 0)
        return (_sex_mismatch(found[0:2], f"{expected_day:02d}", info.sex, stated_sex),)

    expected = expected_date_digits(birth_date, stated_sex or info.sex)
    if expected == found:
        return ()
    if stated_sex is not None and expected_date_digits(birth_date, info.sex) == found:
        return (_sex_mismatch(found[0:2], expected[0:2], info.sex, stated_sex),)
    differing = [part for part in _DATE_PARTS if _part(found, part) != _part(expected, part)]
    return (
        _error(
            "birth_mismatch",
            digits="7-12",
            found=found,
            expected=expected,
            differing=_positions(differing),
            parts=",".join(name for name, _, _ in differing),
        ),
    )


def mask(nik: str) -> str:
    """First 6 digits (the region) + "******" + last 4. A value that is not 16 digits is masked entirely."""
    value = normalize(nik)
    if len(value) != NIK_LENGTH or not set(value) <= _DIGITS:
        return "*" * len(value)
    return f"{value[:6]}******{value[12:]}"


def load_retired_regencies(path: str | os.PathLike[str]) -> frozenset[str]:
    """The `code` column of a retired-regencies CSV (columns code,name,replaced_by,basis)."""
    return frozenset(_read_retired(path))


def load_retired_replacements(path: str | os.PathLike[str]) -> dict[str, str]:
    """Retired code -> current code, from the same CSV. Rows without `replaced_by` are left out."""
    return {code: replacement for code, replacement in _read_retired(path).items() if replacement}


def _read_retired(path: str | os.PathLike[str]) -> dict[str, str]:
    rows: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "replaced_by"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            code = (row["code"] or "").strip()
            replacement = (row["replaced_by"] or "").strip()
            for value in (code, replacement) if replacement else (code,):
                if not _REGENCY_CODE.match(value):
                    raise ValueError(
                        f"{path}, line {reader.line_num}: {value!r} is not a regency code (52.71)"
                    )
            rows[code] = replacement
    return rows


def _error(issue_code: str, /, **params: str) -> Issue:
    return Issue(issue_code, "error", params)


def _region_issue(province_code: str, regency_code: str, regions: RegionCatalog) -> Issue | None:
    if regency_code in regions.regencies:
        return None
    if regency_code in regions.retired_regencies:
        params = {"code": regency_code}
        replacement = regions.replaced_by.get(regency_code)
        if replacement:
            params["replaced_by"] = replacement
        return Issue("regency_retired", "warning", params)
    if province_code not in regions.provinces:
        return _error("province_unknown", code=province_code)
    return _error("regency_unknown", code=regency_code)


# A list of 150,000 people repeats its birth dates: each DDMMYY is read once. The results are shared:
# nothing may change them (an Issue's params are only read, by nik_messages).
@lru_cache(maxsize=1 << 16)
def _birth(digits: str, today: date) -> tuple[date | None, Sex | None, Issue | None]:
    """Read DDMMYY (day + 40 for women) with the century rule described in the module docstring."""
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    sex: Sex = "P" if day > FEMALE_DAY_OFFSET else "L"
    if sex == "P":
        day -= FEMALE_DAY_OFFSET
    candidates = [
        candidate
        for century in (2000, 1900)
        if (candidate := _date_or_none(century + year, month, day)) is not None
    ]
    if not candidates:
        return None, None, _error("date_invalid", digits=digits)
    for candidate in candidates:
        if candidate <= today:
            return candidate, sex, None
    return None, None, _error("birth_future", date=min(candidates).isoformat())


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _checked_sex(sex: str) -> Sex:
    if sex == "L":
        return "L"
    if sex == "P":
        return "P"
    raise ValueError(f"sex must be 'L' or 'P', not {sex!r}")


def _sex_mismatch(found: str, expected: str, nik_sex: Sex, stated_sex: Sex) -> Issue:
    return _error(
        "sex_mismatch", digits="7-8", found=found, expected=expected, nik_sex=nik_sex, stated_sex=stated_sex
    )


def _part(ddmmyy: str, part: tuple[str, int, int]) -> str:
    _, first, last = part
    return ddmmyy[first - 7 : last - 6]


def _positions(parts: list[tuple[str, int, int]]) -> str:
    """Join adjacent parts into ranges: day+month -> "7-10", day+year -> "7-8, 11-12"."""
    ranges: list[list[int]] = []
    for _, first, last in parts:
        if ranges and ranges[-1][1] + 1 == first:
            ranges[-1][1] = last
        else:
            ranges.append([first, last])
    return ", ".join(f"{first}-{last}" for first, last in ranges)
