"""The sponsor's monthly invoice as a PDF (ReportLab): one line per bill of the programme for the month.

Plain layout code, no database: the view loads the rows (as an iterator, so a programme of 150,000
participants is not held as model instances) and passes them in. The table is cut into chunks that
ReportLab splits across pages with the column heads repeated; every page carries the invoice number and
"page x of y", which a second pass over the saved pages fills in.

Text is set in the PDF standard fonts (Helvetica): no font file to ship, and the text stays searchable.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

# Rows per table: ReportLab splits each across pages; smaller tables keep splitting cheap.
CHUNK = 400
# Longer names are set as wrapping paragraphs (slower), shorter ones as plain cell text.
WRAP_NAMES_LONGER_THAN = 38
MARGIN = 15 * mm


@dataclass(frozen=True)
class InvoiceLine:
    name: str
    nik_masked: str
    kpj: str | None
    amount: int


@dataclass(frozen=True)
class Invoice:
    number: str
    sponsor: str
    programme: str
    region: str
    legal_basis: str
    month: date
    issued_on: date
    due_date: date | None
    sponsor_percent: int
    count: int
    total: int
    paid: int
    issuer: str
    lines: Iterable[InvoiceLine]

    @property
    def open(self) -> int:
        return self.total - self.paid


def invoice_number(programme_id: int, month: date) -> str:
    return f"TAG-PRG{programme_id:05d}-{month:%Y%m}"


def invoice_filename(programme_id: int, month: date) -> str:
    """Names the programme and the month only: no personal data in a file name that mail servers log."""
    return f"tagihan-program-{programme_id}-{month:%Y-%m}.pdf"


def rupiah(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


def _day(value: date | None) -> str:
    return formats.date_format(value, "j F Y") if value else "—"


def _numbered_canvas(*, number: str, heading: str) -> type[pdfcanvas.Canvas]:
    page_label = _("Page %(page)s of %(pages)s")

    class NumberedCanvas(pdfcanvas.Canvas):
        """Keeps every page until the end, then draws the running head and foot with the page count."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.grey)
            if self._pageNumber > 1:
                self.drawString(MARGIN, height - 10 * mm, heading)
            self.drawString(MARGIN, 9 * mm, number)
            self.drawRightString(
                width - MARGIN, 9 * mm, page_label % {"page": self._pageNumber, "pages": total}
            )
            self.restoreState()

    return NumberedCanvas


def _chunks(lines: Iterable[InvoiceLine], size: int) -> Iterator[list[InvoiceLine]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def render_invoice(
    invoice: Invoice,
    *,
    invariant: bool = False,
    compress: bool = True,
    progress: Callable[[float], None] | None = None,
) -> bytes:
    """The invoice as PDF bytes. `invariant` gives the same bytes for the same invoice (no creation
    time, fixed document id); `compress=False` leaves page content readable, for tests. `progress` is
    called with the share (0 to 1) of the document laid out so far."""
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontName="Helvetica", fontSize=9, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.grey)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10)
    title = ParagraphStyle("title", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=15)
    month = formats.date_format(invoice.month, "F Y")
    heading = f"{invoice.sponsor} · {invoice.programme} · {month}"

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=f"{_('Invoice')} {invoice.number}",
        author=invoice.issuer,
        subject=heading,
        creator="UMKM Enroll",
        invariant=1 if invariant else 0,
        pageCompression=1 if compress else 0,
    )

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[Any] = [
        para(_("Contribution invoice of a regional budget sponsor (APBD)"), small),
        Paragraph(escape(_("Invoice %(number)s") % {"number": invoice.number}), title),
    ]
    facts = [
        (_("Billed to"), invoice.sponsor),
        (_("Programme"), invoice.programme),
        (_("Region"), invoice.region),
        (_("Legal basis"), invoice.legal_basis or "—"),
        (_("Contribution month"), month),
        (_("Sponsor's share"), f"{invoice.sponsor_percent}%"),
        (_("Issued on"), _day(invoice.issued_on)),
        (_("Prepared by"), invoice.issuer or "—"),
    ]
    facts_table = Table(
        [[para(label), para(value)] for label, value in facts], colWidths=[45 * mm, None], hAlign="LEFT"
    )
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [facts_table, Spacer(1, 4 * mm)]
    story += _summary(invoice)
    story.append(Spacer(1, 5 * mm))

    widths = [12 * mm, None, 38 * mm, 30 * mm, 30 * mm]
    head = [_("No."), _("Participant"), _("NIK"), _("KPJ number"), _("Amount")]
    row_style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.2, colors.lightgrey),
            ("ALIGN", (0, 0), (0, -1), "RIGHT"),
            ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    position = 0
    for chunk in _chunks(invoice.lines, CHUNK):
        rows: list[list[Any]] = [head]
        for line in chunk:
            position += 1
            name: Any = line.name
            if len(line.name) > WRAP_NAMES_LONGER_THAN:
                name = para(line.name, cell)
            rows.append([str(position), name, line.nik_masked, line.kpj or "—", rupiah(line.amount)])
        table = LongTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(row_style)
        story.append(table)
    if position == 0:
        story.append(para(_("No bills of this programme for this month."), body))
    else:
        total = Table([["", _("Total"), "", "", rupiah(invoice.total)]], colWidths=widths, hAlign="LEFT")
        total.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica-Bold", 9),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                    ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ]
            )
        )
        story.append(total)
    story += [
        Spacer(1, 6 * mm),
        para(
            _(
                "Please transfer the amount to pay by the due date and quote the invoice number in the "
                "transfer description. Payments are applied to the oldest unpaid contributions first."
            ),
            small,
        ),
    ]
    if progress is not None:
        document.setProgressCallBack(_progress_of(progress))
    document.build(story, canvasmaker=_numbered_canvas(number=invoice.number, heading=heading))
    return buffer.getvalue()


def _progress_of(progress: Callable[[float], None]) -> Callable[[str, int], None]:
    """ReportLab's progress events (the story's size once, then the flowables laid out) as a share."""
    size = 0

    def callback(kind: str, value: int) -> None:
        nonlocal size
        if kind == "SIZE_EST":
            size = value
        elif kind == "PROGRESS" and size:
            progress(min(1.0, value / size))

    return callback


def _summary(invoice: Invoice) -> list[Any]:
    rows = [
        [_("Participants billed"), f"{invoice.count:,}".replace(",", ".")],
        [_("Contributions of the month"), rupiah(invoice.total)],
        [_("Already paid"), rupiah(invoice.paid)],
        [_("To pay"), rupiah(invoice.open)],
        [_("Due date"), _day(invoice.due_date)],
    ]
    table = Table(rows, colWidths=[55 * mm, 40 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("FONT", (0, 3), (-1, 3), "Helvetica-Bold", 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEABOVE", (0, 3), (-1, 3), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.whitesmoke),
            ]
        )
    )
    return [table]
