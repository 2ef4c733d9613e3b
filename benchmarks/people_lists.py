"""Realistic people lists (as Diskop offices receive them) for the import benchmark and tests.

`people_rows` makes rows with real region names of one province, NIKs that agree with the birth date and
sex, phones in every local form, dates as Excel serial numbers or dd/mm/yyyy text, and a share of bad rows
of the kinds found in real lists (a NIK Excel turned into 7,10123E+15, a NIK of 15 digits, a date that does
not exist, an unknown sex, a NIK that disagrees with the birth date, an unknown village, a missing name,
a NIK repeated from an earlier row). `write_xlsx` writes them as a workbook quickly (inline strings, one
sheet, a title row above the header), `write_csv` as an Indonesian-locale CSV (semicolons).
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

HEADER = [
    "No",
    "NIK",
    "Nama Lengkap",
    "Tempat Lahir",
    "Tgl Lahir",
    "L/P",
    "Alamat",
    "Kab/Kota",
    "Kecamatan",
    "Desa/Kelurahan",
    "No HP",
    "Jenis Usaha",
    "Penghasilan",
    "Jenis Peserta",
    "Penerima BPUM",
    "Nama Ahli Waris",
    "Hubungan Ahli Waris",
]
FIRST = [
    "Siti",
    "Muhammad",
    "Nur",
    "Ahmad",
    "Dewi",
    "Rizky",
    "Putri",
    "Budi",
    "Agus",
    "Sri",
    "Yohanes",
    "Maria",
    "Fransiska",
    "Hendra",
    "Novita",
    "Stevanus",
    "Grace",
    "Jeane",
    "Ferdy",
    "Meiske",
]
LAST = [
    "Wulandari",
    "Saputra",
    "Lumban",
    "Rahmawati",
    "Pangemanan",
    "Sondakh",
    "Tumbelaka",
    "Mandagi",
    "Rumondor",
    "Kaunang",
    "Supit",
    "Wowor",
    "Lengkong",
    "Rorimpandey",
    "Tambuwun",
    "Walangitan",
]
TRADES = [
    "Warung makan",
    "Kios pulsa",
    "Penjahit",
    "Nelayan",
    "Petani cengkih",
    "Bengkel motor",
    "Toko kelontong",
    "Kue basah",
    "Ojek",
    "Pedagang ikan",
]
EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Place:
    regency_code: str
    regency_name: str
    district_code: str
    district_name: str
    village_name: str


def places_of(province: str) -> list[Place]:
    """The villages of a province with their district and regency (needs Django set up)."""
    from umkm_enroll.regions.models import Village

    rows = Village.objects.filter(district__regency__province_id=province, active=True).values_list(
        "district__regency_id", "district__regency__name", "district_id", "district__name", "name"
    )
    return [Place(*row) for row in rows.order_by("code")]


def _nik(place: Place, born: date, female: bool, serial: int) -> str:
    day = born.day + (40 if female else 0)
    return f"{place.district_code.replace('.', '')}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def _phone(rng: random.Random) -> str:
    number = f"8{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}"
    form = rng.randrange(4)
    if form == 0:
        return f"0{number[:3]}-{number[3:7]}-{number[7:]}"
    if form == 1:
        return f"+62 {number[:3]} {number[3:7]} {number[7:]}"
    if form == 2:
        return f"62{number}"
    return f"0{number}"


def people_rows(
    count: int, places: list[Place], *, bad_share: float = 0.02, seed: int = 2026
) -> tuple[list[list], int]:
    """`count` data rows and the number of them that are bad (each bad row has exactly one problem)."""
    rng = random.Random(seed)
    rows: list[list] = []
    niks: list[str] = []
    used: set[str] = set()
    bad = 0
    serial = 0
    for index in range(count):
        place = places[index % len(places)]
        female = rng.random() < 0.5
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
        while True:
            serial = serial % 9999 + 1
            nik = _nik(place, born, female, serial)
            if nik not in used:
                used.add(nik)
                break
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if rng.random() < 0.15:
            name = name.upper() + "  "
        born_cell: object = (born - EPOCH).days if rng.random() < 0.6 else born.strftime("%d/%m/%Y")
        regency = (
            place.regency_name if rng.random() < 0.7 else place.regency_name.replace("Kabupaten", "Kab.")
        )
        row = [
            index + 1,
            nik,
            name,
            place.regency_name.split(" ", 1)[1],
            born_cell,
            "P" if female else "L",
            f"Jl. {rng.choice(LAST)} No. {rng.randint(1, 200)}",
            regency,
            place.district_name,
            place.village_name if rng.random() < 0.8 else place.village_name.upper(),
            _phone(rng) if rng.random() < 0.9 else "",
            rng.choice(TRADES),
            rng.choice(["1.000.000", "1500000", "Rp 2.000.000", 1_000_000]),
            "BPU",
            rng.choice(["Ya", "Tidak", ""]),
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            rng.choice(["Istri", "Suami", "Anak", "Orang Tua"]),
        ]
        if rng.random() < bad_share:
            bad += 1
            kind = rng.randrange(8)
            if kind == 0:
                row[1] = f"{nik[0]},{nik[1:6]}E+15"
            elif kind == 1:
                row[1] = nik[:15]
            elif kind == 2:
                row[4] = f"31/02/{born.year}"
            elif kind == 3:
                row[5] = "X"
            elif kind == 4:
                other = born + timedelta(days=400)
                row[4] = other.strftime("%d/%m/%Y")
            elif kind == 5:
                row[9] = "Desa Tidak Ada"
            elif kind == 6:
                row[2] = ""
            elif niks:
                row[1] = rng.choice(niks)
            else:
                row[2] = ""
        niks.append(row[1] if isinstance(row[1], str) else nik)
        rows.append(row)
    return rows, bad


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def write_xlsx(
    rows: list[list], *, title: str = "DAFTAR PENERIMA BPUM", header: list[str] | None = None
) -> bytes:
    """A one-sheet workbook as Excel saves it: a title row, an empty row, the header, the rows (text in
    the shared strings table, numbers in the cells)."""
    header = header or HEADER
    letters = [
        _column(index)
        for index in range(max(len(header), *(len(row) for row in rows)) if rows else len(header))
    ]
    strings: dict[str, int] = {}
    references = 0
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    out.write('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')

    def write_row(number: int, cells: list) -> None:
        nonlocal references
        out.write(f'<row r="{number}">')
        for letter, value in zip(letters, cells, strict=False):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.write(f'<c r="{letter}{number}"><v>{value}</v></c>')
            else:
                text = str(value)
                references += 1
                index = strings.get(text)
                if index is None:
                    index = strings[text] = len(strings)
                out.write(f'<c r="{letter}{number}" t="s"><v>{index}</v></c>')
        out.write("</row>")

    write_row(1, [title])
    write_row(3, header)
    for offset, row in enumerate(rows):
        write_row(4 + offset, row)
    out.write("</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Daftar" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", out.getvalue())
        table = io.StringIO()
        table.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
        table.write(
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{references}" '
            f'uniqueCount="{len(strings)}">'
        )
        for text in strings:
            table.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>')
        table.write("</sst>")
        archive.writestr("xl/sharedStrings.xml", table.getvalue())
    return buffer.getvalue()


def write_csv(rows: list[list], *, header: list[str] | None = None, encoding: str = "cp1252") -> bytes:
    """An Indonesian-locale Excel CSV: semicolons, Windows-1252 (dates as text)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(header or HEADER)
    for row in rows:
        writer.writerow(
            [
                (EPOCH + timedelta(days=value)).strftime("%d/%m/%Y")
                if index == 4 and isinstance(value, int)
                else value
                for index, value in enumerate(row)
            ]
        )
    return text.getvalue().encode(encoding, errors="replace")
