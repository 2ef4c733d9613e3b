import pytest
from hypothesis import given
from hypothesis import strategies as st

from umkm_enroll.web.phone import is_e164_mobile, normalize_phone

# The national number after the trunk 0: 8, a non-zero operator digit, then 7 to 10 digits.
national_mobiles = st.builds(
    lambda operator, rest: f"8{operator}{rest}",
    st.sampled_from("123456789"),
    st.text(alphabet="0123456789", min_size=7, max_size=10),
)
separators = st.sampled_from(["", " ", "-", ".", " - "])


def written(national: str, prefix: str, separator: str) -> str:
    """The number as people type it: a prefix, then groups of four digits."""
    groups = [national[i : i + 4] for i in range(0, len(national), 4)]
    return prefix + separator.join(groups)


@pytest.mark.parametrize(
    "raw",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "+62 (0)812 3456 7890"],
)
def test_the_ways_people_write_a_mobile_number_are_stored_the_same(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0812",
        "0370 123456",
        "+1 415 555 0100",
        "08123456789012345",
        "0812-abc-7890",
        "٠٨١٢٣٤٥٦٧٨٩",
    ],
)
def test_what_is_not_an_indonesian_mobile_number_is_refused(raw):
    with pytest.raises(ValueError):  # noqa: PT011
        normalize_phone(raw)


@given(national=national_mobiles, prefix=st.sampled_from(["0", "62", "+62", "+62 ", "+620"]), sep=separators)
def test_every_written_form_normalizes_to_one_e164_number(national, prefix, sep):
    assert normalize_phone(written(national, prefix, sep)) == f"+62{national}"


@given(national=national_mobiles)
def test_normalizing_twice_changes_nothing(national):
    once = normalize_phone(f"0{national}")
    assert normalize_phone(once) == once
    assert is_e164_mobile(once)


@given(raw=st.text(max_size=25))
def test_any_text_either_normalizes_to_e164_or_raises_value_error(raw):
    try:
        result = normalize_phone(raw)
    except ValueError:
        return
    assert is_e164_mobile(result)
