"""The monthly report of an office: the dashboard's figures (selectors.dashboard_figures) laid out as a
PDF (ReportLab, DejaVu Sans Condensed from cards/fonts, with a bar chart of the trend) and an XLSX
(openpyxl: a sheet of headline figures, one of the regions below the office's area, one of the trend).

No database here: `report_content` turns the figures into labelled rows, the writers lay those rows out,
so the PDF and the XLSX say the same thing. Labels follow the active language (Indonesian in the task).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils import dateformat
from django.utils.translation import gettext as _

from .selectors import COUNTRY, PROVINCE, DashboardFigures, Figures

Value = int | float | str | None

FONT = "UmkmReportSans"
FONT_BOLD = "UmkmReportSans-Bold"
# Bars of the trend chart: registered people and submitted enrollments per month.
BAR_COLOURS = ("#1f6f8b", "#e59b3a")


def number(value: Value) -> str:
    """1234567 -> "1.234.567", 12.345 -> "12,3" (Indonesian separators), None -> "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return value


def percent(value: float | None) -> str:
    return "-" if value is None else f"{number(value)}%"


@dataclass
class ReportContent:
    title: str
    office: str
    area: str
    month: date
    month_label: str
    as_of: date
    generated_at: datetime
    # (label, value): the value a number (int, float) or a text.
    headline: list[tuple[str, Value]] = field(default_factory=list)
    region_header: list[str] = field(default_factory=list)
    regions: list[list[Value]] = field(default_factory=list)
    trend_header: list[str] = field(default_factory=list)
    trend: list[list[Value]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _row_label(level: str) -> str:
    if level == COUNTRY:
        return _("Province")
    if level == PROVINCE:
        return _("Regency/city")
    return _("Cooperative")


def headline_rows(totals: Figures, target_sources: str) -> list[tuple[str, Value]]:
    rows: list[tuple[str, Value]] = [
        (_("People registered"), totals.people),
        (_("Enrollments waiting for a decision"), totals.submitted),
        (_("Enrollments approved (cover not started)"), totals.approved),
        (_("Enrollments active"), totals.active),
        (_("Enrollments lapsed"), totals.lapsed),
        (_("Enrolled (approved or active)"), totals.enrolled),
        (_("Target (UMKM)"), totals.target),
        (_("Target source and year"), target_sources or "-"),
        (_("Coverage (%)"), totals.coverage),
    ]
    if totals.target_aid is not None:
        rows += [
            (_("Aid recipients covered"), totals.covered_aid),
            (_("Target (aid recipients)"), totals.target_aid),
            (_("Coverage of aid recipients (%)"), totals.coverage_aid),
        ]
    rows += [
        (_("Mean waiting time of pending enrollments (days)"), totals.mean_wait_days),
        (_("Cards printed"), totals.cards_printed_total),
        (_("Cards handed over"), totals.cards_handed_over),
        (_("Contributions billed for the month (Rp)"), totals.billed),
        (_("Contributions paid for the month (Rp)"), totals.paid),
        (_("Payment rate (%)"), totals.payment_rate),
        (_("Arrears: due and unpaid (Rp)"), totals.arrears),
    ]
    return rows


def report_content(
    *, figures: DashboardFigures, office: str, target_sources: str, generated_at: datetime
) -> ReportContent:
    month_label = dateformat.format(figures.month, "F Y")
    with_target = figures.row_level != "cooperative"
    header = [
        _row_label(figures.level),
        _("People"),
        _("Waiting"),
        _("Approved"),
        _("Active"),
        _("Lapsed"),
    ]
    if with_target:
        header += [_("Target"), _("Coverage (%)")]
    header += [_("Cards printed"), _("Handed over"), _("Billed (Rp)"), _("Paid (Rp)"), _("Arrears (Rp)")]
    regions: list[list[Value]] = []
    for row in figures.rows:
        f = row.figures
        cells: list[Value] = [row.name, f.people, f.submitted, f.approved, f.active, f.lapsed]
        if with_target:
            cells += [f.target, f.coverage]
        cells += [f.cards_printed_total, f.cards_handed_over, f.billed, f.paid, f.arrears]
        regions.append(cells)
    trend: list[list[Value]] = [
        [dateformat.format(point.month, "M Y"), point.registered, point.submitted, point.billed, point.paid]
        for point in figures.trend
    ]
    return ReportContent(
        title=_("Monthly coverage report"),
        office=office,
        area=figures.area_name,
        month=figures.month,
        month_label=month_label,
        as_of=figures.today,
        generated_at=generated_at,
        headline=headline_rows(figures.totals, target_sources),
        region_header=header,
        regions=regions,
        trend_header=[
            _("Month"),
            _("People registered"),
            _("Enrollments submitted"),
            _("Billed (Rp)"),
            _("Paid (Rp)"),
        ],
        trend=trend,
        notes=[
            _(
                "People, enrollments and cards as of %(day)s; billed and paid for %(month)s; arrears are "
                "bills due before %(day)s and not paid. Targets of %(year)s (or the latest year before)."
            )
            % {
                "day": dateformat.format(figures.today, "j F Y"),
                "month": month_label,
                "year": figures.target_year,
            },
        ],
    )


# --- PDF --------------------------------------------------------------------------------------------------


@cache
def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(__file__).resolve().parents[2] / "cards" / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSansCondensed.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSansCondensed-Bold.ttf")))


def _trend_chart(content: ReportContent, width: float) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(width, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 200, 120
    chart.data = [[row[1] or 0 for row in content.trend], [row[2] or 0 for row in content.trend]]
    chart.categoryAxis.categoryNames = [str(row[0]) for row in content.trend]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda value: number(int(value))
    for index, colour in enumerate(BAR_COLOURS):
        chart.bars[index].fillColor = colors.HexColor(colour)
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 150, 140
    legend.fontName, legend.fontSize = FONT, 7
    legend.colorNamePairs = [
        (colors.HexColor(BAR_COLOURS[0]), content.trend_header[1]),
        (colors.HexColor(BAR_COLOURS[1]), content.trend_header[2]),
    ]
    drawing.add(legend)
    return drawing


def render_pdf(content: ReportContent) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _fonts()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{content.title} {content.office} {content.month:%Y-%m}",
        author=content.office,
    )
    width = page[0] - 24 * mm
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=19)
    heading = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9)

    def table_style(numeric_from: int) -> TableStyle:
        return TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )

    story: list[Any] = [
        Paragraph(escape(f"{content.title}: {content.month_label}"), title),
        Paragraph(escape(f"{_('Office')}: {content.office} \u2014 {_('Area')}: {content.area}"), body),
        Spacer(1, 4),
    ]
    story += [Paragraph(escape(note), body) for note in content.notes]
    story.append(Paragraph(_("Headline figures"), heading))
    headline = Table(
        [
            [label, Paragraph(escape(value), cell) if isinstance(value, str) else number(value)]
            for label, value in content.headline
        ],
        colWidths=[95 * mm, 110 * mm],
        hAlign="LEFT",
    )
    headline.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story.append(headline)

    story.append(Paragraph(_("By region"), heading))
    if content.regions:
        name_width = 52 * mm
        other = (width - name_width) / (len(content.region_header) - 1)
        regions = Table(
            [
                [Paragraph(escape(str(h)), cell) for h in content.region_header],
                *[[Paragraph(escape(str(row[0])), cell), *map(number, row[1:])] for row in content.regions],
            ],
            colWidths=[name_width] + [other] * (len(content.region_header) - 1),
            repeatRows=1,
            hAlign="LEFT",
        )
        regions.setStyle(table_style(1))
        story.append(regions)
    else:
        story.append(Paragraph(_("No figures yet."), body))

    story.append(Paragraph(_("The last 12 months"), heading))
    story.append(_trend_chart(content, width))
    trend = Table(
        [content.trend_header, *[[row[0], *map(number, row[1:])] for row in content.trend]],
        colWidths=[30 * mm] + [40 * mm] * 4,
        hAlign="LEFT",
    )
    trend.setStyle(table_style(1))
    story.append(trend)
    story.append(Spacer(1, 6))
    story.append(
        Paragraph(
            _("Generated on %(when)s.") % {"when": dateformat.format(content.generated_at, "j F Y H:i")},
            body,
        )
    )
    doc.build(story)
    return buffer.getvalue()


