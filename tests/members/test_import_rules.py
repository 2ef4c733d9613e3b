"""The rules for one row of a people list (members/import_rules.py), with a catalog built by hand: no
database. Messages are checked for the column as written in the file and for the figures they quote, not
for their exact wording (the Indonesian translations are still being written)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from members import nik as nik_rules
from members.import_rules import Catalog, RowReader, find_header, read_amount, read_birth_date

TODAY = date(2026, 3, 1)
REGIONS = nik_rules.RegionCatalog(
    provinces=frozenset({"52", "53"}),
    regencies=frozenset({"52.01", "52.06", "52.71", "52.72", "53.71"}),
    retired_regencies=frozenset(),
)
# The file's own headers, as an aid programme's list writes them (a number column first).
HEADER = [
    "No",
    "No. KTP",
    "Nama Lengkap",
    "Tempat Lahir",
    "Tgl Lahir",
    "L/P",
    "Alamat",
    "Kab/Kota",
    "Kecamatan",
    "Desa/Kelurahan",
    "No HP",
    "Jenis Usaha",
    "Penghasilan",
    "Jenis Peserta",
    "Nama Ahli Waris",
    "Hubungan Ahli Waris",
    "Upah",
    "NIK Pemberi Kerja",
]
COLUMN = {name: index for index, name in enumerate(HEADER)}
# Born 15/06/1985, male, Kecamatan Ampenan (52.71.01).
NIK = "5271011506850001"
PROPERTY = settings(database=None, max_examples=300, deadline=None)


def catalog(**overrides: Any) -> Catalog:
    values: dict[str, Any] = {
        "regions": REGIONS,
        "today": TODAY,
        "provinces": {"nusa tenggara barat": "52", "nusa tenggara timur": "53"},
        "regencies": {
            "kabupaten lombok barat": "52.01",
            "kabupaten bima": "52.06",
            "kota mataram": "52.71",
            "kota bima": "52.72",
            "kota kupang": "53.71",
        },
        "regencies_bare": {
            "lombok barat": ["52.01"],
            "bima": ["52.06", "52.72"],
            "mataram": ["52.71"],
            "kupang": ["53.71"],
        },
        "regency_province": {"52.01": "52", "52.06": "52", "52.71": "52", "52.72": "52", "53.71": "53"},
        "districts": {
            ("52.71", "ampenan"): "52.71.01",
            ("52.01", "gerung"): "52.01.01",
            ("52.06", "woha"): "52.06.01",
            ("52.72", "rasanae barat"): "52.72.01",
            ("53.71", "alak"): "53.71.01",
        },
        "district_codes": {"52.71.01", "52.01.01", "52.06.01", "52.72.01", "53.71.01"},
        "villages": {
            ("52.71.01", "ampenan utara"): "52.71.01.1001",
            ("52.01.01", "gerung utara"): "52.01.01.2001",
            ("52.06.01", "talabiu"): "52.06.01.2001",
            ("52.72.01", "paruga"): "52.72.01.1001",
            ("53.71.01", "alak"): "53.71.01.1001",
        },
        "village_codes": {
            "52.71.01.1001",
            "52.01.01.2001",
            "52.06.01.2001",
            "52.72.01.1001",
            "53.71.01.1001",
        },
        "employers": {"digest-of-5271015203800002": 77},
        "digest": lambda nik: f"digest-of-{nik}",
    }
    values.update(overrides)
    return Catalog(**values)


def reader(header: list[str] | None = None, **overrides: Any) -> RowReader:
    header = header or HEADER
    _number, mapping = find_header([(1, header)])
    return RowReader(mapping, {name: header[index] for name, index in mapping.items()}, catalog(**overrides))


def good_row(**cells: Any) -> list[Any]:
    row: list[Any] = [
        1,
        NIK,
        "Lalu Ahmad Zaini",
        "Mataram",
        "15/06/1985",
        "L",
        "Jl. Pejanggik 10",
        "Kota Mataram",
        "Ampenan",
        "Ampenan Utara",
        "0812-3456-7890",
        "Warung makan",
        "1.500.000",
        "BPU",
        "Baiq Nurul",
        "Istri",
        "",
        "",
    ]
    for header, value in cells.items():
        row[COLUMN[header]] = value
    return row


def read(**cells: Any) -> Any:
    return reader().read(good_row(**cells))


def problems_of(result: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in result.problems:
        found.setdefault(problem.column, []).append(problem.message)
    return found


# --- Headers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("NIK", "nik"),
        ("No. KTP", "nik"),
        ("NO KTP", "nik"),
        ("no_ktp", "nik"),
        ("Nama Lengkap", "full_name"),
        ("NAMA LENGKAP ", "full_name"),
        ("Tgl Lahir", "birth_date"),
        ("Tgl. Lahir", "birth_date"),
        ("Jenis Kelamin", "sex"),
        ("L/P", "sex"),
        ("No HP", "phone"),
        ("No. HP", "phone"),
        ("Kab/Kota", "regency"),
        ("Kabupaten/Kota", "regency"),
    ],
)
def test_headers_are_recognised_as_people_write_them(written, field):
    others = (
        ["Nama Lengkap", "Alamat", "Tempat Lahir"] if field == "nik" else ["NIK", "Alamat", "Tempat Lahir"]
    )
    _row, mapping = find_header([(1, [*others, written])])
    assert mapping[field] == 3


def test_each_header_of_a_typical_list_finds_its_field():
    _row, mapping = find_header([(1, HEADER)])
    assert mapping == {
        "nik": 1,
        "full_name": 2,
        "birth_place": 3,
        "birth_date": 4,
        "sex": 5,
        "address": 6,
        "regency": 7,
        "district": 8,
        "village": 9,
        "phone": 10,
        "occupation": 11,
        "monthly_income": 12,
        "kind": 13,
        "heir_name": 14,
        "heir_relation": 15,
        "monthly_wage": 16,
        "employer_nik": 17,
    }


def test_title_rows_above_the_header_are_skipped():
    rows: list[tuple[int, list[Any]]] = [
        (1, ["DAFTAR PENERIMA BPUM KOTA MATARAM TAHUN 2026"]),
        (2, []),
        (3, ["Dinas Koperasi dan UKM", None, "", "Nama"]),
        (4, HEADER),
        (5, good_row()),
    ]
    number, mapping = find_header(rows)
    assert number == 4
    assert mapping["nik"] == 1


def test_a_file_without_a_header_row_is_refused():
    with pytest.raises(LookupError):
        find_header([(1, ["a", "b", "c"]), (2, good_row())])


def test_a_remembered_mapping_wins_over_the_aliases():
    header = ["Nomor", "Nama", "Tgl Lahir", "Keterangan", "Kab/Kota"]
    # "Keterangan" means nothing to the aliases; "Nama" would be the full name; the office said otherwise.
    remembered = {"keterangan": "nik", "nama": "ignore", "nomor": "full_name"}
    _row, mapping = find_header([(1, header)], remembered)
    assert mapping["nik"] == 3
    assert mapping["full_name"] == 0
    assert mapping["birth_date"] == 2


# --- A good row -----------------------------------------------------------------------------------------


def test_a_good_row_gives_the_registry_values():
    result = read()
    assert result.problems == []
    assert result.nik == NIK
    values = result.values
    assert values["full_name"] == "Lalu Ahmad Zaini"
    assert values["birth_date"] == date(1985, 6, 15)
    assert values["sex"] == "L"
    assert (values["province_id"], values["regency_id"], values["district_id"], values["village_id"]) == (
        "52",
        "52.71",
        "52.71.01",
        "52.71.01.1001",
    )
    assert values["phone"] == "+6281234567890"
    assert (values["kind"], values["monthly_income"], values["monthly_wage"]) == ("bpu", 1_500_000, None)
    assert (values["heir_name"], values["heir_relation"]) == ("Baiq Nurul", "spouse")


def test_stray_spaces_and_capitals_are_tidied():
    result = read(
        **{
            "Nama Lengkap": "  LALU   AHMAD  zaini ",
            "L/P": " l ",
            "Jenis Peserta": " bpu ",
            "Kab/Kota": "  KOTA   MATARAM ",
            "Kecamatan": "AMPENAN ",
            "Desa/Kelurahan": " ampenan utara",
            "Hubungan Ahli Waris": "ISTRI",
        }
    )
    assert result.problems == []
    assert result.values["full_name"] == "LALU AHMAD zaini"
    assert result.values["name_search"] == "lalu ahmad zaini"
    assert (result.values["sex"], result.values["kind"], result.values["heir_relation"]) == (
        "L",
        "bpu",
        "spouse",
    )
    assert result.values["village_id"] == "52.71.01.1001"


# --- NIKs that Excel turned into numbers ----------------------------------------------------------------


def test_a_nik_excel_rounded_to_a_number_is_refused_with_the_fix():
    result = read(**{"No. KTP": 3201234567890120.0})
    problems = problems_of(result)
    assert list(problems) == ["No. KTP"]
    assert "Teks" in problems["No. KTP"][0]
    assert result.nik == ""


def test_a_nik_written_as_an_exact_number_by_a_program_is_accepted():
    assert read(**{"No. KTP": int(NIK)}).nik == NIK
    # A float that cannot have been rounded (below 2**53, last digit kept) is the same number.
    assert read(**{"No. KTP": float(NIK)}).nik == NIK


def test_a_nik_ending_in_zero_as_a_number_cell_is_not_trusted():
    assert "No. KTP" in problems_of(read(**{"No. KTP": 5271011506850010}))


@pytest.mark.parametrize("shown", ["3,20123E+15", "5.27101E+15", "5,27101e+15 "])
def test_a_nik_in_scientific_notation_says_so(shown):
    problems = problems_of(read(**{"No. KTP": shown}))
    assert list(problems) == ["No. KTP"]
    assert shown.strip() in problems["No. KTP"][0]
    assert "Teks" in problems["No. KTP"][0]


def test_a_nik_of_fifteen_digits_names_the_length():
    problems = problems_of(read(**{"No. KTP": NIK[:15]}))
    assert "15" in problems["No. KTP"][0]


# --- Dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        31213,  # an Excel serial number (a date cell read as a number)
        31213.0,
        "31213",
        "15/06/1985",
        "15-06-1985",
        "15.06.1985",
        "15-06-85",
        "15/06/85",
        "1985-06-15",
        "15 Juni 1985",
        "15 Jun 1985",
        date(1985, 6, 15),
        datetime(1985, 6, 15),
    ],
)
def test_dates_are_read_in_the_forms_people_write(written):
    result = read(**{"Tgl Lahir": written})
    assert result.problems == []
    assert result.values["birth_date"] == date(1985, 6, 15)


def test_twelve_mei_1980_is_read():
    assert read_birth_date("12 Mei 1980", TODAY) == date(1980, 5, 12)


def test_two_digit_years_are_in_the_past_century_when_this_one_would_be_the_future():
    assert read_birth_date("01-01-30", TODAY) == date(1930, 1, 1)
    assert read_birth_date("01/02/26", TODAY) == date(2026, 2, 1)
    assert read_birth_date("02/03/26", TODAY) == date(1926, 3, 2)


@pytest.mark.parametrize("written", ["31/02/1985", "30/13/1985", "00/01/1985", "kemarin", "29/02/1985"])
def test_impossible_dates_are_problems_quoting_the_cell(written):
    problems = problems_of(read(**{"Tgl Lahir": written}))
    assert written in problems["Tgl Lahir"][0]


def test_a_date_of_birth_in_the_future_is_a_problem():
    problems = problems_of(read(**{"Tgl Lahir": "01/01/2027"}))
    assert "01/01/2027" in problems["Tgl Lahir"][0]


# --- Phones ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0812 3456 7890", 81234567890]
)
def test_phones_in_every_local_form_become_one_number(written):
    result = read(**{"No HP": written})
    assert result.problems == []
    assert result.values["phone"] == "+6281234567890"


def test_a_phone_that_is_not_a_mobile_is_a_problem():
    problems = problems_of(read(**{"No HP": "12345"}))
    assert "12345" in problems["No HP"][0]


# --- Regions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regency", "district", "village", "expected"),
    [
        ("Kab. Lombok Barat", "Gerung", "Gerung Utara", "52.01"),
        ("Kabupaten Lombok Barat", "Kec. Gerung", "Desa Gerung Utara", "52.01"),
        ("Lombok Barat", "Gerung", "Gerung Utara", "52.01"),
        ("KOTA MATARAM", "Ampenan", "Ampenan Utara", "52.71"),
        ("Mataram", "Ampenan", "Ampenan Utara", "52.71"),
        ("52.71", "52.71.01", "52.71.01.1001", "52.71"),
        ("5271", "Ampenan", "Ampenan Utara", "52.71"),
        ("Kota Bima", "Rasanae Barat", "Paruga", "52.72"),
        ("Kabupaten Bima", "Woha", "Talabiu", "52.06"),
    ],
)
def test_region_names_and_codes_are_both_accepted(regency, district, village, expected):
    # The NIK is kept of Kota Mataram: a person may live elsewhere than where the e-KTP was issued.
    result = read(**{"Kab/Kota": regency, "Kecamatan": district, "Desa/Kelurahan": village})
    assert result.problems == []
    assert result.values["regency_id"] == expected
    assert result.values["village_id"].startswith(expected)


def test_bima_alone_could_be_the_regency_or_the_city_and_the_row_is_asked_which():
    problems = problems_of(read(**{"Kab/Kota": "Bima", "Kecamatan": "Woha", "Desa/Kelurahan": "Talabiu"}))
    assert list(problems) == ["Kab/Kota"]
    message = problems["Kab/Kota"][0]
    assert "Bima" in message
    assert "Kabupaten" in message
    assert "Kota" in message


def test_bima_alone_is_clear_to_an_office_that_only_serves_one_of_them():
    result = reader(allowed_regencies=frozenset({"52.72"})).read(
        good_row(**{"Kab/Kota": "Bima", "Kecamatan": "Rasanae Barat", "Desa/Kelurahan": "Paruga"})
    )
    assert result.problems == []
    assert result.values["regency_id"] == "52.72"


def test_an_unknown_regency_or_village_names_its_column():
    assert "Kab/Kota" in problems_of(read(**{"Kab/Kota": "Kota Atlantis"}))
    problems = problems_of(read(**{"Desa/Kelurahan": "Desa Tidak Ada"}))
    assert list(problems) == ["Desa/Kelurahan"]
    assert "Desa Tidak Ada" in problems["Desa/Kelurahan"][0]


def test_a_district_of_another_regency_is_refused():
    problems = problems_of(read(**{"Kecamatan": "Gerung"}))
    assert list(problems) == ["Kecamatan"]
    assert "Gerung" in problems["Kecamatan"][0]


def test_a_person_outside_the_users_area_is_refused():
    result = reader(allowed_regencies=frozenset({"52.01"})).read(good_row())
    problems = problems_of(result)
    assert list(problems) == ["Kab/Kota"]
    assert result.values["regency_id"] is None


def test_a_single_regency_office_needs_no_regency_column():
    header = [name for name in HEADER if name != "Kab/Kota"]
    row = [value for index, value in enumerate(good_row()) if index != COLUMN["Kab/Kota"]]
    result = reader(header, default_regency="52.71", allowed_regencies=frozenset({"52.71"})).read(row)
    assert result.problems == []
    assert result.values["regency_id"] == "52.71"


# --- The NIK against the row ----------------------------------------------------------------------------


def test_a_nik_disagreeing_with_the_birth_date_names_both_dates():
    problems = problems_of(read(**{"Tgl Lahir": "16/06/1985"}))
    assert list(problems) == ["No. KTP"]
    assert "150685" in problems["No. KTP"][0]
    assert "160685" in problems["No. KTP"][0]


def test_a_nik_disagreeing_with_the_sex_is_a_problem():
    problems = problems_of(read(**{"L/P": "P"}))
    assert list(problems) == ["No. KTP"]
    assert "55" in problems["No. KTP"][0]


def test_an_unknown_sex_quotes_the_cell():
    problems = problems_of(read(**{"L/P": "X"}))
    assert list(problems) == ["L/P"]
    assert "X" in problems["L/P"][0]


# --- Participant kinds ----------------------------------------------------------------------------------


def test_a_bpu_participant_needs_an_income():
    problems = problems_of(read(**{"Penghasilan": ""}))
    assert list(problems) == ["Penghasilan"]


def test_a_wage_earner_needs_a_wage_and_an_employer():
    problems = problems_of(read(**{"Jenis Peserta": "PU", "Penghasilan": ""}))
    assert set(problems) == {"Upah", "NIK Pemberi Kerja"}


def test_a_wage_earner_with_a_wage_and_a_registered_employer_is_accepted():
    result = read(**{"Jenis Peserta": "PU", "Upah": "2.500.000", "NIK Pemberi Kerja": "5271015203800002"})
    assert result.problems == []
    values = result.values
    assert (values["kind"], values["monthly_wage"], values["monthly_income"]) == ("pu", 2_500_000, None)
    assert values["employer_member_id"] == 77


def test_an_employer_not_in_the_registry_is_a_problem_of_its_column():
    problems = problems_of(read(**{"Jenis Peserta": "PU", "Upah": 2500000, "NIK Pemberi Kerja": NIK}))
    assert list(problems) == ["NIK Pemberi Kerja"]


@pytest.mark.parametrize("written", ["Rp 1.500.000", "1500000", "1.500.000,00", 1500000, 1500000.0])
def test_amounts_are_read_as_whole_rupiah(written):
    assert read(**{"Penghasilan": written}).values["monthly_income"] == 1_500_000


@pytest.mark.parametrize("written", [1e300, 10**40, "Rp 99.999.999.999.999.999.999", 1500000.5, -5])
def test_amounts_that_cannot_be_a_monthly_income_are_problems(written):
    result = read(**{"Penghasilan": written})
    assert "Penghasilan" in problems_of(result)
    assert not result.values["monthly_income"]


def test_read_amount_refuses_what_the_registry_cannot_hold():
    with pytest.raises(Exception):  # noqa: B017, PT011 - CellError, whatever its code
        read_amount(2**63)


# --- Messages -------------------------------------------------------------------------------------------


def test_every_problem_names_the_column_as_written_in_the_file_and_says_what_to_do():
    row = good_row(
        **{
            "No. KTP": "3,20123E+15",
            "Nama Lengkap": "",
            "Tgl Lahir": "31/02/1985",
            "L/P": "?",
            "Kab/Kota": "Kota Atlantis",
            "No HP": "123",
            "Penghasilan": "banyak",
            "Jenis Peserta": "lainnya",
            "Hubungan Ahli Waris": "tetangga",
        }
    )
    for language in ("en", "id"):
        with translation.override(language):
            result = reader().read(row)
        columns = {problem.column for problem in result.problems}
        assert columns == {
            "No. KTP",
            "Nama Lengkap",
            "Tgl Lahir",
            "L/P",
            "Kab/Kota",
            "No HP",
            "Penghasilan",
            "Jenis Peserta",
            "Hubungan Ahli Waris",
        }
        for problem in result.problems:
            # "<column>: <message>", the message a sentence with a fix after the colon or a verb to act on.
            assert str(problem).startswith(f"{problem.column}: ")
            assert len(problem.message) > 20, problem


# --- Never raises ---------------------------------------------------------------------------------------

cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.from_regex(r"[0-9 .,/\-+eE]{1,20}", fullmatch=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@PROPERTY
@given(st.lists(cells, min_size=0, max_size=len(HEADER) + 2), st.sampled_from(["en", "id"]))
def test_read_never_raises_on_any_cells_it_gives_problems_instead(row, language):
    with translation.override(language):
        result = reader().read(row)
    assert isinstance(result.problems, list)
    for problem in result.problems:
        assert problem.column
        assert problem.message
    if not result.problems:
        assert len(result.nik) == 16
        assert result.values["regency_id"]


@PROPERTY
@given(st.sampled_from(range(len(HEADER))), cells)
def test_one_odd_cell_in_a_good_row_never_raises_and_keeps_values_the_registry_can_hold(column, value):
    row = good_row()
    row[column] = value
    result = reader().read(row)
    for name in ("monthly_income", "monthly_wage"):
        amount = result.values.get(name)
        assert amount is None or 0 <= amount < 2**63
    assert len(result.values["name_search"]) <= 150
    assert all(len(token) <= 60 for token in result.values["name_tokens"])


def test_odd_python_values_are_problems_not_crashes():
    for value in (time(1, 2), timedelta(days=3), float("nan"), float("inf"), True, 2.0**60):
        for column in range(len(HEADER)):
            row = good_row()
            row[column] = value
            reader().read(row)
