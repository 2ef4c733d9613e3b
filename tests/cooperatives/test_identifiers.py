import pytest
from hypothesis import given
from hypothesis import strategies as st

from cooperatives.identifiers import normalize_ahu_number, normalize_nik_koperasi


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", ""),
        ("  ", ""),
        ("5271010010001", "5271010010001"),
        (" 5271.0100.1000.1 ", "5271.0100.1000.1"),
        ("5271 0100 1000 1234", "5271010010001234"),
        ("52-71-01-00-10001", "52-71-01-00-10001"),
    ],
)
def test_a_nik_koperasi_keeps_its_digits_dots_and_dashes(raw, stored):
    assert normalize_nik_koperasi(raw) == stored


@pytest.mark.parametrize(
    "raw", ["123456789", "1" * 21, "NIK5271010010001", ".527101001000", "5271010010001-"]
)
def test_a_nik_koperasi_of_another_shape_is_refused(raw):
    with pytest.raises(ValueError):  # noqa: PT011
        normalize_nik_koperasi(raw)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", ""),
        ("AHU-0001234.AH.01.26.TAHUN 2019", "AHU-0001234.AH.01.26.TAHUN 2019"),
        (" ahu-0001234.ah.01.26.tahun   2019 ", "AHU-0001234.AH.01.26.TAHUN 2019"),
        ("Ahu-12/BH/XXII/2015", "AHU-12/BH/XXII/2015"),
    ],
)
def test_an_ahu_number_is_stored_in_capitals_with_single_spaces(raw, stored):
    assert normalize_ahu_number(raw) == stored


@pytest.mark.parametrize("raw", ["0001234.AH.01.26.TAHUN 2019", "AHU0001234", "AHU-", "AHU- 123", "SK-AHU-1"])
def test_an_ahu_number_must_start_with_the_prefix(raw):
    with pytest.raises(ValueError):  # noqa: PT011
        normalize_ahu_number(raw)


@given(raw=st.text(max_size=30))
def test_normalizing_a_nik_koperasi_is_idempotent_or_refused(raw):
    try:
        stored = normalize_nik_koperasi(raw)
    except ValueError:
        return
    assert normalize_nik_koperasi(stored) == stored
    assert stored == "" or 10 <= len(stored) <= 20


@given(raw=st.text(max_size=40))
def test_normalizing_an_ahu_number_is_idempotent_or_refused(raw):
    try:
        stored = normalize_ahu_number(raw)
    except ValueError:
        return
    assert normalize_ahu_number(stored) == stored
    assert stored == "" or stored.startswith("AHU-")
