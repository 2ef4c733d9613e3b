"""The rules for one row of a people list (plain Python, no database; tested without Django's models).

A row of an Excel or CSV list becomes the values of a registry record, or a list of problems, each naming
the column as written in the file, what is wrong and how to fix it. The rules are those of the registry
form (members/forms.py MemberForm) plus the traps of spreadsheets:

- NIKs that Excel stored as numbers: 16 digits do not fit in Excel's 15 significant digits, so the last
  digit became 0 (shown as 3,20123E+15). Such a NIK is refused with the fix (format the column as Text
  and type or paste the NIKs again); a number cell is only trusted when it cannot have been rounded.
- dates as date cells, Excel serial numbers, dd/mm/yyyy, dd-mm-yy, yyyy-mm-dd or "12 Mei 1980";
- stray spaces and capitals, phone numbers in every local form (and as numbers that lost their leading 0);
- region names instead of codes ("Kab. Lombok Barat", "KOTA MATARAM", "Kec. Ampenan", "52.71", "5271").

Everything a row needs from the database (regions, cooperatives, employers, the user's area) is given in
a `Catalog`, built once per file by members/imports.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from umkm_enroll.spreadsheets import CellError, cell_text, normalize_header, parse_date
from umkm_enroll.web.fields import parse_rupiah
from umkm_enroll.web.phone import normalize_phone

from . import nik as nik_rules
from .names import name_tokens, normalize_name, tidy_name
from .nik_messages import nik_message

# Excel keeps 15 significant digits: a bigger whole number read from a cell may have been rounded, and
# a float cannot hold every integer above 2**53 either.
EXACT_DIGITS = 15
# A monthly income or wage above this is a typing slip (and a number cell of 1E+300 would not fit the
# registry's column, failing the whole chunk of the check).
MAX_AMOUNT = 10**12
_SCIENTIFIC = re.compile(r"^[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$")
_CODE = re.compile(r"^[0-9]{2}(?:[.\s]?[0-9]{2}(?:[.\s]?[0-9]{2}(?:[.\s]?[0-9]{4})?)?)?$")
_REGENCY_PREFIXES = ("kabupaten ", "kab ", "kota administrasi ", "kotamadya ", "kodya ", "kota ")
_DISTRICT_PREFIXES = ("kecamatan ", "kec ", "distrik ")
_VILLAGE_PREFIXES = ("desa ", "kelurahan ", "kel ", "ds ", "gampong ", "nagari ", "kampung ")
MAX_TEXT = {
    "full_name": 150,
    "birth_place": 100,
    "address": 300,
    "occupation": 120,
    "business_name": 150,
    "heir_name": 150,
    "email": 254,
}


@dataclass(frozen=True)
class ImportField:
    name: str
    header: Any  # the column's header in the template (lazy translation)
    aliases: frozenset[str]
    required: bool = False


def _aliases(*names: str) -> frozenset[str]:
    return frozenset(normalize_header(name) for name in names)


# The columns of a people list, in the template's order. Aliases are compared after `normalize_header`
# (lower case, letters and digits only), so "No. KTP", "NO KTP" and "no_ktp" are one.
FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "nik",
        gettext_lazy("NIK"),
        _aliases(
            "nik",
            "no nik",
            "nomor nik",
            "nik ktp",
            "no ktp",
            "nomor ktp",
            "no e ktp",
            "nik e ktp",
            "nomor induk kependudukan",
            "nik pemilik",
            "nik pelaku usaha",
            "nik peserta",
            "ktp",
        ),
        required=True,
    ),
    ImportField(
        "kk",
        gettext_lazy("Family card no."),
        _aliases("no kk", "nomor kk", "kk", "no kartu keluarga", "nomor kartu keluarga"),
    ),
    ImportField(
        "full_name",
        gettext_lazy("Full name"),
        _aliases(
            "nama",
            "nama lengkap",
            "nama peserta",
            "nama pelaku usaha",
            "nama pemilik",
            "nama sesuai ktp",
            "nama penerima",
            "nama pemilik usaha",
            "nama anggota",
            "name",
            "full name",
        ),
        required=True,
    ),
    ImportField(
        "birth_place",
        gettext_lazy("Place of birth"),
        _aliases("tempat lahir", "tmp lahir", "tmpt lahir", "tempat lhr", "place of birth"),
        required=True,
    ),
    ImportField(
        "birth_date",
        gettext_lazy("Date of birth"),
        _aliases(
            "tanggal lahir",
            "tgl lahir",
            "tgl lhr",
            "tanggal lhr",
            "tgl lahir dd mm yyyy",
            "date of birth",
            "birth date",
        ),
        required=True,
    ),
    ImportField(
        "birth_place_date",
        gettext_lazy("Place and date of birth"),
        _aliases("tempat tanggal lahir", "tempat tgl lahir", "ttl", "tempat tgl lhr"),
    ),
    ImportField(
        "sex",
        gettext_lazy("Sex (L/P)"),
        _aliases("jenis kelamin", "jenis kelamin l p", "l p", "jk", "kelamin", "gender", "sex", "lp"),
        required=True,
    ),
    ImportField(
        "address",
        gettext_lazy("Address"),
        _aliases(
            "alamat",
            "alamat lengkap",
            "alamat rumah",
            "alamat domisili",
            "alamat ktp",
            "alamat usaha",
            "address",
        ),
        required=True,
    ),
    ImportField(
        "province",
        gettext_lazy("Province"),
        _aliases("provinsi", "prov", "propinsi", "kode provinsi", "province"),
    ),
    ImportField(
        "regency",
        gettext_lazy("Regency/City"),
        _aliases(
            "kabupaten kota",
            "kab kota",
            "kabupaten",
            "kota",
            "kab",
            "kota kabupaten",
            "kode kab kota",
            "kabupaten kota domisili",
            "regency",
            "city",
        ),
        required=True,
    ),
    ImportField(
        "district",
        gettext_lazy("District"),
        _aliases("kecamatan", "kec", "distrik", "kode kecamatan", "district"),
        required=True,
    ),
    ImportField(
        "village",
        gettext_lazy("Village"),
        _aliases(
            "desa kelurahan",
            "desa",
            "kelurahan",
            "kel",
            "desa kel",
            "kel desa",
            "kelurahan desa",
            "kode desa",
            "village",
        ),
        required=True,
    ),
    ImportField(
        "phone",
        gettext_lazy("Mobile no."),
        _aliases(
            "no hp",
            "nomor hp",
            "hp",
            "no handphone",
            "nomor handphone",
            "no telp",
            "no telepon",
            "nomor telepon",
            "telepon",
            "telp",
            "no wa",
            "nomor wa",
            "no whatsapp",
            "phone",
            "mobile",
        ),
    ),
    ImportField("email", gettext_lazy("Email"), _aliases("email", "e mail", "alamat email", "surel")),
    ImportField(
        "occupation",
        gettext_lazy("Occupation or business type"),
        _aliases(
            "pekerjaan",
            "jenis usaha",
            "bidang usaha",
            "sektor usaha",
            "jenis pekerjaan",
            "usaha",
            "kategori usaha",
            "occupation",
        ),
        required=True,
    ),
    ImportField(
        "business_name",
        gettext_lazy("Business name"),
        _aliases("nama usaha", "nama umkm", "nama toko", "business name"),
    ),
    ImportField("nib", gettext_lazy("NIB"), _aliases("nib", "no nib", "nomor nib", "nomor induk berusaha")),
    ImportField(
        "kind",
        gettext_lazy("Participant kind (BPU/PU)"),
        _aliases(
            "jenis peserta", "kategori peserta", "bpu pu", "segmen", "segmen peserta", "participant kind"
        ),
    ),
    ImportField(
        "monthly_income",
        gettext_lazy("Monthly income (Rp)"),
        _aliases(
            "penghasilan",
            "penghasilan per bulan",
            "penghasilan bulanan",
            "pendapatan",
            "pendapatan per bulan",
            "penghasilan rp",
            "monthly income",
        ),
    ),
    ImportField(
        "monthly_wage",
        gettext_lazy("Monthly wage (Rp)"),
        _aliases("upah", "upah per bulan", "gaji", "gaji per bulan", "upah rp", "monthly wage"),
    ),
    ImportField(
        "cooperative",
        gettext_lazy("Cooperative (registration no. or name)"),
        _aliases(
            "koperasi",
            "nama koperasi",
            "nik koperasi",
            "no induk koperasi",
            "nomor induk koperasi",
            "cooperative",
        ),
    ),
    ImportField(
        "employer_nik",
        gettext_lazy("Employer's NIK"),
        _aliases("nik pemberi kerja", "nik majikan", "nik pemilik usaha", "employer nik"),
    ),
    ImportField(
        "employer_cooperative",
        gettext_lazy("Employer cooperative"),
        _aliases("koperasi pemberi kerja", "pemberi kerja koperasi", "employer cooperative"),
    ),
    ImportField(
        "aid_bpum",
        gettext_lazy("BPUM recipient (Ya/Tidak)"),
        _aliases("bpum", "penerima bpum", "bpum ya tidak"),
    ),
    ImportField(
        "aid_kur", gettext_lazy("KUR recipient (Ya/Tidak)"), _aliases("kur", "penerima kur", "kur ya tidak")
    ),
    ImportField(
        "heir_name",
        gettext_lazy("Heir's name"),
        _aliases("ahli waris", "nama ahli waris", "heir", "heir name"),
    ),
    ImportField(
        "heir_relation",
        gettext_lazy("Heir's relation"),
        _aliases("hubungan ahli waris", "hubungan", "hubungan keluarga", "heir relation"),
    ),
    ImportField(
        "heir_phone",
        gettext_lazy("Heir's mobile no."),
        _aliases("no hp ahli waris", "hp ahli waris", "telepon ahli waris", "heir phone"),
    ),
)
FIELD_BY_NAME = {item.name: item for item in FIELDS}
ALIASES = {alias: item.name for item in FIELDS for alias in item.aliases}


@lru_cache(maxsize=1)
def header_names() -> dict[str, str]:
    """The aliases plus each field's header as the template writes it, in Indonesian and in English, so a
    filled template always reads back column by column."""
    from django.utils import translation

    names = dict(ALIASES)
    for language in ("id", "en"):
        with translation.override(language):
            for item in FIELDS:
                names.setdefault(normalize_header(str(item.header)), item.name)
    return names


SEX = {
    "l": "L",
    "lk": "L",
    "laki laki": "L",
    "laki": "L",
    "lakilaki": "L",
    "pria": "L",
    "m": "L",
    "male": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
    "w": "P",
    "f": "P",
    "female": "P",
}
KIND = {
    "bpu": "bpu",
    "bukan penerima upah": "bpu",
    "mandiri": "bpu",
    "pekerja mandiri": "bpu",
    "pu": "pu",
    "penerima upah": "pu",
    "pekerja": "pu",
    "karyawan": "pu",
}
YES = {"ya", "y", "yes", "1", "true", "v", "x", "benar", "penerima"}
NO = {"tidak", "t", "tdk", "no", "n", "0", "false", "bukan", ""}
HEIR_RELATION = {
    "suami": "spouse",
    "istri": "spouse",
    "isteri": "spouse",
    "suami istri": "spouse",
    "pasangan": "spouse",
    "spouse": "spouse",
    "anak": "child",
    "anak kandung": "child",
    "child": "child",
    "orang tua": "parent",
    "orangtua": "parent",
    "ayah": "parent",
    "ibu": "parent",
    "bapak": "parent",
    "parent": "parent",
    "saudara": "sibling",
    "saudara kandung": "sibling",
    "kakak": "sibling",
    "adik": "sibling",
    "sibling": "sibling",
    "lainnya": "other",
    "lain lain": "other",
    "other": "other",
}
PROVINCE_ABBREVIATIONS = {
    "ntb": "52",
    "ntt": "53",
    "dki": "31",
    "dki jakarta": "31",
    "jakarta": "31",
    "diy": "34",
    "yogyakarta": "34",
    "jabar": "32",
    "jateng": "33",
    "jatim": "35",
    "sumut": "12",
    "sumbar": "13",
    "sumsel": "16",
    "sulut": "71",
    "sulteng": "72",
    "sulsel": "73",
    "sultra": "74",
    "sulbar": "76",
    "kalbar": "61",
    "kalteng": "62",
    "kalsel": "63",
    "kaltim": "64",
    "kaltara": "65",
    "babel": "19",
    "kepri": "21",
    "malut": "82",
    "nad": "11",
    "aceh": "11",
}


@dataclass
class Catalog:
    """What the rules need from the database, loaded once per file."""

    regions: nik_rules.RegionCatalog
    today: date
    # Names and codes, normalised: province name -> code; regency full name ("kabupaten bima") -> code;
    # bare regency name ("bima") -> codes; regency code -> province code.
    provinces: dict[str, str] = field(default_factory=dict)
    regencies: dict[str, str] = field(default_factory=dict)
    regencies_bare: dict[str, list[str]] = field(default_factory=dict)
    regency_province: dict[str, str] = field(default_factory=dict)
    # (regency code, name) -> district code; district codes; (district code, name) -> village code.
    districts: dict[tuple[str, str], str] = field(default_factory=dict)
    district_codes: set[str] = field(default_factory=set)
    villages: dict[tuple[str, str], str] = field(default_factory=dict)
    village_codes: set[str] = field(default_factory=set)
    # The user's area: None for everything, else the regency codes.
    allowed_regencies: frozenset[str] | None = None
    default_regency: str = ""
    # Cooperatives the user sees: registration number or normalised name -> id.
    cooperatives: dict[str, int] = field(default_factory=dict)
    # Employers already registered and visible: NIK digest -> member id (filled by the caller).
    employers: dict[str, int] = field(default_factory=dict)
    digest: Callable[[str], str] | None = None
    # Values for columns the file does not have (chosen when the mapping is confirmed).
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass
class Problem:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


@dataclass
class RowResult:
    values: dict[str, Any]
    problems: list[Problem]
    nik: str = ""
    nik_info: nik_rules.NikInfo | None = None
    kk: str = ""
    warnings: list[str] = field(default_factory=list)


def key(text: str) -> str:
    """A region or cooperative name as compared: lower case, letters and digits, single spaces."""
    return normalize_header(text)


def strip_prefix(name: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _code(text: str, parts: int) -> str | None:
    """'52.71', '5271', '52 71' -> '52.71' when the text is a code of `parts` parts (2, 4, 6 or 10 digits)."""
    if not _CODE.fullmatch(text):
        return None
    digits = re.sub(r"[.\s]", "", text)
    sizes = {1: 2, 2: 4, 3: 6, 4: 10}
    if len(digits) != sizes[parts]:
        return None
    pieces = [digits[0:2], digits[2:4], digits[4:6], digits[6:10]][:parts]
    return ".".join(pieces)


def _child_code(
    written: str,
    parts: int,
    codes: set[str],
    names: dict[tuple[str, str], str],
    parent: str,
    prefixes: tuple[str, ...],
) -> str:
    """A district or village written as its code or its name (with or without "Kec."/"Desa"), found
    within `parent`; "" when it is not one of the parent's."""
    code = _code(written, parts) or ""
    if code and code not in codes:
        code = ""
    if not code:
        name = key(written)
        code = names.get((parent, name)) or names.get((parent, strip_prefix(name, prefixes)), "")
    return code if code.startswith(parent + ".") else ""


class RowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    if type(value) is str:  # most cells: the same as below, without the type tests
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(cell_text(value).split())


def read_identity_number(value: Any, *, what: Any) -> str:
    """A NIK or family card number from a cell: text as typed, or a number cell that cannot have been
    rounded. Raises RowError for Excel's scientific notation and for rounded numbers."""

    def fix() -> RowError:
        return RowError(
            _(
                "Excel stored the %(what)s as a number and lost its last digits (16 digits do not fit in "
                "a number cell). Format the column as Text, type or paste the numbers again from the "
                "source, and upload the file again."
            )
            % {"what": what}
        )

    if isinstance(value, str):
        text = value.strip()
        if "E" not in text and "e" not in text:
            return text
    if isinstance(value, bool):
        raise fix()
    if isinstance(value, float):
        if not value.is_integer() or value >= 2**53:
            raise fix()
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        if len(digits) > EXACT_DIGITS and digits.endswith("0"):
            raise fix()
        return digits
    text = cell_text(value)
    if _SCIENTIFIC.fullmatch(text.replace(" ", "")):
        raise RowError(
            _(
                "The %(what)s shows as %(value)s: Excel turned it into a number and its last digits are "
                "lost. Format the column as Text, type or paste the numbers again from the source, and "
                "upload the file again."
            )
            % {"what": what, "value": text}
        )
    return text


