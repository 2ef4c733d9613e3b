"""Contribution arithmetic: plain Python, no Django, integer rupiah.

A scheme says how one month's contribution of one participant is computed:

- flat: one amount for the whole JKK + JKM package (the default: Rp 11.800 a month);
- rates times a base: the base is the BPU income bracket of the declared income, the reported PU wage, or
  the provincial minimum wage (UMP) of the year; JKK at a rate (for PU, by the risk class of the work), JKM
  at a rate or a flat amount; the total rounded up to a unit (e.g. the next Rp 100).

Rates are in basis points (hundredths of a percent), so 0.24% is 24 and 1% is 100: all arithmetic is
exact on integers and fractions, never floats. Relief (PP 49/2020, PP 50/2025) cuts a percentage of the
rounded amounts for a range of contribution months, for some participant kinds, except for some payers;
its result is rounded to the whole rupiah, half up.

Worked examples (the brief): NTB 2021, JKK 0.24% + JKM 0.30% of the NTB UMP 2021 (Rp 2.183.883) =
Rp 11.792,97, rounded up to the next Rp 100 = Rp 11.800. The lowest BPU bracket (Rp 1.000.000): JKK 1% =
Rp 10.000 plus JKM Rp 6.800 = Rp 16.800.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

BASIS = 10_000  # basis points in a whole: 100% = 10.000

FLAT = "flat"
RATES = "rates"

BASE_INCOME_BRACKET = "income_bracket"
BASE_WAGE = "wage"
BASE_MINIMUM_WAGE = "minimum_wage"

BPU = "bpu"
PU = "pu"


class TariffError(ValueError):
    """The inputs do not allow a contribution to be computed (a missing wage, an unknown risk class)."""


def month_start(day: date) -> date:
    return day.replace(day=1)


def round_up(amount: Fraction, unit: int) -> int:
    """The smallest multiple of `unit` that is >= amount."""
    units = -((-amount.numerator * 1) // (amount.denominator * unit))
    return int(units * unit)


def round_half_up(amount: Fraction) -> int:
    return int((amount * 2 + 1) // 2)


@dataclass(frozen=True)
class Scheme:
    code: str
    valid_from: date
    valid_to: date | None = None
    method: str = FLAT
    flat_amount: int = 0
    base: str = BASE_INCOME_BRACKET
    # JKK rate in basis points, by risk class for PU ("" for BPU: one rate for everyone).
    jkk_rates: Mapping[str, int] = field(default_factory=dict)
    jkm_rate: int | None = None
    jkm_flat: int | None = None
    rounding_unit: int = 1

    def covers(self, month: date) -> bool:
        month = month_start(month)
        return self.valid_from <= month and (self.valid_to is None or month <= self.valid_to)


@dataclass(frozen=True)
class Relief:
    """A percentage cut of JKK and JKM for contribution months first_month..last_month (inclusive)."""

    name: str
    percent: int
    first_month: date
    last_month: date
    kinds: frozenset[str] = frozenset({BPU, PU})
    excluded_payers: frozenset[str] = frozenset()

    def applies(self, *, month: date, kind: str, payer: str) -> bool:
        month = month_start(month)
        return (
            self.first_month <= month <= self.last_month
            and kind in self.kinds
            and payer not in self.excluded_payers
        )


@dataclass(frozen=True)
class Contribution:
    jkk: int
    jkm: int
    relief: int = 0
    relief_name: str = ""

    @property
    def total(self) -> int:
        return self.jkk + self.jkm - self.relief


def income_bracket(income: int, brackets: Sequence[int]) -> int:
    """The bracket of a declared BPU income: the highest bracket not above the income, or the lowest
    bracket when the income is below all of them (contributions are never computed on less)."""
    if not brackets:
        raise TariffError("no income brackets")
    ordered = sorted(brackets)
    chosen = ordered[0]
    for bracket in ordered:
        if bracket <= income:
            chosen = bracket
    return chosen


def base_amount(
    scheme: Scheme,
    *,
    income: int | None = None,
    wage: int | None = None,
    minimum_wage: int | None = None,
    brackets: Sequence[int] = (),
) -> int:
    if scheme.base == BASE_INCOME_BRACKET:
        if income is None:
            raise TariffError("a declared income is needed")
        return income_bracket(income, brackets)
    if scheme.base == BASE_WAGE:
        if not wage:
            raise TariffError("a wage is needed")
        return wage
    if scheme.base == BASE_MINIMUM_WAGE:
        if not minimum_wage:
            raise TariffError("the provincial minimum wage of the year is needed")
        return minimum_wage
    raise TariffError(f"unknown base {scheme.base!r}")


def gross(
    scheme: Scheme,
    *,
    risk_class: str = "",
    income: int | None = None,
    wage: int | None = None,
    minimum_wage: int | None = None,
    brackets: Sequence[int] = (),
) -> Contribution:
    """One month's JKK and JKM before relief, rounded as the scheme says."""
    if scheme.method == FLAT:
        # A flat package: JKM's share is its flat amount when the scheme names one, JKK the rest.
        flat_jkm = min(scheme.jkm_flat or 0, scheme.flat_amount)
        return Contribution(jkk=scheme.flat_amount - flat_jkm, jkm=flat_jkm)
    base = base_amount(scheme, income=income, wage=wage, minimum_wage=minimum_wage, brackets=brackets)
    rate = scheme.jkk_rates.get(risk_class, scheme.jkk_rates.get(""))
    if rate is None:
        raise TariffError(f"no JKK rate for the risk class {risk_class!r}")
    jkk: Fraction = Fraction(base * rate, BASIS)
    if scheme.jkm_flat is not None:
        jkm = Fraction(scheme.jkm_flat)
    elif scheme.jkm_rate is not None:
        jkm = Fraction(base * scheme.jkm_rate, BASIS)
    else:
        raise TariffError("the scheme names neither a JKM rate nor a JKM amount")
    total = round_up(jkk + jkm, scheme.rounding_unit)
    # The rounding goes to JKK; JKM keeps its own amount rounded to the rupiah.
    jkm_whole = min(round_half_up(jkm), total)
    return Contribution(jkk=total - jkm_whole, jkm=jkm_whole)


