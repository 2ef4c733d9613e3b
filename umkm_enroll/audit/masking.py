"""Masking of personal data for display, exports and the audit log (plain functions, no Django).

A NIK shows its first 6 digits (the region) and last 4; a phone its country/operator prefix and last 3
digits; an e-mail the first letter of the mailbox; a name its initials; anything else personal is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DIGITS = re.compile(r"\D")


def mask_nik(value: str | None) -> str:
    if not value:
        return ""
    digits = _DIGITS.sub("", value)
    if len(digits) < 10:
        return "*" * len(digits)
    return f"{digits[:6]}******{digits[-4:]}"


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    keep_head = 5 if value.startswith("+") else 4
    if len(value) <= keep_head + 3:
        return "*" * len(value)
    return value[:keep_head] + "*" * (len(value) - keep_head - 3) + value[-3:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return "***" if value else ""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(value: str | None) -> str:
    """'Siti Aminah Rahayu' -> 'S*** A*** R***'."""
    if not value:
        return ""
    return " ".join(f"{word[:1]}***" for word in value.split())


def mask_hidden(value: object) -> str:
    return "" if value in (None, "") else "***"


MASKERS: dict[str, Callable[[str | None], str]] = {
    "nik": mask_nik,
    "kk": mask_nik,
    "phone": mask_phone,
    "email": mask_email,
    "name": mask_name,
    "hidden": mask_hidden,
}


def mask(kind: str, value: object) -> str:
    return MASKERS[kind](None if value is None else str(value))
