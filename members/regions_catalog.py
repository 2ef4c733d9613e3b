"""The region codes a NIK is checked against: current provinces and regencies, and retired codes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from umkm_enroll.regions.models import Province, Regency

from .nik import RegionCatalog, load_retired_regencies, load_retired_replacements

RETIRED_FILE = Path(__file__).resolve().parent / "data" / "retired_regencies.csv"


@lru_cache(maxsize=1)
def region_catalog() -> RegionCatalog:
    """Built once per process (about 600 codes); a newer region edition needs a restart to be seen."""
    provinces = frozenset(Province.objects.values_list("code", flat=True))
    active = frozenset(Regency.objects.filter(active=True).values_list("code", flat=True))
    inactive = frozenset(Regency.objects.filter(active=False).values_list("code", flat=True))
    retired = (inactive | load_retired_regencies(RETIRED_FILE)) - active
    return RegionCatalog(
        provinces=provinces,
        regencies=active,
        retired_regencies=retired,
        replaced_by=load_retired_replacements(RETIRED_FILE),
    )