def contribution(
    scheme: Scheme,
    *,
    month: date,
    kind: str,
    payer: str,
    reliefs: Iterable[Relief] = (),
    risk_class: str = "",
    income: int | None = None,
    wage: int | None = None,
    minimum_wage: int | None = None,
    brackets: Sequence[int] = (),
) -> Contribution:
    """What one participant owes for one contribution month, after relief."""
    if not scheme.covers(month):
        raise TariffError(f"the scheme {scheme.code} does not cover {month:%Y-%m}")
    amounts = gross(
        scheme, risk_class=risk_class, income=income, wage=wage, minimum_wage=minimum_wage, brackets=brackets
    )
    for relief in reliefs:
        if relief.applies(month=month, kind=kind, payer=payer):
            cut = round_half_up(Fraction((amounts.jkk + amounts.jkm) * relief.percent, 100))
            return Contribution(jkk=amounts.jkk, jkm=amounts.jkm, relief=cut, relief_name=relief.name)
    return amounts


def split(total: int, sponsor_percent: int) -> tuple[int, int]:
    """(sponsor share, participant share) of a total: the sponsor's share rounded half up, the rest to the
    participant, so the two always add up to the total."""
    if not 0 <= sponsor_percent <= 100:
        raise TariffError("a share is between 0 and 100 percent")
    sponsor = round_half_up(Fraction(total * sponsor_percent, 100))
    return sponsor, total - sponsor


def due_date(month: date, kind: str) -> date:
    """BPU: the 15th of the contribution month itself; PU: the 15th of the following month."""
    month = month_start(month)
    if kind == BPU:
        return month.replace(day=15)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following.replace(day=15)


def months_late(due: date, paid_on: date) -> int:
    """Whole or started months after the due date (a payment one day late is one month late)."""
    if paid_on <= due:
        return 0
    months = (paid_on.year - due.year) * 12 + paid_on.month - due.month
    if paid_on.day > due.day:
        months += 1
    return max(months, 1)


def late_fee(amount: int, *, due: date, paid_on: date, kind: str, rate_per_month: int = 200) -> int:
    """PU: 2% (200 basis points) of the amount due per month late; BPU pays no late fee."""
    if kind != PU:
        return 0
    return round_half_up(Fraction(amount * rate_per_month * months_late(due, paid_on), BASIS))


# The schemes and reliefs of the brief, as data (the product stores them in the database; these are the
# seeds and the worked examples of the tests).
DEFAULT_FLAT = Scheme(
    code="flat-11800", valid_from=date(2020, 1, 1), method=FLAT, flat_amount=11_800, jkm_flat=6_800
)
BPU_NATIONAL = Scheme(
    code="bpu-national",
    valid_from=date(2015, 7, 1),
    method=RATES,
    base=BASE_INCOME_BRACKET,
    jkk_rates={"": 100},
    jkm_flat=6_800,
)
PU_NATIONAL = Scheme(
    code="pu-national",
    valid_from=date(2015, 7, 1),
    method=RATES,
    base=BASE_WAGE,
    jkk_rates={"very_low": 24, "low": 54, "medium": 89, "high": 127, "very_high": 174},
    jkm_rate=30,
)
NTB_2021 = Scheme(
    code="ntb-2021",
    valid_from=date(2021, 1, 1),
    valid_to=date(2021, 12, 1),
    method=RATES,
    base=BASE_MINIMUM_WAGE,
    jkk_rates={"": 24},
    jkm_rate=30,
    rounding_unit=100,
)
PP_49_2020 = Relief(name="PP 49/2020", percent=99, first_month=date(2020, 8, 1), last_month=date(2021, 1, 1))
PP_50_2025 = Relief(
    name="PP 50/2025",
    percent=50,
    first_month=date(2026, 4, 1),
    last_month=date(2026, 12, 1),
    kinds=frozenset({BPU}),
    excluded_payers=frozenset({"sponsor"}),
)
