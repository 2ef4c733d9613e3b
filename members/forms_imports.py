"""Forms of the people import pages: the upload, the columns and the commit (with the enrollment options)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import imports
from .enrollments import start_problem
from .import_rules import FIELDS
from .models import Bank, ImportBatch, ParticipantKind, Payer, RiskClass

IGNORED = ""
# The payers an import may choose for all of its people (an employer pays only for a PU, chosen one by one).
IMPORT_PAYERS = (Payer.SELF, Payer.SPONSOR, Payer.BANK, Payer.COOPERATIVE)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("People list (XLSX or CSV)"),
        help_text=gettext_lazy(
            "Excel (.xlsx) or CSV with a row naming the columns (“NIK”, “Nama Lengkap”, “Tgl Lahir”…); "
            "title rows above it are skipped."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
        error_messages={
            "required": gettext_lazy("Choose the file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    label = forms.CharField(
        label=gettext_lazy("Name of the list"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("E.g. “BPUM 2021 Kota Mataram”. The file name when left empty."),
    )
    again = forms.BooleanField(label=gettext_lazy("Import this file again anyway"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > imports.max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: split it into smaller files.")
                % {"size": imports.max_bytes() // 2**20}
            )
        return upload


class ImportMappingForm(forms.Form):
    """One select per field (the file's columns), and the values for columns the file lacks."""

    default_kind = forms.ChoiceField(
        label=gettext_lazy("Participant kind when the column is missing or empty"),
        choices=[("", "—"), *ParticipantKind.choices],
        required=False,
    )
    default_monthly_income = forms.IntegerField(
        label=gettext_lazy("Monthly income (Rp) when missing"), min_value=0, required=False
    )
    default_occupation = forms.CharField(
        label=gettext_lazy("Occupation when missing"), max_length=100, required=False
    )
    default_regency = forms.ChoiceField(
        label=gettext_lazy("Regency/city when missing"), choices=[("", "—")], required=False
    )

    def __init__(
        self, *args: Any, batch: ImportBatch, samples: list[list[str]], user: Any, **kwargs: Any
    ) -> None:
        from umkm_enroll.accounts.scoping import scope_of
        from umkm_enroll.regions.models import Regency

        super().__init__(*args, **kwargs)
        self.batch = batch
        scope = scope_of(user)
        regencies = Regency.objects.order_by("code")
        if not scope.everything:
            regencies = regencies.filter(code__in=sorted(scope.regency_codes))
        regency = self.fields["default_regency"]
        assert isinstance(regency, forms.ChoiceField)
        regency.choices = [("", "—"), *((r.code, f"{r.code} {r.name}") for r in regencies)]
        choices: list[tuple[str, str]] = [(IGNORED, str(_("— not in the file —")))]
        for index, header in enumerate(batch.headers):
            values = [row[index] for row in samples if index < len(row) and row[index]]
            shown = header or _("column %(number)s") % {"number": index + 1}
            if values:
                shown = f"{shown} ({', '.join(values[:3])})"
            choices.append((str(index), shown[:120]))
        for item in FIELDS:
            self.fields[f"col_{item.name}"] = forms.ChoiceField(
                label=item.header,
                choices=choices,
                required=False,
                initial=str(batch.mapping[item.name]) if item.name in batch.mapping else IGNORED,
            )
        for name in ("kind", "monthly_income", "occupation", "regency"):
            if batch.defaults.get(name) is not None:
                self.fields[f"default_{name}"].initial = batch.defaults[name]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{item.name}"] for item in FIELDS]

    def default_fields(self) -> list[forms.BoundField]:
        return [self[f"default_{name}"] for name in ("kind", "monthly_income", "occupation", "regency")]

    def mapping(self) -> dict[str, int]:
        return {
            item.name: int(self.cleaned_data[f"col_{item.name}"])
            for item in FIELDS
            if self.cleaned_data.get(f"col_{item.name}") not in (None, IGNORED)
        }

    def defaults(self) -> dict[str, Any]:
        return {
            "kind": self.cleaned_data.get("default_kind") or "",
            "monthly_income": self.cleaned_data.get("default_monthly_income"),
            "occupation": (self.cleaned_data.get("default_occupation") or "").strip(),
            "regency": self.cleaned_data.get("default_regency") or "",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        seen: dict[Any, str] = {}
        for item in FIELDS:
            value = cleaned.get(f"col_{item.name}")
            if value in (None, IGNORED):
                continue
            if value in seen:
                self.add_error(
                    f"col_{item.name}",
                    _("This column is already chosen for “%(field)s”.") % {"field": seen[value]},
                )
            seen[value] = str(item.header)
        return cleaned


class ImportCommitForm(forms.Form):
    submit_enrollments = forms.BooleanField(
        label=gettext_lazy("Submit enrollments for all of them"),
        required=False,
        help_text=gettext_lazy(
            "People who lack what an enrollment needs (an heir, the income, an age of 15 to 65…) are "
            "registered without one."
        ),
    )
    payer = forms.ChoiceField(
        label=gettext_lazy("Who pays"),
        choices=[(value, label) for value, label in Payer.choices if value in IMPORT_PAYERS],
        initial=Payer.SELF,
        required=False,
    )
    sponsor_programme: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Sponsor programme"), queryset=None, required=False
    )
    bank = forms.ChoiceField(label=gettext_lazy("Bank"), choices=[("", "—"), *Bank.choices], required=False)
    requested_start = forms.DateField(
        label=gettext_lazy("Requested start"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    risk_class = forms.ChoiceField(
        label=gettext_lazy("Risk class (for wage earners, PU)"),
        choices=[("", "—"), *RiskClass.choices],
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from contributions.models import SponsorProgramme

        super().__init__(*args, **kwargs)
        programmes = self.fields["sponsor_programme"]
        assert isinstance(programmes, forms.ModelChoiceField)
        programmes.queryset = SponsorProgramme.objects.visible_to(user).order_by("name")
        self.fields["requested_start"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("submit_enrollments"):
            return cleaned
        payer = cleaned.get("payer") or Payer.SELF
        if payer == Payer.SPONSOR and not cleaned.get("sponsor_programme"):
            self.add_error("sponsor_programme", _("Choose the sponsor programme that pays."))
        if payer == Payer.BANK and not cleaned.get("bank"):
            self.add_error("bank", _("Choose the bank that deducts the contribution."))
        start = cleaned.get("requested_start")
        problem = start_problem(start, timezone.localdate()) if start else None
        if problem:
            self.add_error("requested_start", problem)
        return cleaned

    def submit_options(self) -> imports.SubmitOptions | None:
        data = self.cleaned_data
        if not data.get("submit_enrollments"):
            return None
        payer = data.get("payer") or Payer.SELF
        programme = data.get("sponsor_programme")
        return imports.SubmitOptions(
            payer=payer,
            sponsor_programme=programme.pk if programme is not None and payer == Payer.SPONSOR else None,
            bank=data.get("bank") or "" if payer == Payer.BANK else "",
            requested_start=data.get("requested_start"),
            risk_class=data.get("risk_class") or "",
        )
