"""Demo data for `make run`: the offices of NTB, Sulawesi Utara, Sulawesi Tenggara and Kota Mojokerto with
their BPJAMSOSTEK branches, and one account per role (printed with its password). Idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from umkm_enroll.regions.models import Regency

from .models import Office, Role, User

DEMO_PASSWORD = "umkm-demo-2026"  # noqa: S105 - printed to the developer by `make run`; DEBUG only

REGIONAL_BANUSPA = "BPJAMSOSTEK Kantor Wilayah Bali Nusa Tenggara Papua"
REGIONAL_SULAMA = "BPJAMSOSTEK Kantor Wilayah Sulawesi Maluku"
REGIONAL_JATIM = "BPJAMSOSTEK Kantor Wilayah Jawa Timur"
MINISTRY = "Kementerian Koperasi dan UKM (Pusat)"

DISKOP_OFFICES = [
    # name, kind, province, regency
    ("Dinas Koperasi dan UKM Provinsi Nusa Tenggara Barat", Office.Kind.DISKOP_PROVINCE, "52", None),
    ("Dinas Koperasi dan UKM Kota Mataram", Office.Kind.DISKOP_REGENCY, "52", "52.71"),
    ("Dinas Koperasi dan UKM Provinsi Sulawesi Utara", Office.Kind.DISKOP_PROVINCE, "71", None),
    ("Dinas Koperasi dan UKM Kota Manado", Office.Kind.DISKOP_REGENCY, "71", "71.71"),
    ("Dinas Koperasi dan UKM Provinsi Sulawesi Tenggara", Office.Kind.DISKOP_PROVINCE, "74", None),
    ("Dinas Koperasi dan UKM Kota Kendari", Office.Kind.DISKOP_REGENCY, "74", "74.71"),
    ("Diskopukmperindag Kota Mojokerto", Office.Kind.DISKOP_REGENCY, "35", "35.76"),
]

BRANCHES = [
    # name, regional office, province, regencies served
    ("BPJAMSOSTEK Cabang Mataram", REGIONAL_BANUSPA, "52", ["52.71", "52.01", "52.02", "52.03", "52.08"]),
    ("BPJAMSOSTEK Cabang Sumbawa", REGIONAL_BANUSPA, "52", ["52.04", "52.05", "52.07"]),
    ("BPJAMSOSTEK Cabang Bima", REGIONAL_BANUSPA, "52", ["52.06", "52.72"]),
    (
        "BPJAMSOSTEK Cabang Manado",
        REGIONAL_SULAMA,
        "71",
        ["71.71", "71.02", "71.05", "71.06", "71.07", "71.73"],
    ),
    ("BPJAMSOSTEK Cabang Bitung", REGIONAL_SULAMA, "71", ["71.72", "71.03", "71.04", "71.09"]),
    ("BPJAMSOSTEK Cabang Kotamobagu", REGIONAL_SULAMA, "71", ["71.74", "71.01", "71.08", "71.10", "71.11"]),
    (
        "BPJAMSOSTEK Cabang Kendari",
        REGIONAL_SULAMA,
        "74",
        ["74.71", "74.02", "74.05", "74.06", "74.09", "74.12"],
    ),
    ("BPJAMSOSTEK Cabang Kolaka", REGIONAL_SULAMA, "74", ["74.01", "74.08", "74.11"]),
    (
        "BPJAMSOSTEK Cabang Baubau",
        REGIONAL_SULAMA,
        "74",
        ["74.72", "74.03", "74.04", "74.07", "74.10", "74.13", "74.14", "74.15"],
    ),
    ("BPJAMSOSTEK Cabang Mojokerto", REGIONAL_JATIM, "35", ["35.76", "35.16", "35.17"]),
]

USERS = [
    # username, first name, office, roles
    ("admin", "Admin Pusat", MINISTRY, [Role.ADMINISTRATOR]),
    ("nasional", "Pemantau Kementerian", MINISTRY, [Role.NATIONAL_VIEWER]),
    ("operator.ntb", "Operator Diskop NTB", DISKOP_OFFICES[0][0], [Role.OPERATOR]),
    ("operator.mataram", "Operator Diskop Mataram", DISKOP_OFFICES[1][0], [Role.OPERATOR]),
    ("operator.sulut", "Operator Diskop Sulut", DISKOP_OFFICES[2][0], [Role.OPERATOR]),
    ("operator.sultra", "Operator Diskop Sultra", DISKOP_OFFICES[4][0], [Role.OPERATOR]),
    ("operator.mojokerto", "Operator Diskop Mojokerto", DISKOP_OFFICES[6][0], [Role.OPERATOR]),
    ("petugas.mataram", "Petugas Cabang Mataram", BRANCHES[0][0], [Role.OFFICER]),
    ("petugas.manado", "Petugas Cabang Manado", BRANCHES[3][0], [Role.OFFICER]),
    ("petugas.kendari", "Petugas Cabang Kendari", BRANCHES[6][0], [Role.OFFICER]),
    ("petugas.mojokerto", "Petugas Cabang Mojokerto", BRANCHES[9][0], [Role.OFFICER]),
    ("kartu.ntb", "Admin Kartu NTB", DISKOP_OFFICES[0][0], [Role.CARD_ADMIN]),
    ("keuangan.ntb", "Keuangan Diskop NTB", DISKOP_OFFICES[0][0], [Role.FINANCE]),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    roles: str


@transaction.atomic
def seed() -> list[DemoLogin]:
    for name, kind, province, regency in DISKOP_OFFICES:
        Office.objects.get_or_create(
            name=name, defaults={"kind": kind, "province_id": province, "regency_id": regency}
        )
    for name, regional, province, served in BRANCHES:
        branch, created = Office.objects.get_or_create(
            name=name,
            defaults={
                "kind": Office.Kind.BPJS_BRANCH,
                "province_id": province,
                "parent": Office.objects.get(name=regional),
            },
        )
        if created:
            branch.served_regencies.set(Regency.objects.filter(code__in=served))
    logins = []
    for username, first_name, office_name, roles in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "office": Office.objects.get(name=office_name),
                "roles": roles,
                "is_staff": username == "admin",
                "is_superuser": username == "admin",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        logins.append(DemoLogin(username, DEMO_PASSWORD, ", ".join(str(Role(r).label) for r in user.roles)))
    return logins
