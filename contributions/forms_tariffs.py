"""Forms of the tariff pages: a contribution scheme and a BPU income bracket.

Rates are typed as percentages with at most two decimals ("0,24" or "0.24") and stored as basis points
(24); amounts are whole rupiah. A scheme whose months have been billed keeps its arithmetic (the view
passes `locked`): only its name, source and last month can change.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import RiskClass
from umkm_enroll.regions.models import Province
from umkm_enroll.web.fields import RupiahField
from umkm_enroll.web.templatetags.formatting import format_percent_points

from . import tariffs
from .forms_programmes import MonthField
from .models import IncomeBracket, TariffScheme

# Typos caught: no JKK or JKM rate in the regulations comes near 10% of the base.
MAX_RATE = 1_000  # basis points
MAX_MONTHLY = 10_000_000  # rupiah
MAX_ROUNDING = 100_000
_PERCENT = re.compile(r"^([0-9]{1,3})(?:[.,]([0-9]{1,2}))?\s*%?$")
ARITHMETIC = [
    "province",
    "valid_from",
    "method",
    "flat_amount",
    "base",
    "jkk_rates",
    "jkm_rate",
    "jkm_flat",
    "rounding_unit",
]
SCHEME_FIELDS = ["code", "name", "source", "valid_to", *ARITHMETIC]


def parse_percent(text: str) -> int:
    """Basis points from a percentage as typed ("0,24", "0.24", "1", "0,3 %"). Raises ValueError."""
    match = _PERCENT.match(text.replace("\u00a0", " ").strip())
    if not match:
        raise ValueError("unreadable")
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def format_percent(points: int | None) -> str:
    """Basis points as a percentage the way the form shows it: 24 -> "0,24"."""
    return "" if points is None else format_percent_points(points).removesuffix("%")


class PercentField(forms.CharField):
    """A rate typed as a percentage, cleaned to basis points (an int)."""

    default_error_messages = {
        "invalid": _("Write a percentage with at most two decimals, e.g. 0,24 for 0.24%."),
        "range": _("A rate must be more than 0% and at most 10%: check the decimal separator."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return format_percent(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            points = parse_percent(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not 0 < points <= MAX_RATE:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return points


class SchemeForm(forms.ModelForm):
    """A scheme: flat (one amount a month for JKK and JKM together) or rates times a base (JKK by risk
    class for wage earners, one JKK rate otherwise; JKM at a rate or an amount), rounded up to a unit."""

    valid_from = MonthField(label=_("First month"))
    valid_to = MonthField(
        label=_("Last month"), required=False, help_text=_("Empty: valid until a new scheme replaces it.")
    )
    flat_amount = RupiahField(label=_("Amount a month (JKK + JKM, Rp)"), required=False, min_value=1)
    jkk_rate = PercentField(label=_("JKK rate (%)"))
    jkm_rate = PercentField(label=_("JKM rate (%)"))
    jkm_flat = RupiahField(label=_("or JKM amount a month (Rp)"), required=False, min_value=1)
    rounding_unit = RupiahField(
        label=_("Round up to (Rp)"),
        min_value=1,
        max_value=MAX_ROUNDING,
        initial=1,
        help_text=_("1: whole rupiah; 100: up to the next Rp 100."),
    )

    class Meta:
        model = TariffScheme
        fields = ["code", "name", "province", "valid_from", "valid_to", "method", "base", "source"]
        help_texts = {
            "code": _(
                "Short name that enrollments refer to, in lower case letters, digits and hyphens, e.g. "
                "ntb-2027. It cannot be changed later."
            ),
            "source": _("The regulation or decree the figures come from."),
        }

    def __init__(
        self, *args: Any, locked: bool = False, version_of: TariffScheme | None = None, **kwargs: Any
    ) -> None:
        if version_of is not None:  # a new rate of this code: its arithmetic as the starting point
            kwargs["instance"] = TariffScheme(
                **{
                    field.attname: getattr(version_of, field.attname)
                    for field in TariffScheme._meta.concrete_fields
                    if field.attname not in {"id", "valid_from", "valid_to"}
                }
            )
        super().__init__(*args, **kwargs)
        self.locked = locked
        self.version_of = version_of
        self.risk_fields = []
        for value, label in RiskClass.choices:
            name = f"jkk_{value}"
            self.fields[name] = PercentField(label=_("JKK, risk %(class)s (%%)") % {"class": label.lower()})
            self.risk_fields.append(name)
        province = self.fields["province"]
        assert isinstance(province, forms.ModelChoiceField)
        province.queryset = Province.objects.order_by("name")
        province.empty_label = str(_("All provinces"))
        self.fields["base"].required = False
        scheme = self.instance
        if version_of is not None:
            for name in ("code", "province", "valid_to"):
                self.fields[name].disabled = True
            self.fields["valid_from"].label = _("New rate from (month)")
        if scheme.pk or version_of is not None:
            self.fields["code"].disabled = True
            rates = dict(scheme.jkk_rates or {})
            self.initial["jkk_rate"] = rates.get("")
            for value, _label in RiskClass.choices:
                self.initial[f"jkk_{value}"] = rates.get(value)
            self.initial["flat_amount"] = scheme.flat_amount or None
            self.initial["jkm_rate"] = scheme.jkm_rate
            self.initial["jkm_flat"] = scheme.jkm_flat
            self.initial["rounding_unit"] = scheme.rounding_unit
        if locked:
            for name in [*ARITHMETIC, "jkk_rate", "jkm_rate", *self.risk_fields]:
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        fresh = not self.instance.pk and self.version_of is None
        if fresh and TariffScheme.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A scheme with this code exists already: choose another."))
        return code

    def validate_unique(self) -> None:
        """Versions of a code are checked by the service (their months must not overlap)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.locked:
            return data
        first, last = data.get("valid_from"), data.get("valid_to")
        if first and last and last < first:
            self.add_error("valid_to", _("The last month must not be before the first month."))
        method = data.get("method")
        if method == tariffs.FLAT:
            amount = data.get("flat_amount")
            if not amount:
                self.add_error("flat_amount", _("A flat scheme needs its amount a month."))
            elif amount > MAX_MONTHLY:
                self.add_error("flat_amount", _("The amount must be at most Rp 10.000.000 a month."))
        elif method == tariffs.RATES:
            self._clean_rates(data)
        return data

    def _clean_rates(self, data: dict[str, Any]) -> None:
        base = data.get("base")
        if not base:
            self.add_error("base", _("Choose what the rates are applied to."))
        elif base == tariffs.BASE_WAGE:
            for name in self.risk_fields:
                if data.get(name) is None and name not in self.errors:
                    self.add_error(
                        name, _("Wage earners' JKK depends on the risk class: fill in every class.")
                    )
        elif data.get("jkk_rate") is None and "jkk_rate" not in self.errors:
            self.add_error("jkk_rate", _("Fill in the JKK rate."))
        if "jkm_rate" in self.errors or "jkm_flat" in self.errors:
            return
        if (data.get("jkm_rate") is None) == (data.get("jkm_flat") is None):
            self.add_error("jkm_rate", _("Fill in either the JKM rate or the JKM amount a month, not both."))
        elif data.get("jkm_flat") and data["jkm_flat"] > MAX_MONTHLY:
            self.add_error("jkm_flat", _("The amount must be at most Rp 10.000.000 a month."))

    def scheme_data(self) -> dict[str, Any]:
        """The model's values from the cleaned form (the arithmetic of the chosen method only)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "source": data["source"],
            "valid_to": data.get("valid_to"),
        }
        if not self.instance.pk:
            values["code"] = data["code"]
        if self.locked:
            return values
        values.update(
            province=data.get("province"),
            valid_from=data["valid_from"],
            method=data["method"],
            rounding_unit=data["rounding_unit"],
        )
        if data["method"] == tariffs.FLAT:
            values.update(
                flat_amount=data["flat_amount"], base="", jkk_rates={}, jkm_rate=None, jkm_flat=None
            )
            return values
        if data["base"] == tariffs.BASE_WAGE:
            rates = {value: data[f"jkk_{value}"] for value, _label in RiskClass.choices}
        else:
            rates = {"": data["jkk_rate"]}
        values.update(
            flat_amount=0,
            base=data["base"],
            jkk_rates=rates,
            jkm_rate=data.get("jkm_rate"),
            jkm_flat=data.get("jkm_flat"),
        )
        return values


class BracketForm(forms.ModelForm):
    """A BPU income bracket and the months it applies to."""

    amount = RupiahField(label=_("Income bracket (Rp)"), min_value=1, max_value=1_000_000_000)
    valid_from = MonthField(label=_("First month"))
    valid_to = MonthField(label=_("Last month"), required=False)

    class Meta:
        model = IncomeBracket
        fields = ["amount", "valid_from", "valid_to"]

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            self.fields["amount"].disabled = True
            self.fields["valid_from"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("valid_from"), data.get("valid_to")
        if first and last and last < first:
            self.add_error("valid_to", _("The last month must not be before the first month."))
        amount = data.get("amount")
        if not self.locked and amount and first:
            taken = IncomeBracket.objects.filter(amount=amount, valid_from=first).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("amount", _("This bracket already starts in that month."))
        return data

    def validate_unique(self) -> None:
        """Said in clean() in words (the constraint's own message names the constraint)."""
