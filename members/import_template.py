"""The XLSX template of a people list (plain Python with openpyxl, no database).

The template's headers are the import's own field headers in Indonesian, so a filled template is
recognised column by column; coded columns get drop-down lists, the columns of long numbers (NIK, KK,
NIB, phones) are formatted as text so that Excel keeps every digit, and a second sheet ("Petunjuk")
explains each column and the traps of spreadsheets.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from umkm_enroll.spreadsheets import FORMULA_STARTS

from .import_rules import FIELDS

# Read elsewhere (the birth date column is split in two in the template).
LEFT_OUT = frozenset({"birth_place_date"})
# Long numbers Excel would round or strip of a leading 0: stored as text.
TEXT_COLUMNS = frozenset({"nik", "kk", "nib", "phone", "employer_nik", "heir_phone"})
CHOICES: dict[str, tuple[str, ...]] = {
    "sex": ("L", "P"),
    "kind": ("BPU", "PU"),
    "aid_bpum": ("Ya", "Tidak"),
    "aid_kur": ("Ya", "Tidak"),
    "heir_relation": ("Suami", "Istri", "Anak", "Orang tua", "Saudara", "Lainnya"),
}
# Rows that get the drop-down lists.
FORMATTED_ROWS = 5000
HELP = {
    "nik": gettext_lazy(
        "Required. The 16 digits of the identity card (KTP), written as text: if Excel shows 3,20123E+15 "
        "the last digits are already lost; format the column as Text and type the NIKs again."
    ),
    "kk": gettext_lazy("The 16 digits of the family card (KK), as text."),
    "full_name": gettext_lazy("Required. As on the identity card."),
    "birth_place": gettext_lazy("Required. The town or regency of birth."),
    "birth_date": gettext_lazy("Required. As dd/mm/yyyy, e.g. 17/08/1980."),
    "sex": gettext_lazy("Required. L (male) or P (female)."),
    "address": gettext_lazy("Required. Street, number, RT/RW."),
    "province": gettext_lazy("The province's name or code; may be left empty when the regency is given."),
    "regency": gettext_lazy("Required. The name (Kota Mataram, Kabupaten Lombok Barat) or the code (52.71)."),
    "district": gettext_lazy("Required. The district's name or code."),
    "village": gettext_lazy("Required. The village's name or code, as in the official list."),
    "phone": gettext_lazy("A mobile number in any form: 0812…, +62 812…, 62812…; as text."),
    "email": gettext_lazy("An email address, if any."),
    "occupation": gettext_lazy("Required (or chosen for the whole list when importing), e.g. Warung makan."),
    "business_name": gettext_lazy("The business's name, if any."),
    "nib": gettext_lazy("The business identification number (NIB), as text."),
    "kind": gettext_lazy("BPU (self-employed) or PU (wage earner); may be chosen for the whole list."),
    "monthly_income": gettext_lazy("For BPU: the monthly income in rupiah, e.g. 1.500.000."),
    "monthly_wage": gettext_lazy("For PU: the monthly wage in rupiah."),
    "cooperative": gettext_lazy("The cooperative the person belongs to: its registration number or name."),
    "employer_nik": gettext_lazy("For PU working for a person: the employer's NIK (registered already)."),
    "employer_cooperative": gettext_lazy(
        "For PU working for a cooperative: its registration number or name."
    ),
    "aid_bpum": gettext_lazy("Ya or Tidak."),
    "aid_kur": gettext_lazy("Ya or Tidak."),
    "heir_name": gettext_lazy("The heir who receives the death benefit (needed to submit an enrollment)."),
    "heir_relation": gettext_lazy("Suami, Istri, Anak, Orang tua, Saudara or Lainnya."),
    "heir_phone": gettext_lazy("The heir's mobile number, as text."),
}


def template_fields() -> list[Any]:
    return [item for item in FIELDS if item.name not in LEFT_OUT]


def _text(value: str) -> str:
    # Every cell we write is a plain text cell; this only guards what we write ourselves.
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def template_xlsx() -> bytes:
    """The template workbook, in Indonesian whatever the user's language."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fields = template_fields()
    with translation.override("id"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("People")[:31]
        bold = Font(bold=True)
        for column, item in enumerate(fields, start=1):
            letter = get_column_letter(column)
            cell = sheet.cell(row=1, column=column, value=_text(str(item.header)))
            cell.data_type = "s"
            cell.font = bold
            sheet.column_dimensions[letter].width = max(14, min(40, len(str(item.header)) + 4))
            if item.name in TEXT_COLUMNS:
                # The column's style: what is typed or pasted as values into it stays text.
                sheet.column_dimensions[letter].number_format = "@"
            if item.name in CHOICES:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(CHOICES[item.name]) + '"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=_("Not in the list"),
                    error=_("Choose a value from the list."),
                )
                validation.add(f"{letter}2:{letter}{FORMATTED_ROWS + 1}")
                sheet.add_data_validation(validation)
        sheet.freeze_panes = "A2"

        guide = workbook.create_sheet(_("Instructions")[:31])
        lines = [
            _("How to fill in this list"),
            _("One row per person, from row 2. Do not change the headers of row 1; columns may be left out."),
            _(
                "Type NIK, KK, NIB and phone numbers as text (the columns are already formatted as text). "
                "When pasting from another file, use Paste Special > Values."
            ),
            _("Write dates as dd/mm/yyyy, e.g. 17/08/1980."),
            _("Rows with problems are given back in an error report: fix them there and upload only them."),
            "",
        ]
        for number, text in enumerate(lines, start=1):
            cell = guide.cell(row=number, column=1, value=_text(text))
            cell.data_type = "s"
            if number == 1:
                cell.font = bold
        start = len(lines) + 1
        for column, title in enumerate((_("Column"), _("How to fill it")), start=1):
            cell = guide.cell(row=start, column=column, value=_text(title))
            cell.data_type = "s"
            cell.font = bold
        for offset, item in enumerate(fields, start=1):
            for column, text in enumerate((str(item.header), str(HELP.get(item.name, ""))), start=1):
                cell = guide.cell(row=start + offset, column=column, value=_text(text))
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        guide.column_dimensions["A"].width = 32
        guide.column_dimensions["B"].width = 90
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()
