"""factory_boy factories shared by the tests."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import factory
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
