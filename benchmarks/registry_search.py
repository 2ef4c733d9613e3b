"""Benchmark: the registry search page and API list at 1,000,000 people.

    make bench-registry                      # 1,000,000 people (seeded once, reused)
    make bench-registry BENCH_ARGS="--people 200000 --queries 200"

Seeds a separate database (`<DATABASE_URL name>_bench`) with realistic people: Indonesian names, spread
over every regency weighted towards Java, valid NIKs (encrypted and digested exactly as the registry
stores them), phones, BPU/PU. Then it runs mixed queries as a province operator (Jawa Barat, the largest
province) and as a national viewer through the real Django stack (middleware, scoping, templates) and
prints median and p95 per kind. Target: p95 < 100 ms for the search page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MALE = [
    "Muhammad",
    "Ahmad",
    "Budi",
    "Agus",
    "Andi",
    "Dedi",
    "Eko",
    "Hendra",
    "Iwan",
    "Joko",
    "Rudi",
    "Slamet",
    "Bambang",
    "Yusuf",
    "Rizki",
    "Fajar",
    "Aditya",
    "Dimas",
    "Hadi",
    "Imam",
    "Made",
    "Wayan",
    "Ketut",
    "Nyoman",
    "Lalu",
    "Arif",
    "Taufik",
    "Samsul",
    "Yohanes",
    "Fransiskus",
    "Abdul",
    "Rahmat",
    "Sutrisno",
    "Wahyu",
]
FEMALE = [
    "Siti",
    "Sri",
    "Dewi",
    "Nur",
    "Ani",
    "Rina",
    "Wati",
    "Yuni",
    "Ratna",
    "Lestari",
    "Fitri",
    "Indah",
    "Putri",
    "Nurul",
    "Ayu",
    "Kadek",
    "Ni Luh",
    "Baiq",
    "Maria",
    "Agustina",
    "Rahmawati",
    "Kartini",
    "Suci",
    "Dian",
    "Eka",
    "Wulan",
    "Yanti",
    "Rosmini",
    "Hasanah",
    "Aminah",
    "Fatimah",
    "Mega",
]
FAMILY = [
    "Pratama",
    "Saputra",
    "Wijaya",
    "Santoso",
    "Hidayat",
    "Kurniawan",
    "Setiawan",
    "Nugroho",
    "Siregar",
    "Harahap",
    "Nasution",
    "Lubis",
    "Simanjuntak",
    "Sitompul",
    "Manurung",
    "Rahayu",
    "Susanti",
    "Wulandari",
    "Hasibuan",
    "Tanjung",
    "Daulay",
    "Gultom",
    "Sihombing",
    "Panjaitan",
    "Mandagi",
    "Rumengan",
    "Lumowa",
    "Sumual",
    "Latuconsina",
    "Pattimura",
    "Tuasikal",
    "Hutapea",
    "Purba",
    "Syahputra",
    "Ramadhan",
    "Firmansyah",
    "Maulana",
    "Hakim",
    "Utami",
    "Permata",
    "Anggraini",
    "Safitri",
    "Amalia",
    "Kusuma",
]
# Javanese-style names built from syllables widen the family names to a few hundred, so that names repeat
# about as often as in a real regional list (a common first name, many family names).
FAMILY += [
    head + tail
    for head in [
        "Su",
        "Wi",
        "Har",
        "Pra",
        "Ku",
        "Ra",
        "Sa",
        "Hi",
        "Nu",
        "Se",
        "Ma",
        "Ti",
        "Pu",
        "Ha",
        "Da",
        "Ju",
    ]
    for tail in [
        "harto",
        "jaya",
        "tono",
        "wanto",
        "yono",
        "diman",
        "darto",
        "sono",
        "rahman",
        "wati",
        "yanti",
        "ningsih",
        "kusuma",
        "nugraha",
        "sanjaya",
        "widodo",
        "priyanto",
        "mulyono",
        "handoko",
        "susilo",
    ]
]
OCCUPATIONS = [
    "Pedagang",
    "Petani",
    "Nelayan",
    "Penjahit",
    "Bengkel",
    "Warung makan",
    "Kerajinan",
    "Peternak",
    "Jasa laundry",
    "Toko kelontong",
    "Pengrajin tenun",
    "Ojek",
]
WEIGHTED_PROVINCES = {"32": 8, "33": 6, "35": 7, "31": 3, "36": 3, "12": 3, "73": 2, "52": 2}


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "_bench", parts.query, ""))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_enroll.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll")
    os.environ["DATABASE_URL"] = bench_url(base)
    from umkm_enroll.devstack import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(people: int, seed_value: int = 2026) -> None:
    from django.db import connection

    from members.models import Member
    from members.names import normalize_name
    from members.nik import mask
    from members.services import NIK_PURPOSE
    from members.vault import vault
    from umkm_enroll.accounts.models import Office
    from umkm_enroll.regions.models import District, Village

    existing = Member.objects.count()
    if existing >= people:
        print(f"seed: {existing:,} people already there")
        return
    rng = random.Random(seed_value + existing)
    keys = vault()
    office, _ = Office.objects.get_or_create(name="Benchmark Diskop", defaults={"kind": "ministry"})
    villages: dict[str, list[tuple[str, str]]] = {}
    for district_code, village_code in Village.objects.values_list("district_id", "code"):
        villages.setdefault(district_code[:5], []).append((district_code, village_code))
    regencies = sorted(villages)
    weights = [WEIGHTED_PROVINCES.get(code[:2], 1) for code in regencies]
    del District
    # Indexes are dropped during the bulk load and rebuilt after it (as a real bulk load would).
    trgm_indexes = [
        "member_name_trgm_gin",
        "member_province_name",
        "member_province_created",
        "member_created",
        "member_name_birth",
        "member_phone",
    ]
    index_sql = {}
    with connection.cursor() as cursor:
        for name in trgm_indexes:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
            row = cursor.fetchone()
            if row:
                index_sql[name] = row[0]
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    columns = [
        "nik_ciphertext",
        "nik_key_id",
        "nik_digest",
        "nik_masked",
        "nik_regency_code",
        "nik_district_code",
        "kk_key_id",
        "kk_masked",
        "full_name",
        "name_search",
        "name_tokens",
        "birth_place",
        "birth_date",
        "sex",
        "address",
        "province_id",
        "regency_id",
        "district_id",
        "village_id",
        "phone",
        "email",
        "occupation",
        "business_name",
        "nib",
        "kind",
        "monthly_income",
        "monthly_wage",
        "aid_bpum",
        "aid_kur",
        "heir_name",
        "heir_relation",
        "heir_phone",
        "office_id",
        "created_at",
        "updated_at",
        "version",
    ]
    started = time.monotonic()
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    taken: set[str] = set()
    if existing:
        from members.services import nik_reveal_value

        taken = {nik_reveal_value(member) for member in Member.objects.only("nik_ciphertext", "nik_key_id")}
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY members_member ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for index in range(existing, people):
            regency = rng.choices(regencies, weights)[0]
            district, village = rng.choice(villages[regency])
            sex = "P" if rng.random() < 0.5 else "L"
            first = rng.choice(FEMALE if sex == "P" else MALE)
            name = f"{first} {rng.choice(FAMILY)}" + (f" {rng.choice(FAMILY)}" if rng.random() < 0.3 else "")
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
            day = birth.day + (40 if sex == "P" else 0)
            stem = f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
            serial = 1
            while f"{stem}{serial:04d}" in taken:  # a NIK is unique: the next serial, as Dukcapil would
                serial += 1
            nik = f"{stem}{serial:04d}"
            taken.add(nik)
            ciphertext, key_id = keys.encrypt(nik, purpose=NIK_PURPOSE)
            digest = keys.digest(nik, purpose=NIK_PURPOSE)
            kind = "pu" if rng.random() < 0.2 else "bpu"
            income = rng.choice([1_000_000, 1_500_000, 2_000_000, 3_000_000])
            copy.write_row(
                [
                    ciphertext,
                    key_id,
                    digest,
                    mask(nik),
                    regency,
                    district,
                    "",
                    "",
                    name,
                    normalize_name(name),
                    normalize_name(name).split(),
                    "Kota",
                    birth,
                    sex,
                    f"Jl. Contoh No. {index % 200}",
                    regency[:2],
                    regency,
                    district,
                    village,
                    f"+628{rng.randrange(10**9, 10**10)}",
                    "",
                    rng.choice(OCCUPATIONS),
                    "",
                    "",
                    kind,
                    income if kind == "bpu" else None,
                    income if kind == "pu" else None,
                    rng.random() < 0.3,
                    rng.random() < 0.1,
                    "",
                    "",
                    "",
                    office.pk,
                    now,
                    now,
                    1,
                ]
            )
            if index and index % 100_000 == 0:
                print(f"  seeded {index:,} ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"seed: {people - existing:,} rows copied in {time.monotonic() - started:.1f} s; building indexes")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for sql in index_sql.values():
            cursor.execute(sql)
        cursor.execute(
            "INSERT INTO members_nametoken (token) SELECT DISTINCT unnest(name_tokens) FROM members_member"
            " ON CONFLICT DO NOTHING"
        )
    with connection.cursor() as cursor:  # outside a transaction: VACUUM sets the visibility map
        cursor.execute("VACUUM ANALYZE members_member")
    print(f"seed: indexes built in {time.monotonic() - started:.1f} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_queries(total: int) -> int:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.models import Member
    from members.services import nik_reveal_value
    from umkm_enroll.accounts.models import Office, Role, User

    rng = random.Random(7)
    office, _ = Office.objects.get_or_create(
        name="Benchmark Diskop Jawa Barat", defaults={"kind": "diskop_province", "province_id": "32"}
    )
    operator, _ = User.objects.get_or_create(
        username="bench.operator", defaults={"office": office, "roles": [Role.OPERATOR]}
    )
    ministry = Office.objects.filter(kind="ministry").first()
    national, _ = User.objects.get_or_create(
        username="bench.national", defaults={"office": ministry, "roles": [Role.NATIONAL_VIEWER]}
    )
    sample = list(Member.objects.filter(province_id="32").order_by("?")[:60])
    national_sample = list(Member.objects.order_by("?")[:20])

    def client_for(user: User) -> Client:
        client = Client()
        client.force_login(user)
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    def typo(name: str) -> str:
        chars = list(name)
        position = rng.randrange(1, len(chars) - 1)
        chars[position] = rng.choice("aiueo") if chars[position] not in "aiueo" else "y"
        return "".join(chars)

    def queries(pool: list[Member]) -> list[tuple[str, dict]]:
        member = rng.choice(pool)
        return [
            ("name with a typo", {"q": typo(member.full_name)}),
            ("first + family name", {"q": " ".join(member.full_name.split()[:2])}),
            ("full NIK", {"q": nik_reveal_value(member)}),
            ("phone", {"q": member.phone}),
            ("list + filter", {"kind": rng.choice(["bpu", "pu"]), "aid": rng.choice(["", "bpum"])}),
            ("list sorted by newest", {"sort": "-created"}),
        ]

    failures = 0
    for label, user, pool in (
        ("province operator (Jawa Barat)", operator, sample),
        ("national viewer", national, national_sample),
    ):
        client = client_for(user)
        timings: dict[str, list[float]] = {}
        api_timings: list[float] = []
        client.post("/orang/", {"q": "warm up"}, follow=True)
        for _ in range(total // 6):
            for kind, data in queries(pool):
                started = time.perf_counter()
                response = client.post("/orang/", data, follow=True)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    failures += 1
                timings.setdefault(kind, []).append(elapsed)
        for _ in range(total // 4):
            params = rng.choice([{}, {"kind": "bpu"}, {"aid": "kur"}, {"sort": "-created"}])
            started = time.perf_counter()
            client.get("/api/v1/members/", params)
            api_timings.append((time.perf_counter() - started) * 1000)
            member = rng.choice(pool)
            started = time.perf_counter()
            client.post(
                "/api/v1/members/search/", {"q": typo(member.full_name)}, content_type="application/json"
            )
            api_timings.append((time.perf_counter() - started) * 1000)
        every = [value for values in timings.values() for value in values]
        print(f"\n{label}: search page, {len(every)} queries")
        print(f"  {'kind':<24} {'median ms':>10} {'p95 ms':>10}")
        for kind, values in timings.items():
            print(f"  {kind:<24} {statistics.median(values):>10.1f} {percentile(values, 0.95):>10.1f}")
        print(
            f"  {'ALL (search page)':<24} {statistics.median(every):>10.1f} {percentile(every, 0.95):>10.1f}"
        )
        print(
            f"  {'API list + search':<24} {statistics.median(api_timings):>10.1f} "
            f"{percentile(api_timings, 0.95):>10.1f}"
        )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    seed(args.people)
    from members.models import Member

    print(f"people in the benchmark database: {Member.objects.count():,}")
    failures = run_queries(args.queries)
    if failures:
        print(f"{failures} request(s) did not answer 200")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
