"""factory_boy factories shared by the tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import factory
from django.db.models import Model
from django_otp.plugins.otp_totp.models import TOTPDevice

from cooperatives.models import Cooperative
from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.regions.models import District, Regency, Village

if TYPE_CHECKING:
    from members.models import Member

PASSWORD = "kata-sandi-uji-coba-2026"


class OfficeFactory(factory.django.DjangoModelFactory[Office]):
    class Meta:
        model = Office

    kind = Office.Kind.DISKOP_REGENCY
    name = factory.Sequence(lambda n: f"Kantor Uji {n}")
    province_id = "52"
    regency_id = "52.71"

    @classmethod
    def diskop_province(cls, province: str, **kwargs) -> Office:
        return cls.create(kind=Office.Kind.DISKOP_PROVINCE, province_id=province, regency_id=None, **kwargs)

    @classmethod
    def diskop_regency(cls, regency: str, **kwargs) -> Office:
        return cls.create(
            kind=Office.Kind.DISKOP_REGENCY, province_id=regency[:2], regency_id=regency, **kwargs
        )

    @classmethod
    def branch(cls, regencies: list[str], parent: Office | None = None, **kwargs) -> Office:
        office = cls.create(
            kind=Office.Kind.BPJS_BRANCH,
            province_id=regencies[0][:2],
            regency_id=None,
            parent=parent,
            **kwargs,
        )
        office.served_regencies.set(Regency.objects.filter(code__in=regencies))
        return office

    @classmethod
    def ministry(cls, **kwargs) -> Office:
        return cls.create(kind=Office.Kind.MINISTRY, province_id=None, regency_id=None, **kwargs)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pengguna{n}")
    first_name = factory.Sequence(lambda n: f"Pengguna {n}")
    office = factory.SubFactory(OfficeFactory)
    roles = factory.LazyFunction(lambda: [Role.OPERATOR])
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


def first_district(regency: str) -> str:
    return District.objects.filter(regency_id=regency).order_by("code").values_list("code", flat=True)[0]


def first_village(district: str) -> str:
    return Village.objects.filter(district_id=district).order_by("code").values_list("code", flat=True)[0]


class CooperativeFactory(factory.django.DjangoModelFactory[Cooperative]):
    """A cooperative in `regency_id` (Kota Mataram unless told), at the first village of its first
    district, registered by an operator of that regency's Diskop office."""

    class Meta:
        model = Cooperative

    name = factory.Sequence(lambda n: f"Koperasi Uji {n}")
    kind = Cooperative.Kind.SAVINGS_AND_LOAN
    address = "Jl. Pejanggik 10"
    regency_id = "52.71"
    province_id = factory.LazyAttribute(lambda o: o.regency_id[:2])
    district_id = factory.LazyAttribute(lambda o: first_district(o.regency_id))
    village_id = factory.LazyAttribute(lambda o: first_village(o.district_id))
    chairperson = "Baiq Nurul Hidayati"
    phone = "+6281234567890"
    member_count = 25
    office = factory.LazyAttribute(lambda o: OfficeFactory.diskop_regency(o.regency_id))
    created_by = factory.LazyAttribute(lambda o: UserFactory.create(office=o.office))


def confirmed_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="uji", confirmed=True)


def current_token(device: TOTPDevice) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


_SERIAL = iter(range(1, 10_000_000))


def nik_for(
    regency: str = "52.71",
    district: str = "01",
    birth: date | None = None,
    sex: str = "L",
    serial: int | None = None,
) -> str:
    """A NIK that passes every rule for the given regency, birth date and sex."""
    birth = birth or date(1985, 6, 15)
    day = birth.day + (40 if sex == "P" else 0)
    return (
        f"{regency.replace('.', '')}{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        f"{(serial or next(_SERIAL)) % 10_000 or 1:04d}"
    )


