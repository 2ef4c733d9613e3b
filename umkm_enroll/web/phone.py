"""Indonesian mobile numbers as E.164 (plain functions, no Django).

People write the same number as "0812-3456-7890", "+62 812 3456 7890" or "6281234567890"; it is stored
once, as "+6281234567890", so that searching and de-duplicating work. Only mobiles are accepted: the
national number after the trunk 0 (or after 62) starts with 8 and has 9 to 12 digits. The `phonenumbers`
package would also know landlines and operator ranges, but a cooperative's or a member's contact is a
mobile, and this check needs no dependency.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "62"
# Separators people type between groups of digits.
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NATIONAL_MOBILE = re.compile(r"8[1-9][0-9]{7,10}")
E164_MOBILE = re.compile(r"\+628[1-9][0-9]{7,10}")


def normalize_phone(raw: str) -> str:
    """'0812-3456-7890', '+62 812 3456 7890' or '6281234567890' -> '+6281234567890'.

    Raises ValueError when `raw` is not an Indonesian mobile number.
    """
    compact = _SEPARATORS.sub("", raw or "")
    if compact.startswith("+"):
        if not compact.startswith("+" + COUNTRY_CODE):
            raise ValueError("not an Indonesian number: the country code must be +62")
        national = compact[1 + len(COUNTRY_CODE) :]
    elif compact.startswith(COUNTRY_CODE):
        national = compact[len(COUNTRY_CODE) :]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        raise ValueError("a mobile number starts with 08, +628 or 628")
    # "+62 0812..." is a common way of writing the trunk 0 after the country code.
    if national.startswith("0"):
        national = national[1:]
    if not _NATIONAL_MOBILE.fullmatch(national):
        raise ValueError("a mobile number has 10 to 13 digits written 08..., the first after 0 being 8")
    return f"+{COUNTRY_CODE}{national}"


def is_e164_mobile(value: str) -> bool:
    return bool(E164_MOBILE.fullmatch(value))
