from __future__ import annotations

import pytest

from umkm_enroll.regions import selectors

pytestmark = pytest.mark.django_db


def test_search_finds_regencies_by_a_name_fragment_within_a_province():
    names = [r.name for r in selectors.regions_search(level="regency", q="lombok", parent="52")]
    assert names == [
        "Kabupaten Lombok Barat",
        "Kabupaten Lombok Tengah",
        "Kabupaten Lombok Timur",
        "Kabupaten Lombok Utara",
    ]


def test_search_by_code_prefix():
    codes = [r.code for r in selectors.regions_search(level="regency", q="52.7")]
    assert codes == ["52.72", "52.71"]  # by name: Kota Bima, Kota Mataram


def test_search_with_an_ancestor_two_levels_up():
    villages = selectors.regions_search(level="village", q="ampenan", parent="52")
    assert villages.count() > 0
    assert all(v.code.startswith("52.") for v in villages)


def test_search_rejects_an_unknown_level():
    with pytest.raises(ValueError, match="unknown level"):
        selectors.regions_search(level="country", q="x")


def test_children_of_a_code_are_one_level_below_it():
    assert [r.code for r in selectors.region_children("52")] == [
        "52.01",
        "52.02",
        "52.03",
        "52.04",
        "52.05",
        "52.06",
        "52.07",
        "52.08",
        "52.71",
        "52.72",
    ]
    districts = selectors.region_children("52.71")
    assert districts.count() == 6
    assert all(d.code.count(".") == 2 for d in districts)
    assert selectors.region_children("52.71.01").model.__name__ == "Village"


def test_regency_codes_of_a_province():
    assert selectors.regency_codes_of_province("52") == [
        "52.01",
        "52.02",
        "52.03",
        "52.04",
        "52.05",
        "52.06",
        "52.07",
        "52.08",
        "52.71",
        "52.72",
    ]
    assert selectors.regency_codes_of_province("99") == []


def test_ancestors_run_from_the_province_down():
    assert [r.code for r in selectors.region_ancestors("52.71.01.1004")] == ["52", "52.71", "52.71.01"]


def test_the_minimum_wage_table_has_a_cell_per_province_and_year_with_gaps():
    table = selectors.minimum_wage_table()
    assert table.years == [2021, 2022, 2023, 2024, 2025, 2026]
    assert len(table.rows) == 38
    assert table.gaps == 11
    ntb = next(row for row in table.rows if row.province.code == "52")
    assert ntb.cells[0].rupiah == 2183883
    papua_selatan = next(row for row in table.rows if row.province.code == "93")
    assert papua_selatan.cells[0].wage is None
