from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from umkm_enroll.regions.models import Province, Regency

from .models import CoverageTarget

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the constraint target_year_range
MAX_TARGET = 100_000_000  # more people than Indonesia has


class TargetForm(forms.ModelForm):
    year = forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "min_value": _("Enter a year from 2000 to 2100."),
            "max_value": _("Enter a year from 2000 to 2100."),
            "invalid": _("Enter a year from 2000 to 2100."),
        },
    )
    count = forms.IntegerField(
        label=_("Target"),
        min_value=1,
        max_value=MAX_TARGET,
        error_messages={
            "min_value": _("The target is a number of people: at least 1."),
            "max_value": _("The target is at most 100.000.000 people: check the number."),
            "invalid": _("Write the target as a whole number of people, e.g. 25000."),
        },
    )

    class Meta:
        model = CoverageTarget
        fields = ["province", "regency", "year", "kind", "count", "source"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = cast(forms.ModelChoiceField, self.fields["province"])
        province.queryset = Province.objects.filter(active=True)
        regency = cast(forms.ModelChoiceField, self.fields["regency"])
        regency.queryset = Regency.objects.filter(active=True)
        regency.label_from_instance = lambda r: f"{r.code} {r.name}"  # type: ignore[assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        province, regency = data.get("province"), data.get("regency")
        if province and regency and regency.province_id != province.pk:
            self.add_error("regency", _("This regency or city is not in the province chosen."))
        if province and data.get("year") and data.get("kind"):
            same = CoverageTarget.objects.filter(
                province=province, regency=regency, year=data["year"], kind=data["kind"]
            ).exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("year", _("This region already has a target of this kind for the year."))
        return data


class TargetImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("Columns: Kode wilayah (52 or 52.71), Tahun, Target, Sumber, and optionally Jenis."),
    )


class DashboardFilterForm(forms.Form):
    bulan = forms.CharField(required=False)
    province = forms.RegexField(regex=r"^[0-9]{2}$", required=False)
    regency = forms.RegexField(regex=r"^[0-9]{2}\.[0-9]{2}$", required=False)


class ReportMonthForm(forms.Form):
    """The month whose reports an administrator makes again (YYYY-MM, a month already begun)."""

    bulan = forms.CharField(label=_("Month"), max_length=7, help_text=_("YYYY-MM, e.g. 2026-01"))

    def clean_bulan(self) -> date:
        from django.utils import timezone

        text = self.cleaned_data["bulan"].strip()
        try:
            month = date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-01.")) from None
        if not date(2000, 1, 1) <= month <= timezone.localdate():
            raise forms.ValidationError(_("Choose a month that has begun."))
        return month
