"""factory_boy factories shared by the tests."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.regions.models import Regency

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


def confirmed_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="uji", confirmed=True)


def current_token(device: TOTPDevice) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
