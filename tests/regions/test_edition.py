"""The edition reader, without a database."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from umkm_enroll.regions.edition import (
    EditionError,
    level_of,
    parent_code,
    read_edition,
    regency_kind,
    village_kind,
    write_edition,
)
from umkm_enroll.regions.loading import DATA_DIR

BRIEF_PROVINCE_CODES = [
    *[str(code) for code in range(11, 20)],
    "21",
    *[str(code) for code in range(31, 37)],
    *[str(code) for code in range(51, 54)],
    *[str(code) for code in range(61, 66)],
    *[str(code) for code in range(71, 77)],
    "81",
    "82",
    *[str(code) for code in range(91, 97)],
]


@pytest.fixture(scope="module")
def vendored():
    return read_edition(DATA_DIR)


def test_the_vendored_edition_has_the_counts_of_kepmendagri_300_2_2_2138_2025(vendored):
    assert vendored.counts() == {"province": 38, "regency": 514, "district": 7285, "village": 83762}


def test_the_vendored_province_codes_are_the_briefs(vendored):
    assert len(BRIEF_PROVINCE_CODES) == 38
    assert vendored.codes("province") == BRIEF_PROVINCE_CODES


def test_regencies_split_into_416_kabupaten_and_98_kota(vendored):
    assert Counter(row.kind for row in vendored.regencies()) == {"kabupaten": 416, "kota": 98}


def test_village_kinds_follow_the_first_digit_of_the_last_segment(vendored):
    assert Counter(row.kind for row in vendored.villages()) == {
        "desa": 75252,
        "kelurahan": 8496,
        "desa_adat": 14,
    }


def test_every_village_has_a_five_digit_postal_code(vendored):
    assert all(re.fullmatch(r"\d{5}", row.postal_code) for row in vendored.villages())


def test_rows_name_their_parent(vendored):
    mataram = next(row for row in vendored.regencies() if row.code == "52.71")
    assert mataram == ("52.71", "Kota Mataram", "52", "kota")


def test_source_md_records_the_sha256_of_every_vendored_file():
    source = (DATA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    for name in (
        "wilayah.json.gz",
        "desa.json.gz",
        "kodepos.json.gz",
        "LICENSE-wilayah.txt",
        "LICENSE-kodepos.txt",
    ):
        digest = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert f"| `{name}` |" in source
        assert digest in source, name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Kota Mataram", "kota"),
        ("Kabupaten Kotabaru", "kabupaten"),
        ("Kabupaten Kota Waringin Barat", "kabupaten"),
        ("Kota Kotamobagu", "kota"),
    ],
)
def test_a_regency_is_a_city_when_its_name_starts_with_kota(name, kind):
    assert regency_kind(name) == kind


def test_codes_give_their_level_and_parent():
    assert [level_of(code) for code in ("52", "52.71", "52.71.01", "52.71.01.1001")] == [
        "province",
        "regency",
        "district",
        "village",
    ]
    assert parent_code("52.71.01.1001") == "52.71.01"
    assert village_kind("91.03.01.3001") == "desa_adat"
    with pytest.raises(EditionError):
        level_of("5271")
    with pytest.raises(EditionError):
        village_kind("52.71.01.4001")


def test_an_edition_with_an_orphan_is_refused(tmp_path: Path):
    folder = write_edition(tmp_path, {"52": "Nusa Tenggara Barat", "53.01": "Kabupaten Kupang"}, {}, {})
    with pytest.raises(EditionError, match="without a parent"):
        read_edition(folder)


def test_a_missing_file_is_refused(tmp_path: Path):
    folder = write_edition(tmp_path, {"52": "Nusa Tenggara Barat"}, {}, {})
    (folder / "kodepos.json.gz").unlink()
    with pytest.raises(EditionError, match="missing file"):
        read_edition(folder)
