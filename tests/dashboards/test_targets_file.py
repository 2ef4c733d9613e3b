"""Reading a targets file, without the database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from umkm_enroll.dashboards.targets_file import TargetFileError, read_targets, region_code


@given(st.integers(min_value=11, max_value=99), st.integers(min_value=1, max_value=99))
def test_a_regency_code_is_read_with_or_without_its_dot(province, regency):
    expected = f"{province}.{regency:02d}"
    assert region_code(expected) == expected
    assert region_code(expected.replace(".", "")) == expected
    assert region_code(f" {province} ") == str(province)


@given(st.text())
def test_anything_else_is_no_code(text):
    code = region_code(text)
    assert code is None or code.replace(".", "").isdigit()


def test_english_headers_comma_separated_and_the_default_kind():
    lines, errors = read_targets(b'Region code,Year,Count,Source\n52,2024,"149,962",NTB survey\n')
    assert not errors
    assert [(line.region, line.year, line.kind, line.count) for line in lines] == [
        ("52", 2024, "umkm", 149_962)
    ]


def test_problems_are_reported_by_row_and_duplicates_refused():
    content = (
        b"Kode wilayah;Tahun;Jenis;Target;Sumber\n"
        b"52;2024;UMKM;100;a\n"
        b"52;2024;UMKM;120;b\n"
        b"52;2024;bantuan sosial;5;c\n"
        b"52;2024;UMKM;-3;d\n"
        b"52;2024;UMKM;7;\n"
    )
    lines, errors = read_targets(content)
    assert [line.row for line in lines] == [2]
    assert [error.row for error in errors] == [3, 4, 5, 6]


def test_a_file_without_the_columns_is_refused():
    with pytest.raises(TargetFileError):
        read_targets(b"nama;jumlah\nNTB;5\n")