# --- XLSX -------------------------------------------------------------------------------------------------


def _sheet_cell(sheet: Any, value: Value, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # A name starting with "=" stays text, never a formula.
        cell.data_type = "s"
    elif isinstance(value, int):
        cell.number_format = "#,##0"
    elif isinstance(value, float):
        cell.number_format = "0.0"
    if bold:
        cell.font = Font(bold=True)
    return cell


def render_xlsx(content: ReportContent) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary")[:31])
    summary.column_dimensions["A"].width = 52
    summary.column_dimensions["B"].width = 40
    summary.append([_sheet_cell(summary, content.title, bold=True)])
    for label, value in (
        (_("Office"), content.office),
        (_("Area"), content.area),
        (_("Month"), content.month_label),
        (_("Figures as of"), dateformat.format(content.as_of, "j F Y")),
    ):
        summary.append([_sheet_cell(summary, label), _sheet_cell(summary, value)])
    summary.append([])
    summary.append([_sheet_cell(summary, _("Figure"), True), _sheet_cell(summary, _("Value"), True)])
    for label, figure in content.headline:
        rounded = round(figure, 1) if isinstance(figure, float) else figure
        summary.append([_sheet_cell(summary, label), _sheet_cell(summary, rounded)])
    summary.append([])
    for note in content.notes:
        summary.append([_sheet_cell(summary, note)])

    for title, header, rows in (
        (_("By region"), content.region_header, content.regions),
        (_("Trend"), content.trend_header, content.trend),
    ):
        sheet = book.create_sheet(title[:31])
        sheet.column_dimensions["A"].width = 36
        sheet.freeze_panes = "A2"
        sheet.append([_sheet_cell(sheet, label, True) for label in header])
        for row in rows:
            sheet.append([_sheet_cell(sheet, round(v, 1) if isinstance(v, float) else v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
