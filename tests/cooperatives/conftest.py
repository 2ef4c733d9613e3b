from __future__ import annotations

import pytest

from tests.factories import OfficeFactory, UserFactory
from umkm_enroll.accounts.models import Role, User


@pytest.fixture
def mataram_operator() -> User:
    """A Diskop operator of Kota Mataram (52.71)."""
    return UserFactory.create(
        username="operator.mataram", office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR]
    )


@pytest.fixture
def manado_operator() -> User:
    return UserFactory.create(
        username="operator.manado", office=OfficeFactory.diskop_regency("71.71"), roles=[Role.OPERATOR]
    )


@pytest.fixture
def ntb_operator() -> User:
    """A Diskop operator of the province of Nusa Tenggara Barat (52)."""
    return UserFactory.create(
        username="operator.ntb", office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR]
    )


def cooperative_data(**overrides) -> dict:
    """Form or API input of a cooperative in Ampenan Selatan, Kota Mataram."""
    data = {
        "name": "Koperasi Simpan Pinjam Sejahtera Ampenan",
        "kind": "simpan_pinjam",
        "nik_koperasi": "5271010010001",
        "ahu_number": "ahu-0001234.ah.01.26.tahun 2019",
        "chairperson": "Baiq Nurul Hidayati",
        "phone": "0812-3456-7890",
        "member_count": "120",
        "status": "active",
        "province": "52",
        "regency": "52.71",
        "district": "52.71.01",
        "village": "52.71.01.1004",
        "address": "Jl. Saleh Sungkar 12",
    }
    data.update(overrides)
    return data
