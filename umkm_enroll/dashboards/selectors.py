"""The figures of a dashboard (and of the monthly report, which reuses `dashboard_figures`).

Everything is read from the tallies (models.Tally, models.MonthTally), which the database keeps equal to
the rows; a page costs a few grouped sums over a few thousand rows, for a regency or the whole country.
Stock figures (people, enrollments by status, cards) are as of now; flows (billed, paid, registered,
submitted) by month; arrears are the unpaid amount of bills already due today.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from umkm_enroll.accounts.scoping import Scope

from .models import CoverageTarget, MonthTally, Tally, TargetKind

COUNTRY = "country"
PROVINCE = "province"
REGENCY = "regency"
TREND_MONTHS = 12
STOCK_FIELDS = (
    "people",
    "people_aid",
    "submitted",
    "approved",
    "active",
    "lapsed",
    "covered_aid",
    "wait_sum",
    "cards_issued",
    "cards_printed",
    "cards_handed_over",
)


class AreaOutOfScope(Exception):
    """The region asked for is not in the user's area (or does not exist)."""


@dataclass
class Figures:
    """The figures of one area (the whole page, or one row of its table)."""

    people: int = 0
    people_aid: int = 0
    submitted: int = 0
    approved: int = 0
    active: int = 0
    lapsed: int = 0
    covered_aid: int = 0
    wait_sum: int = 0
    cards_issued: int = 0
    cards_printed: int = 0
    cards_handed_over: int = 0
    billed: int = 0
    paid: int = 0
    arrears: int = 0
    target: int | None = None
    target_aid: int | None = None
    now_epoch: int = 0

    def add(self, other: Figures) -> None:
        for name in (*STOCK_FIELDS, "billed", "paid", "arrears"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("target", "target_aid"):
            theirs = getattr(other, name)
            if theirs is not None:
                setattr(self, name, (getattr(self, name) or 0) + theirs)

    @property
    def enrolled(self) -> int:
        """Covered now: approved (cover about to start) or active."""
        return self.approved + self.active

    @property
    def coverage(self) -> float | None:
        """Enrolled as a percentage of the UMKM target, when there is one."""
        if not self.target:
            return None
        return 100.0 * self.enrolled / self.target

    @property
    def coverage_aid(self) -> float | None:
        if not self.target_aid:
            return None
        return 100.0 * self.covered_aid / self.target_aid

    @property
    def cards_printed_total(self) -> int:
        """Cards printed, whether handed over yet or not."""
        return self.cards_printed + self.cards_handed_over

    @property
    def mean_wait_days(self) -> float | None:
        """Mean days the pending enrollments have waited for a decision."""
        if not self.submitted:
            return None
        return max(self.now_epoch * self.submitted - self.wait_sum, 0) / self.submitted / 86400

    @property
    def payment_rate(self) -> float | None:
        if not self.billed:
            return None
        return 100.0 * self.paid / self.billed


@dataclass
class Row:
    code: str
    name: str
    figures: Figures
    # The query string that drills down into this row ("" for the last level).
    drill: str = ""


@dataclass
class MonthPoint:
    month: date
    registered: int = 0
    submitted: int = 0
    billed: int = 0
    paid: int = 0


@dataclass
class DashboardFigures:
    level: str  # country, province or regency: what the area is
    area_code: str
    area_name: str
    month: date
    today: date
    target_year: int
    totals: Figures
    rows: list[Row]
    row_level: str  # province, regency or cooperative
    trend: list[MonthPoint] = field(default_factory=list)
    # Links up: (label, query string) from the top of the user's area to the parent of this one.
    trail: list[tuple[str, str]] = field(default_factory=list)


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _area_filter(scope: Scope, province: str | None, regency: str | None) -> Q:
    condition = scope.filter_for("regency_code", province_field="province_code")
    if regency:
        condition &= Q(province_code=regency[:2], regency_code=regency)
    elif province:
        condition &= Q(province_code=province)
    return condition


def _check_area(scope: Scope, province: str | None, regency: str | None) -> None:
    from umkm_enroll.regions.models import Province, Regency

    if regency:
        if not Regency.objects.filter(code=regency).exists() or not scope.covers_regency(regency):
            raise AreaOutOfScope(regency)
    elif province:
        if not Province.objects.filter(code=province).exists():
            raise AreaOutOfScope(province)
        if not scope.everything and province not in scope.province_codes:
            raise AreaOutOfScope(province)


def default_area(scope: Scope) -> tuple[str | None, str | None]:
    """(province, regency) a user lands on: the narrowest area holding all of their scope."""
    if scope.everything or not scope.regency_codes:
        return None, None
    if len(scope.regency_codes) == 1:
        (only,) = scope.regency_codes
        return only[:2], only
    if len(scope.province_codes) == 1:
        (province,) = scope.province_codes
        return province, None
    return None, None


def _group_field(level: str) -> str:
    return {COUNTRY: "province_code", PROVINCE: "regency_code", REGENCY: "cooperative_id"}[level]


def _stock_by(condition: Q, key: str) -> dict[Any, Figures]:
    result: dict[Any, Figures] = {}
    rows = (
        Tally.objects.filter(condition)
        .values(key)
        .annotate(**{f"s_{name}": Sum(name) for name in STOCK_FIELDS})
    )
    for row in rows:
        result[row[key]] = Figures(**{name: int(row[f"s_{name}"] or 0) for name in STOCK_FIELDS})
    return result


def _money_by(condition: Q, key: str, month: date, today: date) -> dict[Any, tuple[int, int, int]]:
    rows = (
        MonthTally.objects.filter(condition, due_date__isnull=False)
        .filter(Q(month=month) | Q(due_date__lt=today))
        .values(key)
        .annotate(
            s_billed=Sum("billed", filter=Q(month=month)),
            s_paid=Sum("paid", filter=Q(month=month)),
            s_arrears=Sum(F("billed") - F("paid"), filter=Q(due_date__lt=today)),
        )
    )
    return {
        row[key]: (int(row["s_billed"] or 0), int(row["s_paid"] or 0), int(row["s_arrears"] or 0))
        for row in rows
    }


def _trend(condition: Q, month: date) -> list[MonthPoint]:
    first = months_back(month, TREND_MONTHS - 1)
    points = {months_back(month, back): MonthPoint(months_back(month, back)) for back in range(TREND_MONTHS)}
    sums = {f"s_{name}": Sum(name) for name in ("registered", "submitted", "billed", "paid")}
    rows = (
        MonthTally.objects.filter(condition, month__gte=first, month__lte=month)
        .values("month")
        .annotate(**sums)
    )
    for row in rows:
        point = points[row["month"]]
        point.registered = int(row["s_registered"] or 0)
        point.submitted = int(row["s_submitted"] or 0)
        point.billed = int(row["s_billed"] or 0)
        point.paid = int(row["s_paid"] or 0)
    return [points[key] for key in sorted(points)]


@dataclass(frozen=True)
class _Targets:
    province: dict[tuple[str, str], int]  # (province, kind) -> count of the province's own target
    regency: dict[tuple[str, str], int]  # (regency, kind) -> count

    def of_regency(self, code: str, kind: str) -> int | None:
        return self.regency.get((code, kind))

    def of_province(self, code: str, kind: str, regencies: Iterable[str] | None = None) -> int | None:
        """A province's own target; without one, the sum of its regencies' targets. With `regencies`
        (a part of the province), the sum of theirs."""
        if regencies is None and (code, kind) in self.province:
            return self.province[(code, kind)]
        counts = [
            count
            for (regency, their_kind), count in self.regency.items()
            if their_kind == kind and regency[:2] == code and (regencies is None or regency in regencies)
        ]
        return sum(counts) if counts else None


def _targets(year: int, provinces: Iterable[str] | None) -> _Targets:
    """The latest target of each region and kind for `year` or the years before it."""
    rows = CoverageTarget.objects.filter(year__lte=year)
    if provinces is not None:
        rows = rows.filter(province__in=sorted(provinces))
    latest: dict[tuple[str, str, str], tuple[int, int]] = {}
    for province, regency, kind, their_year, count in rows.values_list(
        "province_id", "regency_id", "kind", "year", "count"
    ):
        key = (province, regency or "", kind)
        if key not in latest or latest[key][0] < their_year:
            latest[key] = (their_year, count)
    province_targets = {(p, k): c for (p, r, k), (_, c) in latest.items() if not r}
    regency_targets = {(r, k): c for (p, r, k), (_, c) in latest.items() if r}
    return _Targets(province=province_targets, regency=regency_targets)


def _apply_targets(
    figures: Figures, targets: _Targets, *, level: str, code: str, scope: Scope, province: str | None
) -> None:
    for kind, attribute in ((TargetKind.UMKM, "target"), (TargetKind.AID, "target_aid")):
        value: int | None
        if level == REGENCY:
            value = targets.of_regency(code, kind)
        elif level == PROVINCE:
            if scope.everything or code in scope.whole_provinces:
                value = targets.of_province(code, kind)
            else:
                value = targets.of_province(code, kind, [r for r in scope.regency_codes if r[:2] == code])
        else:  # the whole area of the scope: its provinces, whole or in part
            provinces = (
                {p for p, _k in targets.province} | {r[:2] for r, _k in targets.regency}
                if scope.everything
                else scope.province_codes
            )
            parts = [
                _province_part(targets, p, kind, scope) for p in sorted(provinces) if province in (None, p)
            ]
            found = [part for part in parts if part is not None]
            value = sum(found) if found else None
        setattr(figures, attribute, value)


def _province_part(targets: _Targets, province: str, kind: str, scope: Scope) -> int | None:
    if scope.everything or province in scope.whole_provinces:
        return targets.of_province(province, kind)
    return targets.of_province(province, kind, [r for r in scope.regency_codes if r[:2] == province])


def _names(level: str, codes: Iterable[Any]) -> dict[Any, str]:
    from umkm_enroll.regions.models import Province, Regency

    codes = [code for code in codes if code]
    if level == COUNTRY:
        return dict(Province.objects.filter(code__in=codes).values_list("code", "name"))
    if level == PROVINCE:
        return dict(Regency.objects.filter(code__in=codes).values_list("code", "name"))
    from cooperatives.models import Cooperative

    return dict(Cooperative.objects.filter(pk__in=codes).values_list("pk", "name"))


def _area_name(level: str, province: str | None, regency: str | None, scope: Scope) -> tuple[str, str]:
    from umkm_enroll.regions.models import Province, Regency

    if level == REGENCY and regency:
        return regency, Regency.objects.get(code=regency).name
    if level == PROVINCE and province:
        return province, Province.objects.get(code=province).name
    return "", _("Indonesia") if scope.everything else _("Your area")


def dashboard_figures(
    *,
    scope: Scope,
    month: date | None = None,
    province: str | None = None,
    regency: str | None = None,
    today: date | None = None,
) -> DashboardFigures:
    """The figures of an area within `scope` (the whole scope when no province or regency is named): its
    totals, one row per province / regency / cooperative below it, and the 12 months up to `month`.

    Raises AreaOutOfScope when the region named is not in the scope.
    """
    today = today or timezone.localdate()
    month = month_start(month or today)
    if regency:
        province = regency[:2]
    _check_area(scope, province, regency)
    level = REGENCY if regency else PROVINCE if province else COUNTRY
    condition = _area_filter(scope, province, regency)
    key = _group_field(level)

    stock = _stock_by(condition, key)
    money = _money_by(condition, key, month, today)
    now_epoch = int(time.time())
    targets = _targets(
        month.year, [province] if province else None if scope.everything else scope.province_codes
    )

    keys = set(stock) | set(money)
    row_level = {COUNTRY: PROVINCE, PROVINCE: REGENCY, REGENCY: "cooperative"}[level]
    if level == COUNTRY:
        candidates = {p for p, _k in targets.province} | {r[:2] for r, _k in targets.regency}
        keys |= candidates if scope.everything else candidates & set(scope.province_codes)
    elif level == PROVINCE:
        keys |= {r for r, _k in targets.regency if r[:2] == province and scope.covers_regency(r)}
    names = _names(level, keys)

    rows: list[Row] = []
    totals = Figures(now_epoch=now_epoch)
    for code in keys:
        figures = stock.get(code) or Figures()
        figures.now_epoch = now_epoch
        figures.billed, figures.paid, figures.arrears = money.get(code, (0, 0, 0))
        if level != REGENCY:
            _apply_targets(
                figures,
                targets,
                level=PROVINCE if level == COUNTRY else REGENCY,
                code=code,
                scope=scope,
                province=province,
            )
        totals.add(Figures(**{**figures.__dict__, "target": None, "target_aid": None}))
        if level == REGENCY:
            name = names.get(code) or _("Not a cooperative member")
            drill = ""
        else:
            name = names.get(code, code)
            drill = f"?province={code}" if level == COUNTRY else f"?regency={code}"
        rows.append(Row(code=str(code), name=name, figures=figures, drill=drill))
    rows.sort(key=lambda row: (row.code == "0", row.name if level == REGENCY else row.code))

    area_code, area_name = _area_name(level, province, regency, scope)
    _apply_targets(totals, targets, level=level, code=area_code, scope=scope, province=province)
    trail = _trail(scope, level, province)
    return DashboardFigures(
        level=level,
        area_code=area_code,
        area_name=area_name,
        month=month,
        today=today,
        target_year=month.year,
        totals=totals,
        rows=rows,
        row_level=row_level,
        trend=_trend(condition, month),
        trail=trail,
    )


def _trail(scope: Scope, level: str, province: str | None) -> list[tuple[str, str]]:
    """The areas above this one that the user may open: the top of their scope, then the province."""
    from umkm_enroll.regions.models import Province

    top_province, top_regency = default_area(scope)
    trail: list[tuple[str, str]] = []
    if level == COUNTRY or top_regency:
        return trail
    if top_province is None:
        trail.append((_("Indonesia") if scope.everything else _("Your area"), "?"))
    if level == REGENCY and province and (top_province is None or top_province == province):
        trail.append((Province.objects.get(code=province).name, f"?province={province}"))
    return trail