def read_birth_date(value: Any, today: date) -> date:
    """A date of birth; two-digit years are the past century's when 20YY would be in the future."""
    if isinstance(value, str):
        text = value.strip()
        # dd/mm/yy: parse_date reads the year as 20yy.
        match = re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2})", text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                found = date(2000 + year, month, day)
            except ValueError:
                raise CellError("unreadable") from None
            return found if found <= today else found.replace(year=1900 + year)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, timedelta):
        raise CellError("unreadable")
    return parse_date(value)


def read_amount(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("unreadable")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError("cents")
        amount = int(value)
    else:
        try:
            amount = parse_rupiah(cell_text(value))
        except ValueError as error:
            raise CellError(str(error)) from None
    if amount > MAX_AMOUNT:
        raise CellError("too_large")
    return amount


def read_phone(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("unreadable")
        digits = str(int(value))
        # A number cell drops the leading 0 of 0812...: Excel shows 812...
        value = "0" + digits if digits.startswith("8") else digits
    return normalize_phone(cell_text(value))


class RowReader:
    """Reads rows with one mapping (field -> column index) and one catalog."""

    def __init__(self, mapping: Mapping[str, int], headers: Mapping[str, str], catalog: Catalog) -> None:
        self.mapping = dict(mapping)
        self.headers = dict(headers)
        self.catalog = catalog
        # A list repeats its places, dates, amounts and codes: each distinct cell is worked out once
        # (150,000 rows of one province name a few thousand villages).
        self._keys: dict[tuple[type, Any], str] = {}
        self._dates: dict[tuple[type, Any], date | CellError] = {}
        self._amounts: dict[tuple[type, Any], int | CellError] = {}
        self._regions: dict[tuple[Any, ...], tuple[dict[str, Any], list[tuple[str, str]]]] = {}

    def key_of(self, value: Any) -> str:
        """key(_text(value)), remembered."""
        # Keyed with the type: True == 1 == 1.0 in Python, but not as cells.
        memo = (type(value), value)
        try:
            return self._keys[memo]
        except KeyError:
            found = self._keys[memo] = key(_text(value))
            return found
        except TypeError:  # not hashable
            return key(_text(value))

    def birth_date_of(self, value: Any) -> date:
        memo = (type(value), value)
        found = self._dates.get(memo)
        if found is None:
            try:
                found = read_birth_date(value, self.catalog.today)
            except CellError as error:
                found = error
            self._dates[memo] = found
        if isinstance(found, CellError):
            raise found
        return found

    def amount_of(self, value: Any) -> int:
        memo = (type(value), value)
        found = self._amounts.get(memo)
        if found is None:
            try:
                found = read_amount(value)
            except CellError as error:
                found = error
            self._amounts[memo] = found
        if isinstance(found, CellError):
            raise found
        return found

    def column(self, name: str) -> str:
        return self.headers.get(name) or str(FIELD_BY_NAME[name].header)

    def read(self, cells: list[Any]) -> RowResult:
        raw: dict[str, Any] = {}
        for name, index in self.mapping.items():
            value = cells[index] if index < len(cells) else None
            if value is not None and value != "":
                raw[name] = value
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        result = RowResult(values=values, problems=problems)

        def problem(name: str, message: str) -> None:
            problems.append(Problem(self.column(name), message))

        def text(name: str) -> str:
            value = raw.get(name)
            if value is None:
                return ""
            found = _text(value)
            limit = MAX_TEXT.get(name)
            if limit and len(found) > limit:
                problem(
                    name,
                    _("Too long (%(length)s characters, at most %(limit)s): shorten it.")
                    % {"length": len(found), "limit": limit},
                )
                return found[:limit]
            return found

        def required(name: str, found: Any) -> Any:
            if found in (None, ""):
                problem(name, _("Empty: fill it in (the registry requires it)."))
            return found

        # --- identity ---
        nik_text = ""
        try:
            nik_text = read_identity_number(raw.get("nik", ""), what="NIK")
        except RowError as error:
            problem("nik", error.message)
        kk = ""
        if "kk" in raw:
            try:
                kk = nik_rules.normalize(
                    read_identity_number(raw["kk"], what=gettext_lazy("family card number"))
                )
                if kk and (not kk.isdigit() or len(kk) != 16):
                    problem("kk", _("A family card number has 16 digits: check it against the card."))
                    kk = ""
            except RowError as error:
                problem("kk", error.message)
        result.kk = kk
        full_name = tidy_name(text("full_name"))
        values["full_name"] = required("full_name", full_name)
        # Compatibility characters may unfold into several letters: kept within the registry's column.
        values["name_search"] = normalize_name(full_name)[: MAX_TEXT["full_name"]]
        values["name_tokens"] = name_tokens(values["name_search"])

        birth_place = text("birth_place")
        birth_date: date | None = None
        if "birth_place_date" in raw and ("birth_place" not in raw or "birth_date" not in raw):
            combined = _text(raw["birth_place_date"])
            place, _comma, when = combined.rpartition(",")
            if not _comma:
                problem("birth_place_date", _("Write it as “place, dd/mm/yyyy”, e.g. “Mataram, 12/05/1980”."))
            else:
                birth_place = birth_place or place.strip()
                raw.setdefault("birth_date", when.strip())
        values["birth_place"] = required("birth_place", birth_place)
        if "birth_date" in raw:
            try:
                birth_date = self.birth_date_of(raw["birth_date"])
                if birth_date > self.catalog.today:
                    problem(
                        "birth_date",
                        _("The date of birth %(date)s is in the future: check it.")
                        % {"date": birth_date.strftime("%d/%m/%Y")},
                    )
                    birth_date = None
                elif birth_date.year < 1900:
                    problem(
                        "birth_date",
                        _("The date of birth %(date)s is before 1900: check it.")
                        % {"date": birth_date.strftime("%d/%m/%Y")},
                    )
                    birth_date = None
            except CellError:
                problem(
                    "birth_date",
                    _("“%(value)s” is not a date: write it as dd/mm/yyyy, e.g. 12/05/1980.")
                    % {"value": _text(raw["birth_date"])[:30]},
                )
        else:
            problem("birth_date", _("Empty: fill in the date of birth as dd/mm/yyyy."))
        values["birth_date"] = birth_date

        sex = ""
        if "sex" in raw:
            sex = SEX.get(self.key_of(raw["sex"]), "")
            if not sex:
                problem(
                    "sex",
                    _("“%(value)s” is not a sex: write L (male) or P (female).")
                    % {"value": _text(raw["sex"])[:20]},
                )
        else:
            problem("sex", _("Empty: write L (male) or P (female)."))
        values["sex"] = sex

        if nik_text or "nik" not in raw:
            check = nik_rules.parse(nik_text, regions=self.catalog.regions, today=self.catalog.today)
            issues = list(check.issues)
            if check.info is not None and (birth_date or sex):
                issues += nik_rules.check_against(check.info, birth_date=birth_date, sex=sex or None)
            errors = [issue for issue in issues if issue.severity == "error"]
            for issue in errors:
                problem("nik", nik_message(issue))
            result.warnings = [nik_message(issue) for issue in issues if issue.severity == "warning"]
            if not errors:
                result.nik = check.nik
                result.nik_info = check.info

        # --- address ---
        values["address"] = required("address", text("address"))
        self._region(raw, values, problem)

        # --- contact ---
        for name in ("phone", "heir_phone"):
            values[name] = ""
            if name in raw:
                try:
                    values[name] = read_phone(raw[name])
                except ValueError:
                    problem(
                        name,
                        _("“%(value)s” is not an Indonesian mobile number: write it as 08…, +628… or 628….")
                        % {"value": _text(raw[name])[:20]},
                    )
        email = text("email").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problem(
                    "email",
                    _("“%(value)s” is not an email address: check it or leave it empty.")
                    % {"value": email[:40]},
                )
                email = ""
        values["email"] = email

        # --- work ---
        values["occupation"] = required(
            "occupation", text("occupation") or self.catalog.defaults.get("occupation", "")
        )
        values["business_name"] = text("business_name")
        nib = re.sub(r"[\s.\-]", "", _text(raw["nib"])) if "nib" in raw else ""
        if nib and (not nib.isdigit() or len(nib) != 13):
            problem("nib", _("An NIB has 13 digits: check it in the OSS system, or leave it empty."))
            nib = ""
        values["nib"] = nib
        kind = self.catalog.defaults.get("kind", "")
        if "kind" in raw:
            kind = KIND.get(self.key_of(raw["kind"]), "")
            if not kind:
                problem(
                    "kind",
                    _("“%(value)s” is not a participant kind: write BPU (self-employed) or PU (wage earner).")
                    % {"value": _text(raw["kind"])[:20]},
                )
        elif not kind:
            problem("kind", _("Empty: write BPU (self-employed) or PU (wage earner)."))
        values["kind"] = kind
        for name in ("monthly_income", "monthly_wage"):
            amount = None
            if name in raw:
                try:
                    amount = self.amount_of(raw[name])
                    if amount < 0:
                        raise CellError("negative")
                except CellError:
                    problem(
                        name,
                        _("“%(value)s” is not an amount: write whole rupiah, e.g. 1.000.000 or 1000000.")
                        % {"value": _text(raw[name])[:30]},
                    )
                    amount = None
            values[name] = amount
        if values["monthly_income"] is None and "monthly_income" not in self.mapping:
            values["monthly_income"] = self.catalog.defaults.get("monthly_income")
        values["cooperative_id"] = self._cooperative(raw, "cooperative", problem)
        values["employer_cooperative_id"] = self._cooperative(raw, "employer_cooperative", problem)
        values["employer_member_id"] = None
        if "employer_nik" in raw:
            try:
                employer_nik = nik_rules.normalize(
                    read_identity_number(raw["employer_nik"], what=gettext_lazy("employer's NIK"))
                )
                digest = self.catalog.digest(employer_nik) if self.catalog.digest else ""
                employer = self.catalog.employers.get(digest)
                if employer is None:
                    problem(
                        "employer_nik",
                        _(
                            "No registered person in your area has this NIK: register the employer first, "
                            "then upload this row again."
                        ),
                    )
                values["employer_member_id"] = employer
            except RowError as error:
                problem("employer_nik", error.message)
        if kind == "bpu":
            values["monthly_wage"] = None
            values["employer_member_id"] = values["employer_cooperative_id"] = None
            if not values["monthly_income"]:
                problem(
                    "monthly_income",
                    _("A BPU participant declares a monthly income: fill it in, e.g. 1.000.000."),
                )
        elif kind == "pu":
            values["monthly_income"] = None
            if not values["monthly_wage"]:
                problem("monthly_wage", _("A wage earner (PU) needs the monthly wage: fill it in."))
            employers = [values["employer_member_id"], values["employer_cooperative_id"]]
            if not any(employers) and not ({"employer_nik", "employer_cooperative"} & set(raw)):
                problem(
                    "employer_nik",
                    _(
                        "A wage earner (PU) needs an employer: the employer's NIK or the employer "
                        "cooperative."
                    ),
                )
            elif all(employers):
                problem("employer_cooperative", _("Give one employer only: a person's NIK or a cooperative."))
        values["aid_bpum"] = self._yes_no(raw, "aid_bpum", problem)
        values["aid_kur"] = self._yes_no(raw, "aid_kur", problem)

        # --- heir ---
        values["heir_name"] = tidy_name(text("heir_name"))
        relation = ""
        if "heir_relation" in raw:
            relation = HEIR_RELATION.get(self.key_of(raw["heir_relation"]), "")
            if not relation:
                problem(
                    "heir_relation",
                    _(
                        "“%(value)s” is not a relation: write Suami/Istri, Anak, Orang tua, Saudara or "
                        "Lainnya."
                    )
                    % {"value": _text(raw["heir_relation"])[:20]},
                )
        values["heir_relation"] = relation
        return result

    def _yes_no(self, raw: dict[str, Any], name: str, problem: Callable[[str, str], None]) -> bool:
        if name not in raw:
            return False
        value = raw[name]
        if isinstance(value, bool):
            return value
        found = self.key_of(value)
        if found in YES:
            return True
        if found in NO:
            return False
        problem(name, _("“%(value)s”: write Ya or Tidak.") % {"value": _text(value)[:20]})
        return False

    def _cooperative(self, raw: dict[str, Any], name: str, problem: Callable[[str, str], None]) -> int | None:
        if name not in raw:
            return None
        found = self.catalog.cooperatives.get(self.key_of(raw[name]))
        if found is None:
            problem(
                name,
                _(
                    "No cooperative in your area has this name or registration number: check it, or "
                    "register the cooperative first."
                ),
            )
        return found

    def _region(
        self, raw: dict[str, Any], values: dict[str, Any], problem: Callable[[str, str], None]
    ) -> None:
        """The region columns, worked out once per distinct combination of cells."""
        get = raw.get
        province, regency, district, village = (
            get("province"),
            get("regency"),
            get("district"),
            get("village"),
        )
        # Keyed with the types too: True == 1 == 1.0 in Python, but not as cells.
        cells = (
            province,
            regency,
            district,
            village,
            type(province),
            type(regency),
            type(district),
            type(village),
        )
        try:
            found, problems = self._regions[cells]
        except KeyError:
            found, problems = {}, []
            self._resolve_region(raw, found, lambda name, message: problems.append((name, message)))
            self._regions[cells] = (found, problems)
        except TypeError:  # a cell that is not hashable
            self._resolve_region(raw, values, problem)
            return
        values.update(found)
        for name, message in problems:
            problem(name, message)

    def _resolve_region(
        self, raw: dict[str, Any], values: dict[str, Any], problem: Callable[[str, str], None]
    ) -> None:
        catalog = self.catalog
        values["province_id"] = values["regency_id"] = values["district_id"] = values["village_id"] = None
        province = ""
        if "province" in raw:
            written = _text(raw["province"])
            name = key(written)
            province = (
                _code(written, 1)
                or catalog.provinces.get(name)
                or catalog.provinces.get(strip_prefix(name, ("provinsi ", "prov ")))
                or PROVINCE_ABBREVIATIONS.get(name, "")
            )
            if province and province not in catalog.regions.provinces:
                province = ""
            if not province:
                problem(
                    "province",
                    _(
                        "“%(value)s” is not a province: write its name as in the official list, e.g. Nusa "
                        "Tenggara Barat, or its code, e.g. 52."
                    )
                    % {"value": written[:40]},
                )
        regency = ""
        if "regency" in raw:
            written = _text(raw["regency"])
            name = key(written)
            regency = _code(written, 2) or catalog.regencies.get(name, "")
            if regency and regency not in catalog.regency_province:
                regency = ""
            if not regency:
                bare = strip_prefix(name, _REGENCY_PREFIXES)
                if name.startswith("kab "):
                    regency = catalog.regencies.get("kabupaten " + bare, "")
                if not regency:
                    candidates = catalog.regencies_bare.get(bare, [])
                    if province:
                        candidates = [code for code in candidates if code.startswith(province + ".")]
                    if len(candidates) > 1 and catalog.allowed_regencies is not None:
                        candidates = [code for code in candidates if code in catalog.allowed_regencies]
                    if len(candidates) == 1:
                        regency = candidates[0]
                    elif len(candidates) > 1:
                        problem(
                            "regency",
                            _(
                                "“%(value)s” could be “Kabupaten %(value)s” or “Kota %(value)s”: write "
                                "which one."
                            )
                            % {"value": written[:40]},
                        )
                        return
            if not regency:
                problem(
                    "regency",
                    _(
                        "“%(value)s” is not a regency or city: write its name as in the official list, e.g. "
                        "Kabupaten Lombok Barat or Kota Mataram, or its code, e.g. 52.71."
                    )
                    % {"value": written[:40]},
                )
                return
        elif catalog.default_regency:
            regency = catalog.default_regency
        else:
            problem("regency", _("Empty: write the regency or city, e.g. Kota Mataram."))
            return
        if province and catalog.regency_province.get(regency) != province:
            problem("regency", _("This regency or city is not in the province of the row: check both."))
            return
        if catalog.allowed_regencies is not None and regency not in catalog.allowed_regencies:
            problem(
                "regency",
                _(
                    "This regency or city is outside your office's area: the person is registered by the "
                    "office of that area."
                ),
            )
            return
        values["regency_id"] = regency
        values["province_id"] = catalog.regency_province[regency]
        district = ""
        if "district" in raw:
            written = _text(raw["district"])
            district = _child_code(
                written, 3, catalog.district_codes, catalog.districts, regency, _DISTRICT_PREFIXES
            )
            if not district:
                problem(
                    "district",
                    _(
                        "“%(value)s” is not a district of %(regency)s: check the spelling against the "
                        "official list."
                    )
                    % {"value": written[:40], "regency": regency},
                )
                return
        else:
            problem("district", _("Empty: write the district (kecamatan)."))
            return
        values["district_id"] = district
        if "village" in raw:
            written = _text(raw["village"])
            village = _child_code(
                written, 4, catalog.village_codes, catalog.villages, district, _VILLAGE_PREFIXES
            )
            if not village:
                problem(
                    "village",
                    _(
                        "“%(value)s” is not a village of the district %(district)s: check the spelling "
                        "against the official list."
                    )
                    % {"value": written[:40], "district": district},
                )
                return
            values["village_id"] = village
        else:
            problem("village", _("Empty: write the village (desa or kelurahan)."))


def find_header(
    rows: list[tuple[int, list[Any]]], remembered: Mapping[str, str] | None = None
) -> tuple[int, dict[str, int]]:
    """The header row among `rows` (the one naming most fields) and field -> column index.

    `remembered` (normalised header -> field) is the office's earlier choices; it wins over the aliases.
    Raises LookupError when no row names at least the NIK or the name and two other fields.
    """
    remembered = remembered or {}
    best: tuple[int, dict[str, int]] | None = None
    for number, cells in rows:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            header = normalize_header(cell)
            if not header:
                continue
            name = remembered.get(header) or header_names().get(header)
            if name and name != "ignore" and name not in found:
                found[name] = index
        if (
            len(found) >= 3
            and {"nik", "full_name"} & set(found)
            and (best is None or len(found) > len(best[1]))
        ):
            best = (number, found)
    if best is None:
        raise LookupError
    return best
