"""The tariff arithmetic (contributions/tariffs.py), tested without Django: the brief's worked examples are
the tests, plus properties of rounding and splitting."""

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contributions.tariffs import (
    BPU_NATIONAL,
    DEFAULT_FLAT,
    NTB_2021,
    PP_49_2020,
    PP_50_2025,
    PU_NATIONAL,
    TariffError,
    contribution,
    due_date,
    gross,
    income_bracket,
    late_fee,
    round_up,
    split,
)

BRACKETS = [1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000]
UMP_NTB_2021 = 2_183_883


def test_ntb_2021_is_rp_11800():
    result = contribution(
        NTB_2021, month=date(2021, 9, 1), kind="bpu", payer="sponsor", minimum_wage=UMP_NTB_2021
    )
    assert result.total == 11_800
    assert result.jkm == 6_552  # 0.30% of Rp 2.183.883 = Rp 6.551,65
    assert result.jkk == 5_248  # 0.24% = Rp 5.241,32, plus the rounding up to the next Rp 100


def test_the_lowest_bpu_bracket_is_rp_16800():
    result = contribution(
        BPU_NATIONAL, month=date(2025, 5, 1), kind="bpu", payer="self", income=1_000_000, brackets=BRACKETS
    )
    assert (result.jkk, result.jkm, result.total) == (10_000, 6_800, 16_800)


def test_an_income_below_the_lowest_bracket_pays_the_lowest_and_others_their_bracket():
    assert income_bracket(750_000, BRACKETS) == 1_000_000
    assert income_bracket(1_750_000, BRACKETS) == 1_500_000
    assert income_bracket(9_000_000, BRACKETS) == 3_000_000


def test_the_default_scheme_is_flat_rp_11800():
    result = contribution(DEFAULT_FLAT, month=date(2026, 11, 1), kind="bpu", payer="sponsor")
    assert (result.jkk, result.jkm, result.total) == (5_000, 6_800, 11_800)


@pytest.mark.parametrize(
    ("risk_class", "jkk"),
    [("very_low", 9_600), ("low", 21_600), ("medium", 35_600), ("high", 50_800), ("very_high", 69_600)],
)
def test_pu_jkk_follows_the_risk_class_and_jkm_is_030_percent(risk_class, jkk):
    result = contribution(
        PU_NATIONAL,
        month=date(2026, 3, 1),
        kind="pu",
        payer="employer",
        risk_class=risk_class,
        wage=4_000_000,
    )
    assert result.jkk == jkk
    assert result.jkm == 12_000


def test_pp_50_2025_halves_bpu_from_april_to_december_2026_but_not_for_apbd():
    kwargs: dict[str, Any] = {
        "kind": "bpu",
        "income": 1_000_000,
        "brackets": BRACKETS,
        "reliefs": [PP_50_2025],
    }
    assert contribution(BPU_NATIONAL, month=date(2026, 3, 1), payer="self", **kwargs).total == 16_800
    relieved = contribution(BPU_NATIONAL, month=date(2026, 4, 1), payer="self", **kwargs)
    assert (relieved.relief, relieved.total, relieved.relief_name) == (8_400, 8_400, "PP 50/2025")
    assert contribution(BPU_NATIONAL, month=date(2026, 12, 1), payer="bank", **kwargs).total == 8_400
    assert contribution(BPU_NATIONAL, month=date(2027, 1, 1), payer="self", **kwargs).total == 16_800
    assert contribution(BPU_NATIONAL, month=date(2026, 6, 1), payer="sponsor", **kwargs).total == 16_800
    pu = contribution(
        PU_NATIONAL,
        month=date(2026, 6, 1),
        kind="pu",
        payer="employer",
        risk_class="low",
        wage=4_000_000,
        reliefs=[PP_50_2025],
    )
    assert pu.relief == 0


def test_pp_49_2020_cut_99_percent_from_august_2020_to_january_2021():
    kwargs: dict[str, Any] = {
        "kind": "bpu",
        "payer": "self",
        "income": 1_000_000,
        "brackets": BRACKETS,
        "reliefs": [PP_49_2020],
    }
    assert contribution(BPU_NATIONAL, month=date(2020, 7, 1), **kwargs).total == 16_800
    assert contribution(BPU_NATIONAL, month=date(2020, 8, 1), **kwargs).total == 168
    assert contribution(BPU_NATIONAL, month=date(2021, 1, 1), **kwargs).total == 168
    assert contribution(BPU_NATIONAL, month=date(2021, 2, 1), **kwargs).total == 16_800


def test_a_scheme_outside_its_validity_or_without_inputs_is_refused():
    with pytest.raises(TariffError):
        contribution(NTB_2021, month=date(2022, 1, 1), kind="bpu", payer="self", minimum_wage=UMP_NTB_2021)
    with pytest.raises(TariffError):
        gross(PU_NATIONAL, risk_class="very_low")
    with pytest.raises(TariffError):
        gross(PU_NATIONAL, risk_class="unknown", wage=3_000_000)


def test_due_dates_bpu_this_month_pu_next_month():
    assert due_date(date(2026, 11, 1), "bpu") == date(2026, 11, 15)
    assert due_date(date(2026, 11, 1), "pu") == date(2026, 12, 15)
    assert due_date(date(2026, 12, 1), "pu") == date(2027, 1, 15)


def test_pu_pays_2_percent_a_month_late_bpu_nothing():
    due = date(2026, 12, 15)
    assert late_fee(100_000, due=due, paid_on=due, kind="pu") == 0
    assert late_fee(100_000, due=due, paid_on=date(2026, 12, 16), kind="pu") == 2_000
    assert late_fee(100_000, due=due, paid_on=date(2027, 2, 15), kind="pu") == 4_000
    assert late_fee(100_000, due=due, paid_on=date(2027, 2, 16), kind="pu") == 6_000
    assert late_fee(100_000, due=due, paid_on=date(2027, 6, 1), kind="bpu") == 0


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=100))
def test_a_split_always_adds_up_to_the_total(total, percent):
    sponsor, participant = split(total, percent)
    assert sponsor + participant == total
    assert sponsor >= 0
    assert participant >= 0


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from([1, 10, 100, 1000]),
)
def test_rounding_up_reaches_the_next_unit_and_no_further(numerator, denominator, unit):
    amount = Fraction(numerator, denominator)
    rounded = round_up(amount, unit)
    assert rounded % unit == 0
    assert amount <= rounded < amount + unit


@given(
    base=st.integers(min_value=1_000_000, max_value=50_000_000),
    risk=st.sampled_from(["very_low", "low", "medium", "high", "very_high"]),
)
def test_a_pu_contribution_is_within_one_rupiah_of_the_exact_rates(base, risk):
    result = gross(PU_NATIONAL, risk_class=risk, wage=base)
    exact = Fraction(base * (PU_NATIONAL.jkk_rates[risk] + 30), 10_000)
    assert exact <= result.total < exact + 1
