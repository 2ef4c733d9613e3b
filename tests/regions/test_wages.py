"""The minimum wage file, without a database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from umkm_enroll.regions.loading import MINIMUM_WAGES_FILE
from umkm_enroll.regions.wages import COLUMNS, WageFileError, read_minimum_wages


def test_the_file_has_228_rows_of_which_11_are_gaps():
    rows = read_minimum_wages(MINIMUM_WAGES_FILE)
    assert len(rows) == 228 - 11
    assert len({(row.province_code, row.year) for row in rows}) == len(rows)


def test_ntb_2021_is_2183883_and_verified():
    rows = {(row.province_code, row.year): row for row in read_minimum_wages(MINIMUM_WAGES_FILE)}
    assert rows["52", 2021].amount == Decimal(2183883)
    assert rows["52", 2021].verified is True
    assert ("93", 2021) not in rows


def test_fractions_of_a_rupiah_are_kept_exactly():
    amounts = [row.amount for row in read_minimum_wages(MINIMUM_WAGES_FILE)]
    assert Decimal("4416186.548") in amounts


def test_a_verified_value_other_than_true_or_false_is_refused(tmp_path: Path):
    path = tmp_path / "ump.csv"
    path.write_text(",".join(COLUMNS) + "\n52,NTB,2021,2183883,,https://example.org,yes,\n", encoding="utf-8")
    with pytest.raises(WageFileError, match=":2: verified"):
        read_minimum_wages(path)
