"""Writes to offices, users and second factors. Each change is audited with its changed fields."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from umkm_enroll.audit.services import audit_record, diff, snapshot

from .models import Office, User

OFFICE_FIELDS = ["kind", "name", "province", "regency", "parent", "address", "phone", "email", "active"]
USER_FIELDS = ["username", "first_name", "last_name", "email", "phone", "office", "roles", "is_active"]


def _office_region_consistent(office: Office) -> None:
    # A regency office's province follows from its regency.
    if office.regency is not None:
        office.province_id = office.regency.province_id


@transaction.atomic
def office_create(*, data: dict[str, Any], served_regencies: list | None = None, actor: User) -> Office:
    office = Office(**data)
    _office_region_consistent(office)
    office.full_clean()
    office.save()
    if served_regencies is not None:
        office.served_regencies.set(served_regencies)
    after = snapshot(office, [*OFFICE_FIELDS, "served_regencies"])
    audit_record(actor=actor, action="accounts.office.created", target=office, changes=diff({}, after))
    return office


@transaction.atomic
def office_update(
    *, office: Office, data: dict[str, Any], served_regencies: list | None = None, actor: User
) -> Office:
    office = Office.objects.select_for_update().get(pk=office.pk)
    before = snapshot(office, [*OFFICE_FIELDS, "served_regencies"])
    for name, value in data.items():
        setattr(office, name, value)
    _office_region_consistent(office)
    office.full_clean()
    office.save()
    if served_regencies is not None:
        office.served_regencies.set(served_regencies)
    changes = diff(before, snapshot(office, [*OFFICE_FIELDS, "served_regencies"]))
    if changes:
        audit_record(actor=actor, action="accounts.office.updated", target=office, changes=changes)
    return office


@transaction.atomic
def user_create(*, data: dict[str, Any], password: str, actor: User | None) -> User:
    user = User(**data)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="accounts.user.created",
        target=user,
        changes=diff({}, snapshot(user, USER_FIELDS)),
    )
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any], actor: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, USER_FIELDS)
    for name, value in data.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if changes:
        audit_record(actor=actor, action="accounts.user.updated", target=user, changes=changes)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: User) -> None:
    from axes.utils import reset as axes_reset

    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # A user locked out by wrong passwords is told to ask for a new one: the new password lifts the lock.
    unlocked = axes_reset(username=user.get_username())
    audit_record(
        actor=actor,
        action="accounts.user.password_set",
        target=user,
        changes={"lockout_lifted": (None, True)} if unlocked else None,
    )


@transaction.atomic
def user_reset_two_factor(*, user: User, actor: User) -> int:
    """Remove the user's TOTP devices: at the next sign-in they set up a new one."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="accounts.user.two_factor_reset",
        target=user,
        changes={"totp_devices": (removed, 0)},
    )
    return removed


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed device being set up (one at a time), created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str, actor: User) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    audit_record(actor=actor, action="accounts.two_factor.enrolled", target=device.user)
    return True