def make_member(
    regency: str = "52.71",
    *,
    full_name: str = "Siti Aminah",
    sex: str = "P",
    birth: date | None = None,
    nik: str | None = None,
    office: Office | None = None,
    **fields: Any,
) -> Member:
    """A person stored as the registry stores one (encrypted NIK), without going through a form."""
    from members.models import Member
    from members.names import normalize_name
    from members.nik import NikInfo
    from members.services import _set_nik, tokens_register
    from umkm_enroll.regions.models import District, Village

    birth = birth or date(1985, 6, 15)
    district = District.objects.filter(regency_id=regency).order_by("code").first()
    assert district is not None
    village = Village.objects.filter(district=district).order_by("code").first()
    nik = nik or nik_for(regency, district.code[-2:], birth, sex)
    member = Member(
        full_name=full_name,
        name_search=normalize_name(full_name),
        name_tokens=normalize_name(full_name).split(),
        birth_place="Mataram",
        birth_date=birth,
        sex=sex,
        address="Jl. Pejanggik 10",
        province_id=regency[:2],
        regency_id=regency,
        district=district,
        village=village,
        occupation="Pedagang",
        kind="bpu",
        monthly_income=1_000_000,
        office=office or OfficeFactory.diskop_regency(regency),
        **fields,
    )
    _set_nik(
        member,
        NikInfo(
            nik=nik,
            province_code=nik[:2],
            regency_code=f"{nik[:2]}.{nik[2:4]}",
            district_code=f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}",
            birth_date=birth,
            sex="P" if sex == "P" else "L",
            serial=nik[12:],
        ),
    )
    member.save()
    tokens_register(member.name_tokens)
    return member


