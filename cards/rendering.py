"""Membership card PDFs: A4 sheets of ten cards with cut marks, or one card a page for card printers.

Plain Python (ReportLab, zxing-cpp, Pillow), no Django: `cards/batches.py` builds the `CardFace`s.

Fast because nothing is drawn twice. In each document the parts that cards share are form XObjects, drawn
once and placed with `Do`: the front's frame (band, mark, title, labels), the whole back (benefits, how to
claim), the cut marks of a sheet and, once per distinct value, the region and issuing office block and the
serving branch's contact. Per card only the name, masked NIK, KPJ number, programmes, start date, card
number and QR code are written, as content-stream operators made here rather than through ReportLab's
text objects (whose pure-Python helpers, without ReportLab's optional C accelerator, would cost more than
the rest of a card). The QR code is one inline 1-bit image mask, a bit a module scaled up by the PDF:
measured on 5,000 cards, ~540 bytes and ~1,200 cards/s against ~1,520 bytes and ~700 cards/s for one
path of run-length rectangles. Encoding the QR code (zxing-cpp) is three quarters of the time left.

ReportLab keeps a document in memory until `save`; page streams are compressed as each page ends, so the
peak is about 3 KB a card on sheets, 11 KB on singles (more page objects): callers bound it by rendering
in parts, as cards/batches.py does.

Text is DejaVu Sans Condensed (cards/fonts/, subsetted into the PDF), which has the letters of every
Indonesian name, diacritics included. A name is never cut: it is shrunk down to a minimum size, then
wrapped to two lines, and as a last resort set as small and on as many lines as it takes.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, BinaryIO, cast

import zxingcpp
from PIL import Image
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class CardFace:
    """Everything printed on one card; no full NIK ever."""

    card_id: int
    name: str  # full name, any length, any characters of Indonesian names
    nik_masked: str  # e.g. "527101******0001"
    kpj: str
    programs: str  # "JKK, JKM"
    coverage_start: date
    region: str  # "Kota Mataram, Nusa Tenggara Barat"
    office: str  # issuing office name
    branch_contact: str  # serving BPJAMSOSTEK branch: name, phone/address
    verify_url: str  # the full URL encoded in the QR


CARD_W = 85.6 * mm  # ID-1 / CR80
CARD_H = 54 * mm
SHEET_W, SHEET_H = 210 * mm, 297 * mm  # A4
COLUMNS, ROWS = 2, 5
CARDS_PER_SHEET = COLUMNS * ROWS
# Gaps between cards, so that a duplex printer's usual millimetre of shift never puts one card's back on
# its neighbour.
GAP_X, GAP_Y = 4 * mm, 2 * mm
SHEET_LEFT = (SHEET_W - COLUMNS * CARD_W - (COLUMNS - 1) * GAP_X) / 2
SHEET_BOTTOM = (SHEET_H - ROWS * CARD_H - (ROWS - 1) * GAP_Y) / 2
CUT_MARK_OFFSET, CUT_MARK_LENGTH = 1.5 * mm, 4 * mm

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
LEADING = 1.18  # line height / font size
ASCENT, DESCENT = 0.93, 0.24  # DejaVu, of the font size: a line's ink, accents included

GREEN = "0.02 0.42 0.25"
PALE_GREEN = "0.91 0.96 0.92"
INK = "0.1 0.1 0.1"
GREY = "0.36 0.36 0.36"
WHITE = "1 1 1"

# Front layout, points from the card's lower left corner.
MARGIN = 2.5 * mm
BAND_H = 27.0
BAND_Y = CARD_H - MARGIN - BAND_H
QR_SIZE = 21 * mm  # the modules; the white around them is the quiet zone
QR_X = CARD_W - MARGIN - 1.5 - QR_SIZE
QR_Y = MARGIN + 16.0  # 4 modules (the quiet zone) clear of the name above and the caption below
NAME_LABEL_Y = BAND_Y - 11.0
NAME_BOX = (MARGIN, BAND_Y - 31.0, CARD_W - 2 * MARGIN, 21.0)  # x, y, width, height
NAME_MAX, NAME_MIN = 11.0, 7.0
VALUE_X = MARGIN + 50.0
VALUE_W = QR_X - 6.0 - VALUE_X
ROW_H = 10.0
FIELDS_TOP = NAME_BOX[1] - 1.5
ROW_NIK, ROW_KPJ, ROW_PROGRAMS, ROW_START = (FIELDS_TOP - (i + 1) * ROW_H for i in range(4))
PLACE_H = 14.0  # two lines of a region or office name
ROW_REGION = ROW_START - PLACE_H - 1.0
ROW_OFFICE = ROW_REGION - PLACE_H - 1.0

# Back layout.
BACK_BAND_H = 13.0
BRANCH_BOX = (MARGIN, MARGIN, CARD_W - 2 * MARGIN, 25.0)
BRANCH_TEXT = (MARGIN + 3.0, MARGIN + 2.0, CARD_W - 2 * MARGIN - 6.0, 14.5)

FRONT_TITLE = "KARTU PESERTA BPJS KETENAGAKERJAAN"
FRONT_SUBTITLE = "Program JKK & JKM · Jaminan Kecelakaan Kerja dan Jaminan Kematian"
BACK_TITLE = "Manfaat perlindungan dan cara klaim"
BACK_BLOCKS = (
    ("heading", "JKK — Jaminan Kecelakaan Kerja"),
    (
        "bullet",
        "Perawatan dan pengobatan akibat kecelakaan kerja sesuai kebutuhan medis, tanpa batas biaya.",
    ),
    (
        "bullet",
        "Meninggal dunia karena kecelakaan kerja: santunan 48 \N{MULTIPLICATION SIGN} upah atau "
        "penghasilan sebulan yang dilaporkan.",
    ),
    ("heading", "JKM — Jaminan Kematian"),
    (
        "bullet",
        "Meninggal dunia: Rp 42 juta seluruhnya — santunan sekaligus Rp 20 juta, santunan berkala "
        "Rp 12 juta yang dibayar sekaligus, dan biaya pemakaman Rp 10 juta.",
    ),
    (
        "bullet",
        "Beasiswa pendidikan untuk paling banyak dua anak setelah iuran dibayar paling sedikit tiga tahun.",
    ),
    ("heading", "Cara klaim"),
    (
        "text",
        "Peserta atau ahli waris menghubungi kantor cabang di bawah ini dan membawa kartu ini serta KTP.",
    ),
)
BRANCH_LABEL = "Kantor cabang BPJAMSOSTEK yang melayani"
BRANCH_UNKNOWN = "Hubungi kantor cabang BPJAMSOSTEK terdekat."

# Distinct region/office blocks and branch contacts kept as forms in one document; past this, drawn inline.
MAX_FORMS = 512
FULL_NIK = re.compile(r"\d{16}")


def _n(value: float) -> str:
    """A number for a content stream, at most two decimals (1/7200 inch is below any printer's dot)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _escape_table() -> list[str]:
    table = [f"\\{code:03o}" for code in range(256)]
    for code in range(32, 127):
        table[code] = chr(code)
    for char in "()\\":
        table[ord(char)] = "\\" + char
    return table


ESCAPED = _escape_table()


def coverage_text(start: date) -> str:
    return f"{start.day} {MONTHS[start.month - 1]} {start.year}"


def clean(text: str) -> str:
    """One line: precomposed letters (NFC), each run of whitespace, line breaks included, one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class Face:
    """The metrics of a TrueType font, at 1 pt."""

    def __init__(self, font: Any) -> None:
        self.font = font
        self.widths: dict[str, float] = {chr(code): w / 1000 for code, w in font.face.charWidths.items()}
        self.default_width = font.face.defaultWidth / 1000
        self.chars = frozenset(self.widths)

    def width(self, text: str, size: float = 1.0) -> float:
        get, default = self.widths.get, self.default_width
        return size * sum([get(char, default) for char in text])

    def printable(self, text: str) -> str:
        """`text`, with each letter the font lacks as its base letter and combining marks, when it has those
        (a letter with neither is left for the font's placeholder glyph, never dropped)."""
        if set(text) <= self.chars:
            return text
        out = []
        for char in text:
            parts = unicodedata.normalize("NFD", char)
            out.append(parts if char not in self.chars and set(parts) <= self.chars else char)
        return "".join(out)


@cache
def faces() -> tuple[Face, Face]:
    """Regular and bold, registered with ReportLab once a process."""
    regular = TTFont("UmkmCardSans", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
    bold = TTFont("UmkmCardSans-Bold", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    return Face(regular), Face(bold)


@dataclass(frozen=True)
class Fitted:
    size: float
    lines: tuple[str, ...]


def fit(
    text: str,
    face: Face,
    *,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    two_lines: bool = True,
) -> Fitted:
    """The largest size at which all of `text` fits a box: one line shrunk down to `min_size`; then two
    lines broken at the space that makes the wider one narrowest, again down to `min_size`; as a last resort
    as many lines as give the largest size, however small, breaking inside words if need be. Never cut."""
    if not text:
        return Fitted(max_size, ())
    get, default = face.widths.get, face.default_width
    cumulative = list(accumulate((get(char, default) for char in text), initial=0.0))
    total = cumulative[-1]
    size = min(max_size, width / total, height / LEADING)
    if size >= min_size:
        return Fitted(size, (text,))
    spaces = [index for index, char in enumerate(text) if char == " "]
    if two_lines and spaces:
        widest, at = min((max(cumulative[i], total - cumulative[i + 1]), i) for i in spaces)
        size = min(max_size, width / widest, height / (2 * LEADING))
        if size >= min_size:
            return Fitted(size, (text[:at], text[at + 1 :]))
    return _fit_anyhow(text, face, width=width, height=height, max_size=max_size)


def _fit_anyhow(text: str, face: Face, *, width: float, height: float, max_size: float) -> Fitted:
    total = face.width(text)
    best = Fitted(min(max_size, width / total, height / LEADING), (text,))
    lines_count = 2
    while height / (lines_count * LEADING) > best.size:
        # The narrowest measure (at 1 pt) that wraps into `lines_count` lines.
        low, high = total / lines_count, total
        for _step in range(24):
            middle = (low + high) / 2
            if len(wrap(text, face, middle)) <= lines_count:
                high = middle
            else:
                low = middle
        lines = wrap(text, face, high)
        widest = max(face.width(line) for line in lines)
        size = min(max_size, width / widest, height / (len(lines) * LEADING))
        if size > best.size:
            best = Fitted(size, tuple(lines))
        lines_count += 1
    return best


def wrap(text: str, face: Face, measure: float) -> list[str]:
    """Greedy word wrap at `measure` (in units of the font size); a word longer than a line is broken
    between letters, without a hyphen that is not in the name."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if face.width(candidate) <= measure:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and face.width(word) > measure:
            cut = 1
            while cut < len(word) - 1 and face.width(word[: cut + 1]) <= measure:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


class FontUse:
    """One font in one document: ReportLab assigns each character a code in a 256-glyph subset the first
    time it is used; this keeps the escaped code of each character, so text is encoded with one
    `str.translate` (subset 0: ASCII and the first ~150 other letters) rather than character by character."""

    def __init__(self, face: Face, doc: Any) -> None:
        self.face = face
        self.doc = doc
        self.subset0: dict[int, str] = {}
        self.others: dict[str, tuple[int, str]] = {}
        self.known: set[str] = set()
        self.names: dict[int, str] = {}

    def _learn(self, chars: set[str]) -> None:
        font = self.face.font
        font.splitString("".join(sorted(chars)), self.doc)
        assignments = font.state[self.doc].assignments
        for char in chars:
            # A character the font has no glyph for is given code 0, its placeholder glyph.
            subset, code = divmod(assignments.get(ord(char), 0), 256)
            if subset == 0:
                self.subset0[ord(char)] = ESCAPED[code]
            else:
                self.others[char] = (subset, ESCAPED[code])
            self.known.add(char)

    def name(self, subset: int) -> str:
        if subset not in self.names:
            self.names[subset] = self.face.font.getSubsetInternalName(subset, self.doc)
        return self.names[subset]

    def show(self, text: str, size: float) -> str:
        """Operators that set `text` at the current text position."""
        chars = set(text)
        if not chars <= self.face.chars:
            text = self.face.printable(text)
            chars = set(text)
        if not chars <= self.known:
            self._learn(chars - self.known)
        if not self.others or chars.isdisjoint(self.others):
            return f"{self.name(0)} {_n(size)} Tf ({text.translate(self.subset0)}) Tj"
        runs: list[tuple[int, list[str]]] = []
        for char in text:
            subset, code = self.others.get(char) or (0, self.subset0[ord(char)])
            if runs and runs[-1][0] == subset:
                runs[-1][1].append(code)
            else:
                runs.append((subset, [code]))
        return " ".join(f"{self.name(subset)} {_n(size)} Tf ({''.join(codes)}) Tj" for subset, codes in runs)


def _qr_modules(url: str) -> tuple[int, int, bytes]:
    """The QR code of `url` (error correction M) as rows of bits, dark = 0, each row padded to a byte."""
    barcode = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    matrix = barcode.to_image(scale=1, add_quiet_zones=False)
    rows, columns = matrix.shape
    data = bytes(memoryview(cast(Any, matrix)))  # zxing-cpp's Image is a buffer, not typed as one
    pixels = Image.frombuffer("L", (columns, rows), data, "raw", "L", 0, 1)
    return columns, rows, pixels.convert("1", dither=Image.Dither.NONE).tobytes()


def qr_ops(url: str, x: float, y: float, size: float) -> str:
    """The QR code as one inline image mask painted in the fill colour, a bit a module, scaled by the PDF."""
    columns, rows, bits = _qr_modules(url)
    return (
        f"q {_n(size)} 0 0 {_n(size)} {_n(x)} {_n(y)} cm "
        f"BI /W {columns} /H {rows} /IM true /F /AHx ID {bits.hex()}> EI Q"
    )


def _rounded_rect(x: float, y: float, w: float, h: float, r: float) -> str:
    k = r * 0.4477  # 1 - 0.5523, the Bezier circle constant
    return " ".join(
        [
            f"{_n(x + r)} {_n(y)} m {_n(x + w - r)} {_n(y)} l",
            f"{_n(x + w - k)} {_n(y)} {_n(x + w)} {_n(y + k)} {_n(x + w)} {_n(y + r)} c",
            f"{_n(x + w)} {_n(y + h - r)} l",
            f"{_n(x + w)} {_n(y + h - k)} {_n(x + w - k)} {_n(y + h)} {_n(x + w - r)} {_n(y + h)} c",
            f"{_n(x + r)} {_n(y + h)} l",
            f"{_n(x + k)} {_n(y + h)} {_n(x)} {_n(y + h - k)} {_n(x)} {_n(y + h - r)} c",
            f"{_n(x)} {_n(y + r)} l",
            f"{_n(x)} {_n(y + k)} {_n(x + k)} {_n(y)} {_n(x + r)} {_n(y)} c h",
        ]
    )


def _circle(cx: float, cy: float, r: float) -> str:
    return _rounded_rect(cx - r, cy - r, 2 * r, 2 * r, r)


def _programme_mark(cx: float, cy: float) -> str:
    """A plain mark of our own (no logo): a white disc holding a green shield with a white tick."""
    return " ".join(
        [
            f"{WHITE} rg {_circle(cx, cy, 10.0)} f",
            f"{GREEN} rg {_n(cx - 5.5)} {_n(cy + 6)} m {_n(cx + 5.5)} {_n(cy + 6)} l",
            f"{_n(cx + 5.5)} {_n(cy)} l",
            f"{_n(cx + 5.5)} {_n(cy - 3.6)} {_n(cx + 2.6)} {_n(cy - 5.8)} {_n(cx)} {_n(cy - 7)} c",
            f"{_n(cx - 2.6)} {_n(cy - 5.8)} {_n(cx - 5.5)} {_n(cy - 3.6)} {_n(cx - 5.5)} {_n(cy)} c h f",
            f"{WHITE} RG 1.4 w 1 J 1 j {_n(cx - 2.8)} {_n(cy)} m {_n(cx - 0.7)} {_n(cy - 2.3)} l",
            f"{_n(cx + 3)} {_n(cy + 2.6)} l S",
        ]
    )


def _chunks(cards: Iterable[CardFace], size: int) -> Iterator[list[CardFace]]:
    iterator = iter(cards)
    while chunk := list(islice(iterator, size)):
        yield chunk


def sheet_slot(index: int, *, mirrored: bool = False) -> tuple[float, float]:
    """The lower left corner of card `index` (0-9, left to right, top to bottom) on a sheet. The back of a
    card is in the other column of the same row: long-edge duplex turns the sheet over its vertical axis."""
    row, column = divmod(index, COLUMNS)
    if mirrored:
        column = COLUMNS - 1 - column
    return SHEET_LEFT + column * (CARD_W + GAP_X), SHEET_BOTTOM + (ROWS - 1 - row) * (CARD_H + GAP_Y)


class CardDocument:
    """One PDF being written: its canvas, the fonts as used in it, its forms and the page in progress."""

    def __init__(self, out: BinaryIO, pagesize: tuple[float, float]) -> None:
        self.canvas = Canvas(out, pagesize=pagesize, pageCompression=1)
        self.canvas.setTitle("Kartu peserta BPJS Ketenagakerjaan")
        self.canvas.setCreator("UMKM Enroll")
        self.doc = self.canvas._doc
        regular, bold = faces()
        self.regular = FontUse(regular, self.doc)
        self.bold = FontUse(bold, self.doc)
        self.forms: dict[tuple[str, str], str] = {}
        # One resource dictionary for every page: the fonts and all the forms (listing a form a page does not
        # use is allowed), rather than one per page.
        self.resources = pdfdoc.PDFResourceDictionary()
        self.resources.basicFonts()
        self.resources.allProcs()
        self.resources_ref = self.doc.Reference(self.resources, "CardPageResources")
        self.repeated: dict[tuple[str, str], str] = {}
        self.page: list[str] = []

    # Pieces of content.

    def text(self, font: FontUse, size: float, x: float, y: float, text: str) -> str:
        return f"BT 1 0 0 1 {_n(x)} {_n(y)} Tm {font.show(text, size)} ET"

    def block(
        self, font: FontUse, fitted: Fitted, box: tuple[float, float, float, float], *, top: bool = False
    ) -> str:
        """Fitted lines in a box (x, y, width, height): from its top, or centred on its height."""
        x, y, _width, height = box
        line = fitted.size * LEADING
        first = y + height if top else y + (height + len(fitted.lines) * line) / 2
        return "\n".join(
            self.text(
                font,
                fitted.size,
                x,
                first - index * line - (line + fitted.size * (ASCENT - DESCENT)) / 2,
                text,
            )
            for index, text in enumerate(fitted.lines)
        )

    def value(self, font: FontUse, text: str, y: float, size: float, *, repeated: bool = False) -> str:
        """A field's value in its row: shrunk, or wrapped, to fit the row, never cut."""
        key = (f"{font.face.font.fontName}:{y}:{size}", text)
        if repeated and key in self.repeated:
            return self.repeated[key]
        box = (VALUE_X, y, VALUE_W, ROW_H)
        fitted = fit(text, font.face, width=VALUE_W, height=ROW_H, max_size=size, min_size=5.5)
        ops = self.block(font, fitted, box)
        if repeated and len(self.repeated) < 4 * MAX_FORMS:
            self.repeated[key] = ops
        return ops

    def form(
        self, kind: str, key: str, draw: Callable[[], str], bbox: tuple[float, float] = (CARD_W, CARD_H)
    ) -> str:
        """`Do` of a form XObject drawing `draw()`, made on first use; inline past MAX_FORMS forms."""
        name = self.forms.get((kind, key))
        if name is None:
            if len(self.forms) >= MAX_FORMS:
                return f"q {draw()} Q"
            name = f"{kind}{len(self.forms)}"
            self.canvas.beginForm(name, 0, 0, *bbox)
            self.canvas._code.append(draw())
            self.canvas.endForm()
            self.forms[(kind, key)] = name
            internal = self.doc.getXObjectName(name)
            self.resources.XObject[internal] = pdfdoc.PDFObjectReference(internal)
        return f"/{self.doc.getXObjectName(name)} Do"

    # Pages.

    def end_page(self) -> None:
        canvas = self.canvas
        canvas._code.append("\n".join(self.page))
        canvas.showPage()
        self.page = []
        page = self.doc.Pages.pages[-1]
        page.Resources = self.resources_ref
        # Compressed now rather than at save: the document waiting in memory is about the size of the file.
        stream = pdfdoc.PDFStream(content=zlib.compress(page.stream.encode()))
        stream.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")
        page.Contents, page.stream = stream, None

    def save(self) -> None:
        # ReportLab's default wraps compressed streams (fonts, forms) in ASCII85: a quarter bigger.
        use_a85 = rl_config.useA85
        rl_config.useA85 = 0
        try:
            self.canvas.save()
        finally:
            rl_config.useA85 = use_a85

    # The card.

    def front(self, card: CardFace, x: float, y: float) -> str:
        if FULL_NIK.search(card.nik_masked.replace(" ", "")):
            raise ValueError(f"card {card.card_id}: a card never shows a full NIK")
        region, office = clean(card.region), clean(card.office)
        name = self.bold.face.printable(clean(card.name))
        name_fitted = fit(
            name,
            self.bold.face,
            width=NAME_BOX[2],
            height=NAME_BOX[3],
            max_size=NAME_MAX,
            min_size=NAME_MIN,
        )
        return "\n".join(
            [
                f"q 1 0 0 1 {_n(x)} {_n(y)} cm",
                self.form("front", "", self._front_frame),
                self.form("place", f"{region}\n{office}", lambda: self._place(region, office)),
                f"{INK} rg",
                self.block(self.bold, name_fitted, NAME_BOX, top=True),
                self.value(self.bold, clean(card.nik_masked), ROW_NIK, 8.5),
                self.value(self.bold, clean(card.kpj) or "—", ROW_KPJ, 8.5),
                self.value(self.bold, clean(card.programs), ROW_PROGRAMS, 8.0, repeated=True),
                self.value(self.bold, coverage_text(card.coverage_start), ROW_START, 8.0, repeated=True),
                self.text(self.regular, 5.0, QR_X, MARGIN, f"No. kartu {card.card_id}"),
                qr_ops(card.verify_url, QR_X, QR_Y, QR_SIZE),
                "Q",
            ]
        )

    def back(self, card: CardFace, x: float, y: float) -> str:
        contact = clean(card.branch_contact) or BRANCH_UNKNOWN
        return (
            f"q 1 0 0 1 {_n(x)} {_n(y)} cm {self.form('back', '', self._back_frame)} "
            f"{self.form('branch', contact, lambda: self._branch(contact))} Q"
        )

    def _front_frame(self) -> str:
        band_text_x = MARGIN + 27.0
        band_text_w = CARD_W - MARGIN - 4.0 - band_text_x
        title = fit(FRONT_TITLE, self.bold.face, width=band_text_w, height=10, max_size=7.6, min_size=5)
        subtitle = fit(
            FRONT_SUBTITLE, self.regular.face, width=band_text_w, height=8, max_size=5.6, min_size=4
        )
        labels = [
            ("Nama peserta", NAME_LABEL_Y),
            ("NIK", ROW_NIK),
            ("No. KPJ", ROW_KPJ),
            ("Program", ROW_PROGRAMS),
            ("Mulai perlindungan", ROW_START),
            ("Wilayah", ROW_REGION + PLACE_H - ROW_H),
            ("Kantor penerbit", ROW_OFFICE + PLACE_H - ROW_H),
        ]
        label_ops = [
            self.block(self.regular, Fitted(5.3, (label,)), (MARGIN, y, VALUE_X - MARGIN, ROW_H))
            for label, y in labels
        ]
        caption = "Pindai untuk cek keaslian"
        return "\n".join(
            [
                f"{GREEN} rg {_rounded_rect(MARGIN, BAND_Y, CARD_W - 2 * MARGIN, BAND_H, 3.5)} f",
                _programme_mark(MARGIN + 13.0, BAND_Y + BAND_H / 2),
                f"{WHITE} rg",
                self.block(self.bold, title, (band_text_x, BAND_Y + BAND_H / 2, band_text_w, BAND_H / 2 - 2)),
                self.block(self.regular, subtitle, (band_text_x, BAND_Y + 2, band_text_w, BAND_H / 2 - 2)),
                f"{GREY} rg",
                *label_ops,
                self.text(self.regular, 5.0, QR_X, MARGIN + 5.5, caption),
            ]
        )

    def _place(self, region: str, office: str) -> str:
        ops = [f"{INK} rg"]
        for text, y in ((region, ROW_REGION), (office, ROW_OFFICE)):
            box = (VALUE_X, y, VALUE_W, PLACE_H)
            fitted = fit(text, self.regular.face, width=VALUE_W, height=PLACE_H, max_size=6.5, min_size=5.2)
            ops.append(self.block(self.regular, fitted, box, top=True))
        return "\n".join(ops)

    def _back_frame(self) -> str:
        top = CARD_H - MARGIN - BACK_BAND_H
        bottom = BRANCH_BOX[1] + BRANCH_BOX[3] + 2.0
        body = back_body_layout(self.regular.face, top=top - 2.5, bottom=bottom)
        ops = [
            f"{GREEN} rg {_rounded_rect(MARGIN, top, CARD_W - 2 * MARGIN, BACK_BAND_H, 3.0)} f",
            f"{WHITE} rg",
            self.text(self.bold, 6.8, MARGIN + 5.0, top + 4.3, BACK_TITLE),
            f"{INK} rg",
        ]
        for kind, size, x, y, text in body:
            font = self.bold if kind == "heading" else self.regular
            ops.append(self.text(font, size, x, y, text))
        x, y, w, h = BRANCH_BOX
        ops += [
            f"{PALE_GREEN} rg {_rounded_rect(x, y, w, h, 2.5)} f",
            f"{GREEN} rg",
            self.text(self.bold, 5.4, x + 3.0, y + h - 6.8, BRANCH_LABEL),
        ]
        return "\n".join(ops)

    def _branch(self, contact: str) -> str:
        fitted = fit(
            contact,
            self.regular.face,
            width=BRANCH_TEXT[2],
            height=BRANCH_TEXT[3],
            max_size=6.2,
            min_size=5.0,
        )
        return f"{INK} rg\n{self.block(self.regular, fitted, BRANCH_TEXT, top=True)}"

    def cut_marks(self) -> str:
        xs = sorted({SHEET_LEFT + c * (CARD_W + GAP_X) + dx for c in range(COLUMNS) for dx in (0, CARD_W)})
        ys = sorted({SHEET_BOTTOM + r * (CARD_H + GAP_Y) + dy for r in range(ROWS) for dy in (0, CARD_H)})
        left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
        near, far = CUT_MARK_OFFSET, CUT_MARK_OFFSET + CUT_MARK_LENGTH
        lines = []
        for x in xs:
            lines.append(f"{_n(x)} {_n(top + near)} m {_n(x)} {_n(top + far)} l")
            lines.append(f"{_n(x)} {_n(bottom - near)} m {_n(x)} {_n(bottom - far)} l")
        for y in ys:
            lines.append(f"{_n(left - near)} {_n(y)} m {_n(left - far)} {_n(y)} l")
            lines.append(f"{_n(right + near)} {_n(y)} m {_n(right + far)} {_n(y)} l")
        return "0 G 0.3 w " + " ".join(lines) + " S"


def back_body_layout(
    regular: Face, *, top: float, bottom: float
) -> list[tuple[str, float, float, float, str]]:
    """The back's text lines as (kind, size, x, baseline, text), at the largest body size that fits between
    `top` and `bottom` (each heading is one line)."""
    width = CARD_W - 2 * MARGIN
    indent = 5.5
    for tenths in range(62, 39, -1):
        size = tenths / 10
        lines: list[tuple[str, float, float, float, str]] = []
        y = top
        for kind, text in BACK_BLOCKS:
            if kind == "heading":
                y -= 1.8 if lines else 0.0
                head = size + 0.5
                y -= head * LEADING
                lines.append(("heading", head, MARGIN, y + head * DESCENT, text))
                continue
            x = MARGIN + indent if kind == "bullet" else MARGIN
            for index, line in enumerate(wrap(text, regular, (width - (x - MARGIN)) / size)):
                y -= size * LEADING
                if kind == "bullet" and index == 0:
                    lines.append(("bullet", size, MARGIN + 1.5, y + size * DESCENT, "•"))
                lines.append((kind, size, x, y + size * DESCENT, line))
        if y >= bottom:
            return lines
    raise RuntimeError("the back's text does not fit the card")


def render_sheets(cards: Sequence[CardFace], out: BinaryIO) -> None:
    """A4 sheets, 10 cards a page (2 x 5, ID-1/CR80 85.6 x 54 mm) with cut marks; after each front page
    its back page, mirrored for long-edge duplex printing."""
    document = CardDocument(out, (SHEET_W, SHEET_H))
    pages = 0
    for chunk in _chunks(cards, CARDS_PER_SHEET):
        document.page.append(document.form("sheet", "cuts", document.cut_marks, (SHEET_W, SHEET_H)))
        document.page.extend(document.front(card, *sheet_slot(i)) for i, card in enumerate(chunk))
        document.end_page()
        document.page.extend(
            document.back(card, *sheet_slot(i, mirrored=True)) for i, card in enumerate(chunk)
        )
        document.end_page()
        pages += 1
    if not pages:
        raise ValueError("no card to render")
    document.save()


def render_singles(cards: Sequence[CardFace], out: BinaryIO) -> None:
    """One card per page at CR80 size (85.6 x 54 mm), front then back, for card printers."""
    document = CardDocument(out, (CARD_W, CARD_H))
    pages = 0
    for card in cards:
        document.page.append(document.front(card, 0, 0))
        document.end_page()
        document.page.append(document.back(card, 0, 0))
        document.end_page()
        pages += 1
    if not pages:
        raise ValueError("no card to render")
    document.save()
