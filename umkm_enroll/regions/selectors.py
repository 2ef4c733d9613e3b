"""Reads of regions and minimum wages. Regions are public reference data: no user scope applies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Substr

from .edition import LEVELS, level_of
from .models import District, MinimumWage, Province, Regency, RegionBase, Village

LEVEL_MODELS: dict[str, type[RegionBase]] = {
    "province": Province,
    "regency": Regency,
    "district": District,
    "village": Village,
}
# What to join to name a region's parents beside it.
_PARENTS: dict[str, tuple[str, ...]] = {
    "province": (),
    "regency": ("province",),
    "district": ("regency__province",),
    "village": ("district__regency__province",),
}
_CODE_PREFIX = re.compile(r"\d{2}(?:\.\d{0,4})*")


def region_model(level: str) -> type[RegionBase]:
    try:
        return LEVEL_MODELS[level]
    except KeyError:
        raise ValueError(f"unknown level: {level!r}") from None


def regions_search(
    *, level: str, q: str = "", parent: str = "", active_only: bool = True
) -> QuerySet[RegionBase]:
    """Regions of one level whose name contains `q` (or whose code starts with it, when `q` is a code),
    below the region `parent` (any ancestor: "52" or "52.71" for districts), by name."""
    model = region_model(level)
    regions = model._default_manager.select_related(*_PARENTS[level])
    if active_only:
        regions = regions.filter(active=True)
    if parent:
        regions = regions.filter(code__startswith=f"{parent}.")
    q = q.strip()
    if _CODE_PREFIX.fullmatch(q):
        regions = regions.filter(code__startswith=q)
    elif q:
        regions = regions.filter(name__icontains=q)
    return regions.order_by("name", "code")


def region_get(code: str) -> RegionBase | None:
    """The region with this code at whatever level, or None."""
    try:
        model = region_model(level_of(code))
    except ValueError:
        return None
    return model._default_manager.filter(code=code).first()


def region_ancestors(code: str) -> list[RegionBase]:
    """The parents of a code, province first (without the region itself)."""
    parts = code.split(".")
    ancestors: list[RegionBase] = []
    for depth in range(1, len(parts)):
        parent = region_get(".".join(parts[:depth]))
        if parent is not None:
            ancestors.append(parent)
    return ancestors


def region_children(code: str) -> QuerySet[RegionBase]:
    """The regions one level below `code`, in Kemendagri (code) order; retired ones included."""
    level = level_of(code)
    if level == "village":
        raise ValueError("a village has no children")
    child_model = region_model(LEVELS[LEVELS.index(level) + 1])
    return child_model._default_manager.filter(code__startswith=f"{code}.").order_by("code")


def regency_codes_of_province(code: str, *, active_only: bool = False) -> list[str]:
    """Codes of the regencies and cities of a province; retired ones too unless `active_only`, since old
    addresses still point at them."""
    regencies = Regency.objects.filter(province_id=code)
    if active_only:
        regencies = regencies.filter(active=True)
    return list(regencies.order_by("code").values_list("code", flat=True))


def region_totals() -> dict[str, int]:
    """Active regions per level, and retired ones in all."""
    totals = {
        level: model._default_manager.filter(active=True).count() for level, model in LEVEL_MODELS.items()
    }
    totals["inactive"] = sum(
        model._default_manager.filter(active=False).count() for model in LEVEL_MODELS.values()
    )
    return totals


def region_editions() -> list[str]:
    """The editions that last listed the active provinces (one, unless a load was partial)."""
    return list(
        Province.objects.filter(active=True).order_by("edition").values_list("edition", flat=True).distinct()
    )


def _active_counts_by_prefix(model: type[RegionBase], length: int, within: str = "") -> dict[str, int]:
    """Active regions counted by the first `length` characters of their code (their ancestor's code)."""
    regions = model._default_manager.filter(active=True)
    if within:
        regions = regions.filter(code__startswith=f"{within}.")
    rows = (
        regions.values(prefix=Substr("code", 1, length)).annotate(n=Count("code")).values_list("prefix", "n")
    )
    return dict(rows)


def provinces_with_counts() -> list[Province]:
    """Every province with its active kabupaten, kota, districts and villages counted."""
    active_regencies = Q(regencies__active=True)
    provinces: list[Province] = list(
        Province.objects.annotate(
            kabupaten_count=Count(
                "regencies", filter=active_regencies & Q(regencies__kind=Regency.Kind.REGENCY)
            ),
            kota_count=Count("regencies", filter=active_regencies & Q(regencies__kind=Regency.Kind.CITY)),
        ).order_by("code")
    )
    districts = _active_counts_by_prefix(District, 2)
    villages = _active_counts_by_prefix(Village, 2)
    for province in provinces:
        province.district_count = districts.get(province.code, 0)  # type: ignore[attr-defined]
        province.village_count = villages.get(province.code, 0)  # type: ignore[attr-defined]
    return provinces


def regencies_with_counts(province_code: str) -> list[Regency]:
    regencies = list(Regency.objects.filter(province_id=province_code).order_by("code"))
    districts = _active_counts_by_prefix(District, 5, within=province_code)
    villages = _active_counts_by_prefix(Village, 5, within=province_code)
    for regency in regencies:
        regency.district_count = districts.get(regency.code, 0)  # type: ignore[attr-defined]
        regency.village_count = villages.get(regency.code, 0)  # type: ignore[attr-defined]
    return regencies


def districts_with_counts(regency_code: str) -> QuerySet[District]:
    return (
        District.objects.filter(regency_id=regency_code)
        .annotate(village_count=Count("villages", filter=Q(villages__active=True)))
        .order_by("code")
    )


def villages_of_district(district_code: str) -> QuerySet[Village]:
    return Village.objects.filter(district_id=district_code).order_by("code")


@dataclass(frozen=True)
class WageCell:
    year: int
    wage: MinimumWage | None

    @property
    def rupiah(self) -> int | None:
        """Whole rupiah for display (some decrees print fractions)."""
        if self.wage is None:
            return None
        return int(self.wage.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class WageTableRow:
    province: Province
    cells: list[WageCell]


@dataclass(frozen=True)
class WageTable:
    years: list[int]
    rows: list[WageTableRow]
    gaps: int


def minimum_wage_table() -> WageTable:
    """Provinces as rows, every year from the first to the last one known as columns; a cell without a
    figure is a gap (wage None)."""
    bounds = MinimumWage.objects.aggregate(first=Min("year"), last=Max("year"))
    if bounds["first"] is None:
        return WageTable(years=[], rows=[], gaps=0)
    years = list(range(bounds["first"], bounds["last"] + 1))
    wages = {(wage.province_id, wage.year): wage for wage in MinimumWage.objects.all()}
    rows = []
    for province in Province.objects.filter(active=True).order_by("code"):
        cells = [WageCell(year=year, wage=wages.get((province.code, year))) for year in years]
        rows.append(WageTableRow(province=province, cells=cells))
    gaps = sum(1 for row in rows for cell in row.cells if cell.wage is None)
    return WageTable(years=years, rows=rows, gaps=gaps)