def _copy_insert(model: type[Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` (field attname -> value) with one COPY and return their new primary keys in order.

    Much faster than `bulk_create` for thousands of wide rows (no per-value preparation, no huge INSERT to
    parse). Fields a row leaves out get their model default, as `save()` would give them."""
    from django.db import connection
    from django.utils import timezone

    if not rows:
        return []
    meta = model._meta
    assert meta.pk is not None
    given = list(rows[0])
    now = timezone.now()
    # Every concrete field's column (set once the model class is ready), by attname: "office_id", ...
    column = {field.attname: cast(str, field.column) for field in meta.concrete_fields}
    defaults: dict[str, Any] = {}
    for field in meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[column[field.attname]] = now
        else:  # what save() would store: the default, "" for text, None (refused if NOT NULL) otherwise
            defaults[column[field.attname]] = field.get_db_prep_save(field.get_default(), connection)
    columns = [column[meta.pk.attname], *(column[name] for name in given), *defaults]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({quoted}) FROM STDIN"
        ) as copy:
            tail = list(defaults.values())
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row([pk, *(row[name] for name in given), *tail])
    return ids


_GIVEN = {
    "L": ["Lalu", "Ahmad", "Made", "Rahmat", "Hendra", "Yusuf", "Agus", "Zainal"],
    "P": ["Siti", "Baiq", "Nur", "Dewi", "Fitri", "Rina", "Aminah", "Hidayati"],
}
_FAMILY = ["Zaini", "Saputra", "Wulandari", "Hakim", "Rahayu", "Pratama", "Hasanah", "Maulana", "Kurniawan"]
_HEIRS = ["spouse", "child", "parent", "sibling"]
# Birth dates of seeded people span 40 years (ages about 21 to 61 in 2026: inside the enrollment limits).
_BIRTH_SPAN_DAYS = 40 * 365


def make_submitted_enrollments(
    count: int, *, regency: str, operator: User, batch_size: int = 2000
) -> list[int]:
    """`count` people of `regency`, each with an heir and a BPU enrollment submitted by `operator` (spread
    over the last five days, cover requested from today); returns the enrollment ids in creation order.

    Rows are copied in batches of `batch_size` (no audit entries, no name vocabulary), so 10,000 take a
    couple of seconds. NIKs are valid for the regency's districts, the birth date and the sex, encrypted
    and digested as the registry stores them, and unique: numbered after the people already in the
    regency, skipping any whose digest is taken."""
    from django.db import transaction
    from django.utils import timezone

    from members.models import Enrollment, EnrollmentStatus, Member
    from members.names import normalize_name
    from members.nik import mask
    from members.services import NIK_PURPOSE
    from members.vault import vault

    keys = vault()
    places = [
        (
            district,
            Village.objects.filter(district_id=district).order_by("code").values_list("code", flat=True)[0],
        )
        for district in District.objects.filter(regency_id=regency)
        .order_by("code")
        .values_list("code", flat=True)
    ]
    assert places, f"no districts in {regency}"
    office_id = operator.office_id
    assert office_id is not None
    now = timezone.now()
    today = timezone.localdate()
    number = Member.objects.filter(regency_id=regency).count()
    ids: list[int] = []
    with transaction.atomic():
        while len(ids) < count:
            wanted = min(batch_size, count - len(ids))
            people: dict[str, dict[str, Any]] = {}
            while len(people) < wanted:
                district, village = places[number % len(places)]
                step = number // len(places)
                birth = date(1965, 1, 1) + timedelta(days=step % _BIRTH_SPAN_DAYS)
                serial = 1 + step // _BIRTH_SPAN_DAYS
                sex = "P" if number % 2 else "L"
                day = birth.day + (40 if sex == "P" else 0)
                nik = (
                    f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
                )
                number += 1
                given = _GIVEN[sex]
                name = f"{given[number // 2 % len(given)]} {_FAMILY[number % len(_FAMILY)]}"
                heir = _GIVEN["L" if sex == "P" else "P"][number % len(given)]
                ciphertext, key_id = keys.encrypt(nik, purpose=NIK_PURPOSE)
                digest = keys.digest(nik, purpose=NIK_PURPOSE)
                people[digest] = {
                    "nik_ciphertext": ciphertext,
                    "nik_key_id": key_id,
                    "nik_digest": digest,
                    "nik_masked": mask(nik),
                    "nik_regency_code": regency,
                    "nik_district_code": district,
                    "full_name": name,
                    "name_search": normalize_name(name),
                    "name_tokens": normalize_name(name).split(),
                    "birth_place": "Mataram",
                    "birth_date": birth,
                    "sex": sex,
                    "address": f"Jl. Pejanggik {number % 200 + 1}",
                    "province_id": regency[:2],
                    "regency_id": regency,
                    "district_id": district,
                    "village_id": village,
                    "occupation": "Pedagang",
                    "kind": "bpu",
                    "monthly_income": 1_500_000,
                    "heir_name": f"{heir} {_FAMILY[number // 3 % len(_FAMILY)]}",
                    "heir_relation": _HEIRS[number % len(_HEIRS)],
                    "office_id": office_id,
                    "created_by_id": operator.pk,
                }
                if len(people) == wanted:
                    taken = Member.objects.filter(nik_digest__in=people).values_list("nik_digest", flat=True)
                    for digest in list(taken):
                        del people[digest]
            member_ids = _copy_insert(Member, list(people.values()))
            submitted = [now - timedelta(seconds=(pk * 7919) % (5 * 24 * 3600)) for pk in member_ids]
            ids += _copy_insert(
                Enrollment,
                [
                    {
                        "member_id": pk,
                        "kind": "bpu",
                        "requested_start": today,
                        "status": EnrollmentStatus.SUBMITTED.value,
                        "submitted_by_id": operator.pk,
                        "submitted_office_id": office_id,
                        "submitted_at": at,
                        "status_changed_at": at,
                    }
                    for pk, at in zip(member_ids, submitted, strict=True)
                ],
            )
    return ids


def make_programme(province: str = "52", **fields: Any):
    """A regional-budget sponsor programme covering 2021 to 2027, paying everything."""
    from contributions.models import SponsorProgramme

    defaults = {
        "name": f"Program APBD {province}",
        "sponsor": f"Pemerintah Provinsi {province}",
        "province_id": province,
        "first_month": date(2021, 1, 1),
        "last_month": date(2027, 12, 1),
    }
    return SponsorProgramme.objects.create(**{**defaults, **fields})
