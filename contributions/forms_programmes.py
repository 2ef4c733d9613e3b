"""Forms of the sponsor programme pages: the programme itself, a sponsor payment, the month filters."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import User
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.regions.models import Province, Regency
from umkm_enroll.web.fields import RupiahField

from .models import SponsorProgramme

PROGRAMME_FIELDS = [
    "name",
    "sponsor",
    "legal_basis",
    "province",
    "regency",
    "first_month",
    "last_month",
    "sponsor_percent",
    "budget",
]
# "2026-03" (what <input type="month"> sends), or "03/2026" and "3-2026" typed where browsers show text.
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_LOCAL_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
MONTH_MESSAGE = _("Enter a month as YYYY-MM, e.g. 2026-09.")
# A regional budget is voted a year or two ahead, for a term of office at most: beyond, a typo.
MAX_MONTHS_AHEAD = 24
MAX_PROGRAMME_MONTHS = 120


def parse_month(value: str) -> date | None:
    """The first day of the month written in `value`, or None when it is not a month."""
    value = (value or "").strip()
    iso, local = _ISO_MONTH.match(value), _LOCAL_MONTH.match(value)
    if iso:
        year, month = int(iso.group(1)), int(iso.group(2))
    elif local:
        year, month = int(local.group(2)), int(local.group(1))
    else:
        return None
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return date(year, month, 1)


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"placeholder": "YYYY-MM", **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A contribution month, stored as its first day."""

    widget = MonthInput
    default_error_messages = {
        "invalid": MONTH_MESSAGE,
        "range": _("Enter a month from 2000 to 2100."),
    }

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        month = parse_month(str(value))
        if month is None:
            text = str(value).strip()
            iso, local = _ISO_MONTH.match(text), _LOCAL_MONTH.match(text)
            month_number = int(iso.group(2)) if iso else int(local.group(1)) if local else 0
            # "1990-01" is written right but out of range; "2026-13" is not a month.
            code = "range" if 1 <= month_number <= 12 else "invalid"
            raise forms.ValidationError(self.error_messages[code], code=code)
        return month


class ProgrammeForm(forms.ModelForm):
    """A programme of a province (no regency) or of one regency or city, inside the user's area."""

    first_month = MonthField(label=_("First covered month"))
    last_month = MonthField(label=_("Last covered month"))
    sponsor_percent = forms.IntegerField(
        label=_("Sponsor's share (%)"),
        min_value=0,
        max_value=100,
        initial=100,
        help_text=_("0 to 100. The participant pays the rest."),
        error_messages={
            "min_value": _("The share is between 0 and 100 percent."),
            "max_value": _("The share is between 0 and 100 percent."),
        },
    )
    budget = RupiahField(
        label=_("Budget (Rp)"),
        required=False,
        min_value=0,
        max_value=10**15,
        help_text=_("The APBD allocation in whole rupiah; empty if not known."),
        error_messages={"min_value": _("The budget cannot be negative.")},
    )

    class Meta:
        model = SponsorProgramme
        fields = PROGRAMME_FIELDS
        labels = {
            "name": _("Programme name"),
            "sponsor": _("Sponsor"),
            "legal_basis": _("Legal basis"),
            "province": _("Province"),
            "regency": _("Regency or city"),
        }
        help_texts = {
            "legal_basis": _("The regulation or agreement, e.g. Pergub NTB 51/2020."),
            "regency": _("Empty: a programme of the whole province."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        scope = scope_of(user)
        saved_province = self.instance.province_id if self.instance.pk else None
        saved_regency = self.instance.regency_id if self.instance.pk else None
        provinces = Province.objects.filter(Q(active=True) | Q(pk=saved_province))
        if not scope.everything:
            provinces = provinces.filter(Q(code__in=scope.province_codes) | Q(pk=saved_province))
        province_field = cast(forms.ModelChoiceField, self.fields["province"])
        province_field.queryset = provinces.order_by("name")
        province_field.empty_label = str(_("Choose: %(level)s") % {"level": _("Province")})
        regency_field = cast(forms.ModelChoiceField, self.fields["regency"])
        regency_field.queryset = Regency.objects.filter(Q(active=True) | Q(pk=saved_regency)).order_by("name")
        chosen = self._chosen_province()
        offered = (
            Regency.objects.filter(province_id=chosen).filter(Q(active=True) | Q(pk=saved_regency))
            if chosen
            else Regency.objects.none()
        )
        if not scope.everything:
            offered = offered.filter(Q(code__in=scope.regency_codes) | Q(pk=saved_regency))
        # Validation accepts any active regency (the scope is checked in clean(), naming the problem);
        # the select offers those of the chosen province, and htmx reloads them when it changes.
        widget = cast(forms.Select, regency_field.widget)
        widget.choices = [("", _("The whole province"))] + [
            (region.code, region.name) for region in offered.order_by("name", "code")
        ]
        province_id = f"#{self['province'].auto_id}"
        widget.attrs.update(
            {
                "hx-get": f"{reverse('regions:lookup')}?level=regency",
                "hx-include": province_id,
                "hx-trigger": f"change from:{province_id}",
                "hx-target": "this",
                "hx-swap": "innerHTML",
            }
        )
        if not self.instance.pk:
            self.fields["first_month"].initial = timezone.localdate().replace(day=1)

    def _chosen_province(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("province")) or "")
        value = self.initial.get("province") or (self.instance.province_id if self.instance.pk else None)
        return str(getattr(value, "pk", value) or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and last < first:
            self.add_error("last_month", _("The last covered month cannot come before the first."))
        # Typos caught on what changes (a saved programme's other months stand as they are).
        changed = set(self.changed_data)
        span = (last.year - first.year) * 12 + last.month - first.month if first and last else 0
        if span >= MAX_PROGRAMME_MONTHS and changed & {"first_month", "last_month"}:
            self.add_error("last_month", _("A programme covers at most 10 years: check the last month."))
        today = timezone.localdate()
        ahead = (first.year - today.year) * 12 + first.month - today.month if first else 0
        if ahead > MAX_MONTHS_AHEAD and "first_month" in changed:
            self.add_error("first_month", _("A programme starts at most 2 years from now: check the year."))
        province, regency = data.get("province"), data.get("regency")
        scope = scope_of(self.user)
        if province is not None and regency is not None and regency.province_id != province.pk:
            self.add_error("regency", _("This regency or city is not in the chosen province."))
        elif regency is not None and not scope.covers_regency(regency.pk):
            self.add_error("regency", _("This regency or city is outside your office's area."))
        elif (
            province is not None
            and regency is None
            and not (scope.everything or province.pk in scope.whole_provinces)
        ):
            self.add_error(
                "regency",
                _(
                    "Only an office of the whole province can manage a programme of the province: "
                    "choose a regency or city of your area."
                ),
            )
        return data

    def programme_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROGRAMME_FIELDS}


class SponsorPaymentForm(forms.Form):
    """A transfer from the regional treasury (the SP2D or bank reference identifies it)."""

    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        help_text=_("The treasury's or the bank's transaction number (e.g. the SP2D number)."),
    )
    amount = RupiahField(
        label=_("Amount (Rp)"),
        min_value=1,
        max_value=10**13,
        error_messages={"min_value": _("The amount is a whole number of rupiah above zero.")},
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self) -> date:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return day
