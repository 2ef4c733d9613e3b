"""NIK rules (members/nik.py), without Django: run with `-p no:django`."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from members import nik
from members.nik import Issue, NikResult, RegionCatalog

ROOT = Path(__file__).resolve().parents[2]
CURRENT_EDITION = ROOT / "umkm_enroll" / "regions" / "data" / "wilayah.json.gz"
TODAY = date(2025, 6, 1)

REGIONS = RegionCatalog(
    provinces=frozenset({"52", "71", "91", "93"}),
    regencies=frozenset({"52.71", "71.71", "93.01"}),
    retired_regencies=frozenset({"91.01"}),
)
REGIONS_WITH_REPLACEMENTS = RegionCatalog(
    provinces=REGIONS.provinces,
    regencies=REGIONS.regencies,
    retired_regencies=REGIONS.retired_regencies,
    replaced_by={"91.01": "93.01"},
)
# No example database: runs stay reproducible and leave nothing behind in the tree.
PROPERTY = settings(database=None, max_examples=300, deadline=None)


@pytest.fixture
def regions() -> RegionCatalog:
    return REGIONS


def parse(raw: str, today: date = TODAY, regions: RegionCatalog = REGIONS) -> NikResult:
    return nik.parse(raw, regions=regions, today=today)


def codes(issues: tuple[Issue, ...]) -> list[str]:
    return [issue.code for issue in issues]


def info_of(raw: str, today: date = TODAY) -> nik.NikInfo:
    info = parse(raw, today=today).info
    assert info is not None, parse(raw, today=today).issues
    return info


# --- examples --------------------------------------------------------------------------------------------


def test_a_valid_male_nik_is_read_field_by_field():
    result = parse("5271010408900001")

    assert result.ok
    assert result.issues == ()
    assert result.info == nik.NikInfo(
        nik="5271010408900001",
        province_code="52",
        regency_code="52.71",
        district_code="52.71.01",
        birth_date=date(1990, 8, 4),
        sex="L",
        serial="0001",
    )


def test_a_woman_has_forty_added_to_the_day():
    result = parse("5271014408900002")

    assert result.ok
    assert result.info is not None
    assert result.info.birth_date == date(1990, 8, 4)
    assert result.info.sex == "P"


def test_the_last_day_for_women_is_71_and_72_is_not_a_day():
    assert parse("5271017101900001").info is not None
    assert codes(parse("5271017201900001").issues) == ["date_invalid"]


@pytest.mark.parametrize("day", ["00", "32", "40"])
def test_days_outside_both_ranges_are_not_a_date(day):
    result = parse(f"527101{day}08900001")

    assert codes(result.issues) == ["date_invalid"]
    assert result.errors[0].params == {"digits": f"{day}0890"}


@pytest.mark.parametrize(
    "typed",
    [
        "5271 0104 0890 0001",
        "52.71.01.040890.0001",
        "52-71-01-040890-0001",
        " 5271010408900001\n",
        "'5271010408900001",
        "\u20195271010408900001",
        "5271\u00a001\u201304089000\u200b01",
    ],
)
def test_what_people_type_around_the_digits_is_stripped(typed):
    result = parse(typed)

    assert result.nik == "5271010408900001"
    assert result.ok


def test_normalize_does_not_validate():
    assert nik.normalize(" 12-ab.3 ") == "12ab3"
    assert nik.normalize("") == ""
    assert nik.normalize("12'34") == "12'34"


def test_an_empty_value_is_an_error():
    assert codes(parse(" - . ").issues) == ["empty"]


@pytest.mark.parametrize(("raw", "length"), [("527101040890001", "15"), ("52710104089000001", "17")])
def test_fifteen_or_seventeen_digits_is_a_length_error(raw, length):
    result = parse(raw)

    assert result.info is None
    assert result.errors == (Issue("length", "error", {"length": length}),)


def test_letters_are_named_once_each():
    result = parse("52710104O89OOOO1")

    assert result.errors == (Issue("not_digits", "error", {"chars": "O"}),)
    assert parse("5271x104y8900001").errors[0].params == {"chars": "xy"}


def test_province_00_is_unknown(regions):
    result = parse("0071010408900001", regions=regions)

    assert result.errors == (Issue("province_unknown", "error", {"code": "00"}),)
    assert result.info is None


def test_a_regency_that_neither_exists_nor_existed_is_an_error(regions):
    result = parse("5299010408900001", regions=regions)

    assert result.errors == (Issue("regency_unknown", "error", {"code": "52.99"}),)


def test_a_retired_regency_code_gives_a_warning_only(regions):
    result = parse("9101010408900001", regions=regions)

    assert result.ok
    assert result.errors == ()
    assert result.warnings == (Issue("regency_retired", "warning", {"code": "91.01"}),)
    assert result.info is not None
    assert result.info.regency_code == "91.01"


def test_the_warning_names_the_new_code_when_the_catalog_knows_it():
    result = parse("9101010408900001", regions=REGIONS_WITH_REPLACEMENTS)

    assert result.warnings[0].params == {"code": "91.01", "replaced_by": "93.01"}


def test_a_current_regency_in_a_new_province_passes(regions):
    assert parse("9301010408900001", regions=regions).ok


def test_a_retired_code_that_the_catalog_does_not_list_is_unknown(regions):
    # 91.02 (Jayawijaya, now 95.01) is retired in reality but not in this small catalog.
    assert parse("9102010408900001", regions=regions).errors == (
        Issue("regency_unknown", "error", {"code": "91.02"}),
    )


def test_31_february_is_not_a_date():
    result = parse("5271013102900001")

    assert result.errors == (Issue("date_invalid", "error", {"digits": "310290"}),)


def test_29_february_2000_is_a_date():
    result = parse("5271012902000001")

    assert result.info is not None
    assert result.info.birth_date == date(2000, 2, 29)


def test_29_february_00_reads_as_2000_because_1900_was_not_a_leap_year():
    # Before 29 February 2000, 2000 is in the future and 1900-02-29 does not exist.
    result = parse("5271012902000001", today=date(2000, 2, 28))

    assert result.errors == (Issue("birth_future", "error", {"date": "2000-02-29"}),)
    assert parse("5271012902000001", today=date(2000, 2, 29)).ok


def test_29_february_in_a_common_year_is_invalid_in_both_centuries():
    assert codes(parse("5271012902010001").issues) == ["date_invalid"]


def test_a_year_not_yet_reached_this_century_reads_as_last_century():
    result = parse("5271010106250001", today=date(2025, 5, 31))

    assert result.info is not None
    assert result.info.birth_date == date(1925, 6, 1)
    assert info_of("5271010106250001", today=date(2025, 6, 1)).birth_date == date(2025, 6, 1)


def test_a_birth_date_in_the_future_is_an_error():
    result = parse("5271010101600001", today=date(1950, 1, 1))

    assert result.errors == (Issue("birth_future", "error", {"date": "1960-01-01"}),)
    assert result.info is None


def test_serial_0000_is_an_error():
    result = parse("5271010408900000")

    assert result.errors == (Issue("serial_zero", "error", {}),)


def test_all_structural_errors_are_reported_together():
    result = parse("0071013102900000")

    assert codes(result.errors) == ["province_unknown", "date_invalid", "serial_zero"]


def test_expected_date_digits_add_forty_for_women():
    assert nik.expected_date_digits(date(1990, 8, 4), "L") == "040890"
    assert nik.expected_date_digits(date(1990, 8, 4), "P") == "440890"
    assert nik.expected_date_digits(date(2005, 12, 31), "P") == "711205"
    with pytest.raises(ValueError, match="'L' or 'P'"):
        nik.expected_date_digits(date(1990, 8, 4), "M")


def test_a_nik_that_agrees_with_the_form_gives_no_issue():
    info = info_of("5271014408900002")

    assert nik.check_against(info, birth_date=date(1990, 8, 4), sex="P") == ()
    assert nik.check_against(info, birth_date=None, sex=None) == ()


def test_a_wrong_sex_names_digits_7_8_and_the_day_they_should_have():
    # The NIK says a woman born 4 August 1990; the form says a man born that day.
    info = info_of("5271014408900002")

    issues = nik.check_against(info, birth_date=date(1990, 8, 4), sex="L")

    assert issues == (
        Issue(
            "sex_mismatch",
            "error",
            {"digits": "7-8", "found": "44", "expected": "04", "nik_sex": "P", "stated_sex": "L"},
        ),
    )


def test_a_wrong_sex_without_a_birth_date_is_still_found():
    info = info_of("5271010408900001")

    issues = nik.check_against(info, birth_date=None, sex="P")

    assert issues[0].code == "sex_mismatch"
    assert issues[0].params["expected"] == "44"


def test_a_wrong_birth_date_names_the_digits_and_what_they_should_be():
    info = info_of("5271014408900002")

    issues = nik.check_against(info, birth_date=date(1991, 9, 4), sex="P")

    assert issues == (
        Issue(
            "birth_mismatch",
            "error",
            {
                "digits": "7-12",
                "found": "440890",
                "expected": "440991",
                "differing": "9-12",
                "parts": "month,year",
            },
        ),
    )


def test_a_wrong_day_and_year_are_named_as_two_ranges():
    info = info_of("5271010408900001")

    (issue,) = nik.check_against(info, birth_date=date(1991, 8, 5), sex="L")

    assert issue.params["differing"] == "7-8, 11-12"
    assert issue.params["parts"] == "day,year"


def test_a_wrong_date_and_sex_together_is_a_birth_mismatch_with_the_women_day():
    info = info_of("5271010408900001")

    (issue,) = nik.check_against(info, birth_date=date(1990, 8, 5), sex="P")

    assert issue.code == "birth_mismatch"
    assert issue.params["expected"] == "450890"
    assert issue.params["differing"] == "7-8"


def test_without_a_stated_sex_the_date_is_compared_with_the_nik_sex():
    info = info_of("5271014408900002")

    assert nik.check_against(info, birth_date=date(1990, 8, 4), sex=None) == ()
    (issue,) = nik.check_against(info, birth_date=date(1990, 8, 5), sex=None)
    assert issue.params["expected"] == "450890"


def test_the_century_does_not_matter_when_comparing_digits():
    info = info_of("5271010101250001")  # read as 2025-01-01

    assert nik.check_against(info, birth_date=date(1925, 1, 1), sex="L") == ()


def test_an_unknown_sex_code_is_a_programming_error():
    with pytest.raises(ValueError, match="'L' or 'P'"):
        nik.check_against(info_of("5271010408900001"), birth_date=None, sex="X")


def test_mask_keeps_the_region_and_the_last_four_digits():
    assert nik.mask("5271014408900002") == "527101******0002"
    assert nik.mask("5271 0144 0890 0002") == "527101******0002"


@pytest.mark.parametrize("value", ["527101440890002", "52710144089000021", "52710144089O0002", "1234"])
def test_mask_hides_a_malformed_value_entirely(value):
    assert nik.mask(value) == "*" * len(value)


# --- retired regencies data ----------------------------------------------------------------------------


def test_the_vendored_retired_list_loads():
    retired = nik.load_retired_regencies(nik.RETIRED_REGENCIES_CSV)
    replacements = nik.load_retired_replacements(nik.RETIRED_REGENCIES_CSV)

    assert len(retired) == 26
    assert {"91.01", "91.02", "92.01", "92.71"} <= retired
    assert set(replacements) == retired
    assert replacements["91.01"] == "93.01"
    assert replacements["92.71"] == "96.71"


def test_retired_codes_are_gone_from_the_current_edition_and_their_replacements_exist():
    current = json.loads(gzip.decompress(CURRENT_EDITION.read_bytes()))
    replacements = nik.load_retired_replacements(nik.RETIRED_REGENCIES_CSV)

    def bare(name: str) -> str:
        return name.removeprefix("Kabupaten ").replace(" ", "").lower()

    names = {row["code"]: row["name"] for row in _csv_rows(nik.RETIRED_REGENCIES_CSV)}
    for old, new in replacements.items():
        assert old not in current, old
        assert new in current, new
        assert bare(current[new]) == bare(names[old]), (old, new)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_malformed_retired_file_is_refused(tmp_path):
    path = tmp_path / "retired.csv"
    path.write_text("code,name,replaced_by,basis\n9101,Merauke,93.01,UU 14/2022\n", encoding="utf-8")

    with pytest.raises(ValueError, match="line 2"):
        nik.load_retired_regencies(path)

    path.write_text("kode,nama\n91.01,Merauke\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        nik.load_retired_regencies(path)


def test_a_retired_row_without_replacement_is_allowed(tmp_path):
    path = tmp_path / "retired.csv"
    path.write_text("code,name,replaced_by,basis\n64.05,Bulungan,,UU 20/2012\n", encoding="utf-8")

    assert nik.load_retired_regencies(path) == frozenset({"64.05"})
    assert nik.load_retired_replacements(path) == {}


# --- properties ----------------------------------------------------------------------------------------

sexes = st.sampled_from(["L", "P"])
past_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
current_regencies = st.sampled_from(sorted(REGIONS.regencies))
districts = st.integers(min_value=1, max_value=99).map("{:02d}".format)
serials = st.integers(min_value=1, max_value=9999).map("{:04d}".format)


def build(regency: str, district: str, birth_date: date, sex: str, serial: str) -> str:
    return regency.replace(".", "") + district + nik.expected_date_digits(birth_date, sex) + serial


def century_rule(birth_date: date, today: date) -> date:
    """The reading the rule demands: 20YY if that date exists and is not after today, else 19YY."""
    yy = birth_date.year % 100
    try:
        this_century = birth_date.replace(year=2000 + yy)
    except ValueError:
        this_century = None
    if this_century is not None and this_century <= today:
        return this_century
    return birth_date.replace(year=1900 + yy)


@PROPERTY
@given(current_regencies, districts, past_dates, sexes, serials)
def test_any_real_past_birth_date_and_sex_round_trip(regency, district, birth_date, sex, serial):
    number = build(regency, district, birth_date, sex, serial)

    result = parse(number)

    assert result.ok, result.issues
    assert result.info is not None
    assert result.info.sex == sex
    assert result.info.regency_code == regency
    assert result.info.district_code == f"{regency}.{district}"
    assert result.info.serial == serial
    assert result.info.birth_date == century_rule(birth_date, TODAY)
    assert result.info.birth_date <= TODAY
    if birth_date.year >= 2000:
        assert result.info.birth_date == birth_date


separator_text = st.lists(
    st.one_of(
        st.sampled_from(list("0123456789")),
        st.sampled_from([" ", ".", "-", "'", "\u00a0", "\u2013", "\t", "a", "\u2019"]),
    ),
    max_size=24,
).map("".join)


@PROPERTY
@given(st.one_of(st.text(max_size=24), separator_text))
def test_normalize_is_idempotent_and_parse_normalizes(raw):
    once = nik.normalize(raw)

    assert nik.normalize(once) == once
    assert parse(once) == parse(raw)


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=16, max_size=16), past_dates)
def test_any_sixteen_digits_parse_with_info_or_with_an_error(number, today):
    result = parse(number, today=today)

    if result.info is None:
        assert result.errors
    else:
        assert result.errors == ()
        assert result.info.birth_date <= today
    assert result.ok == (result.info is not None)
    assert set(codes(result.errors)) <= nik.ERROR_CODES
    assert set(codes(result.warnings)) <= nik.WARNING_CODES


@PROPERTY
@given(current_regencies, past_dates, sexes, past_dates)
def test_check_against_agrees_with_itself_and_names_the_expected_digits(regency, birth_date, sex, other):
    info = parse(build(regency, "01", birth_date, sex, "0001")).info
    assert info is not None

    assert nik.check_against(info, birth_date=info.birth_date, sex=info.sex) == ()
    assert nik.check_against(info, birth_date=birth_date, sex=sex) == ()

    assume(nik.expected_date_digits(other, sex) != nik.expected_date_digits(birth_date, sex))
    (issue,) = nik.check_against(info, birth_date=other, sex=sex)
    assert issue.code == "birth_mismatch"
    assert issue.params["found"] == nik.expected_date_digits(birth_date, sex)
    assert issue.params["expected"] == nik.expected_date_digits(other, sex)


@PROPERTY
@given(current_regencies, past_dates, sexes)
def test_the_other_sex_on_the_same_date_is_a_sex_mismatch(regency, birth_date, sex):
    info = parse(build(regency, "01", birth_date, sex, "0001")).info
    assert info is not None
    other_sex = "P" if sex == "L" else "L"

    (issue,) = nik.check_against(info, birth_date=birth_date, sex=other_sex)

    assert issue.code == "sex_mismatch"
    assert issue.params["expected"] == nik.expected_date_digits(birth_date, other_sex)[:2]


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_mask_shows_ten_digits_and_keeps_the_length(number):
    masked = nik.mask(number)

    assert len(masked) == 16
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert masked[6:12] == "******"


def test_yesterday_is_a_valid_birth_date_and_tomorrow_rolls_back_a_century():
    yesterday = TODAY - timedelta(days=1)
    tomorrow = TODAY + timedelta(days=1)

    assert info_of(build("52.71", "01", yesterday, "L", "0001")).birth_date == yesterday
    assert info_of(build("52.71", "01", tomorrow, "L", "0001")).birth_date == tomorrow.replace(year=1925)
