"""The schemes and reliefs of the domain brief (../shared/BRIEF.md, "Two kinds of participant" and "Who
pays"), copied here as data; idempotent. Only the lowest BPU income bracket (Rp 1.000.000) is given by the
brief: the rest of the annex of PP 44/2015 as amended (last by PP 49/2023) is entered by administrators.

Called by the data migration (with historical models) and by the tests after a flush (with the real ones).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import tariffs

SCHEMES = [
    (tariffs.DEFAULT_FLAT, "Iuran tetap Rp 11.800 (skema bawaan)", None, "Skema bawaan (brief)"),
    (
        tariffs.BPU_NATIONAL,
        "BPU nasional: JKK 1% penghasilan + JKM Rp 6.800",
        None,
        "PP 44/2015 dan perubahannya",
    ),
    (
        tariffs.PU_NATIONAL,
        "PU nasional: JKK menurut kelas risiko + JKM 0,30% upah",
        None,
        "PP 44/2015 dan perubahannya",
    ),
    (tariffs.NTB_2021, "NTB 2021: 0,54% UMP, dibulatkan ke Rp 100", "52", "Pergub NTB 51/2020; brief"),
]
RELIEFS = [
    (tariffs.PP_49_2020, "PP 49/2020"),
    (tariffs.PP_50_2025, "PP 50/2025 (tidak untuk pembayar APBD/APBN)"),
]
LOWEST_BRACKET = (1_000_000, date(2015, 7, 1))


def seed_tariffs(scheme_model: Any, bracket_model: Any, relief_model: Any) -> None:
    for scheme, name, province, source in SCHEMES:
        scheme_model.objects.update_or_create(
            code=scheme.code,
            valid_from=scheme.valid_from,
            defaults={
                "name": name,
                "province_id": province,
                "valid_to": scheme.valid_to,
                "method": scheme.method,
                "flat_amount": scheme.flat_amount,
                "base": scheme.base if scheme.method == tariffs.RATES else "",
                "jkk_rates": dict(scheme.jkk_rates),
                "jkm_rate": scheme.jkm_rate,
                "jkm_flat": scheme.jkm_flat,
                "rounding_unit": scheme.rounding_unit,
                "source": source,
            },
        )
    amount, valid_from = LOWEST_BRACKET
    bracket_model.objects.get_or_create(amount=amount, valid_from=valid_from)
    for relief, source in RELIEFS:
        relief_model.objects.update_or_create(
            name=relief.name,
            defaults={
                "percent": relief.percent,
                "first_month": relief.first_month,
                "last_month": relief.last_month,
                "kinds": sorted(relief.kinds),
                "excluded_payers": sorted(relief.excluded_payers),
                "source": source,
            },
        )
