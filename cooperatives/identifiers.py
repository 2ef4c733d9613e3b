"""A cooperative's registry numbers, checked lightly (plain functions, no Django).

The Nomor Induk Koperasi (NIK koperasi) comes from the ministry's registry and the AHU number is the
Ministry of Law's legal-entity decree ("AHU-0001234.AH.01.26.TAHUN 2019"). Both have been written in
several formats over the years, so only their shape is checked; each function returns the value as it
is stored ("" for none) or raises ValueError.
"""

from __future__ import annotations

import re

# Digits, with dots or dashes between groups; 10 to 20 characters.
NIK_KOPERASI = re.compile(r"[0-9][0-9.-]{8,18}[0-9]")
AHU_PREFIX = "AHU-"
# Upper case, starting with the prefix, something after it.
AHU_NUMBER = re.compile(r"AHU-[^a-z\s][^a-z]*")
AHU_MAX_LENGTH = 100


def normalize_nik_koperasi(raw: str) -> str:
    """' 5271.0100.1000.1 ' -> '5271.0100.1000.1'. Spaces are dropped; nothing else is changed."""
    value = "".join((raw or "").split())
    if value and not NIK_KOPERASI.fullmatch(value):
        raise ValueError("a Nomor Induk Koperasi is 10 to 20 digits, dots and dashes")
    return value


def normalize_ahu_number(raw: str) -> str:
    """'ahu-0001234.ah.01.26.tahun  2019' -> 'AHU-0001234.AH.01.26.TAHUN 2019'."""
    value = " ".join((raw or "").split()).upper()
    if value and not (AHU_NUMBER.fullmatch(value) and len(value) <= AHU_MAX_LENGTH):
        raise ValueError("an AHU decree number starts with AHU-")
    return value
