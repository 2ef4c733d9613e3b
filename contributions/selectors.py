"""Reading tariffs from the database: which scheme applies to an enrollment in a month, and its amount."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from members.models import Enrollment
from umkm_enroll.regions.models import MinimumWage

from . import tariffs
from .models import IncomeBracket, Relief, TariffScheme

DEFAULT_SCHEME = tariffs.DEFAULT_FLAT.code


class NoScheme(tariffs.TariffError):
    """No scheme covers the month (a scheme named on the enrollment has expired, say)."""


def _covering(month: date) -> Q:
    return Q(valid_from__lte=month) & (Q(valid_to__isnull=True) | Q(valid_to__gte=month))


def scheme_for(enrollment: Enrollment, month: date) -> tariffs.Scheme:
    """The enrollment's own scheme when it names one; otherwise the flat default (Rp 11.800)."""
    month = tariffs.month_start(month)
    code = enrollment.scheme or DEFAULT_SCHEME
    row = TariffScheme.objects.filter(_covering(month), code=code).first()
    if row is None:
        raise NoScheme(f"no scheme {code!r} for {month:%Y-%m}")
    return row.as_tariff()


def brackets_for(month: date) -> list[int]:
    return list(IncomeBracket.objects.filter(_covering(month)).values_list("amount", flat=True))


def reliefs_for(month: date) -> list[tariffs.Relief]:
    return [r.as_tariff() for r in Relief.objects.filter(first_month__lte=month, last_month__gte=month)]


def minimum_wage(province_code: str, year: int) -> int | None:
    amount = (
        MinimumWage.objects.filter(province_id=province_code, year=year)
        .values_list("amount", flat=True)
        .first()
    )
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if amount is not None else None


def monthly_contribution(enrollment: Enrollment, month: date) -> tariffs.Contribution:
    """What the enrollment owes for a contribution month, from the stored tariffs."""
    month = tariffs.month_start(month)
    member = enrollment.member
    scheme = scheme_for(enrollment, month)
    return tariffs.contribution(
        scheme,
        month=month,
        kind=enrollment.kind,
        payer=enrollment.payer,
        reliefs=reliefs_for(month),
        risk_class=enrollment.risk_class,
        income=member.monthly_income,
        wage=member.monthly_wage,
        minimum_wage=minimum_wage(member.province_id, month.year)
        if scheme.base == tariffs.BASE_MINIMUM_WAGE
        else None,
        brackets=brackets_for(month),
    )


def expected_bills(enrollment: Enrollment, month: date) -> list[tuple[str, int | None, int, int]]:
    """The bills of a month in Python, (payer, programme id, amount, relief): what the set-based run in
    contributions/billing.py must produce, used to check it."""
    month = tariffs.month_start(month)
    amounts = monthly_contribution(enrollment, month)
    programme = enrollment.sponsor_programme
    covered = (
        enrollment.payer == "sponsor"
        and programme is not None
        and programme.first_month <= month <= programme.last_month
    )
    percent = programme.sponsor_percent if covered and programme is not None else 0
    sponsor_amount, rest = tariffs.split(amounts.total, percent)
    sponsor_relief, rest_relief = tariffs.split(amounts.relief, percent)
    bills: list[tuple[str, int | None, int, int]] = []
    if sponsor_amount > 0:
        bills.append(("sponsor", enrollment.sponsor_programme_id, sponsor_amount, sponsor_relief))
    if rest > 0:
        payer = "self" if enrollment.payer == "sponsor" else enrollment.payer
        bills.append((payer, None, rest, rest_relief))
    return bills
