"""Demo cooperatives and people for `make run` (called by seed_demo; idempotent)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cooperatives.models import Cooperative
from cooperatives.services import cooperative_create
from umkm_enroll.accounts.models import User
from umkm_enroll.regions.models import Village

from .enrollments import enrollment_create
from .models import Enrollment
from .services import member_by_nik, member_create

COOPERATIVES = [
    # operator, name, kind, village
    ("operator.mataram", "Koperasi Nelayan Ampenan", "produsen", "52.71.01.1004"),
    ("operator.sulut", "Koperasi Serba Usaha Bahari Manado", "serba_usaha", None),
]
PEOPLE = [
    # operator, NIK, name, birth, sex, kind, income or wage, business, cooperative
    (
        "operator.mataram",
        "5271014408900001",
        "Baiq Nurul Aini",
        date(1990, 8, 4),
        "P",
        "bpu",
        2_000_000,
        "Ikan Asin Ampenan",
        "Koperasi Nelayan Ampenan",
    ),
    (
        "operator.mataram",
        "5271011203850002",
        "Lalu Ahmad Zaini",
        date(1985, 3, 12),
        "L",
        "bpu",
        1_500_000,
        "Warung Zaini",
        "Koperasi Nelayan Ampenan",
    ),
    (
        "operator.mataram",
        "5271015506950003",
        "Ni Made Sari",
        date(1995, 6, 15),
        "P",
        "bpu",
        1_000_000,
        "Jajanan Sari",
        None,
    ),
    (
        "operator.sulut",
        "7171012010800004",
        "Yohanes Mandagi",
        date(1980, 10, 20),
        "L",
        "bpu",
        3_000_000,
        "Bengkel Mandagi",
        "Koperasi Serba Usaha Bahari Manado",
    ),
]


def _village(regency: str, code: str | None) -> Village:
    if code:
        return Village.objects.select_related("district__regency__province").get(code=code)
    return (
        Village.objects.select_related("district__regency__province")
        .filter(district__regency_id=regency)
        .order_by("code")[0]
    )


@transaction.atomic
def seed() -> None:
    for username, name, kind, village_code in COOPERATIVES:
        if Cooperative.objects.filter(name=name).exists():
            continue
        operator = User.objects.get(username=username)
        regency = operator.office.regency_id or "71.71"
        village = _village(regency, village_code)
        cooperative_create(
            actor=operator,
            data={
                "name": name,
                "kind": kind,
                "address": "Jl. Pelabuhan 1",
                "province": village.district.regency.province,
                "regency": village.district.regency,
                "district": village.district,
                "village": village,
                "chairperson": "Ketua Demo",
                "member_count": 40,
                "status": "active",
            },
        )
    for username, nik, name, birth, sex, kind, amount, business, cooperative in PEOPLE:
        if member_by_nik(nik) is not None:
            continue
        operator = User.objects.get(username=username)
        regency = f"{nik[:2]}.{nik[2:4]}"
        village = _village(regency, None)
        member_create(
            actor=operator,
            nik=nik,
            data={
                "full_name": name,
                "birth_place": village.district.name,
                "birth_date": birth,
                "sex": sex,
                "address": "Jl. Demo 7",
                "province_id": regency[:2],
                "regency_id": regency,
                "district_id": village.district_id,
                "village_id": village.code,
                "occupation": "Pelaku usaha mikro",
                "business_name": business,
                "kind": kind,
                "monthly_income": amount,
                "cooperative": Cooperative.objects.filter(name=cooperative).first() if cooperative else None,
                "heir_name": "Ahli Waris Demo",
                "heir_relation": "spouse",
            },
        )
    # Two people of Mataram wait in the branch officer's queue; one has a draft.
    for nik, submit in (("5271014408900001", True), ("5271011203850002", True), ("5271015506950003", False)):
        member = member_by_nik(nik)
        if member is None or Enrollment.objects.filter(member=member).exists():
            continue
        enrollment_create(
            member=member,
            data={"requested_start": date.today()},
            actor=User.objects.get(username="operator.mataram"),
            submit=submit,
        )
