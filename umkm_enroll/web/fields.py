"""Form fields shared by the pages."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

_CURRENCY = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)


def _split_decimal(text: str) -> tuple[str, str]:
    """(whole digits, fraction digits) of a number written with Indonesian or English separators."""
    if "." in text and "," in text:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        whole, fraction = text.rsplit(decimal, 1)
        if not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(thousands)}[0-9]{{3}})*", whole):
            raise ValueError("unreadable")
        return whole.replace(thousands, ""), fraction
    for separator in (".", ","):
        if separator not in text:
            continue
        if re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+", text):
            return text.replace(separator, ""), ""
        if re.fullmatch(rf"[0-9]+{re.escape(separator)}[0-9]{{1,2}}", text):
            whole, fraction = text.split(separator)
            return whole, fraction
        raise ValueError("unreadable")
    return text, ""


def parse_rupiah(text: str) -> int:
    """Whole rupiah as people write them: "11800", "11.800", "Rp 11.800", "Rp11.800,-", "11.800,00",
    "11,800.00", "(1.000)" (negative). Raises ValueError("empty" | "unreadable" | "cents")."""
    text = text.replace("\u00a0", " ").strip()
    if not text:
        raise ValueError("empty")
    text = _CURRENCY.sub("", text)
    text = re.sub(r"[,.]-$", "", text).replace(" ", "")
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = _CURRENCY.sub("", text.strip("-()"))
    if not re.fullmatch(r"[0-9][0-9.,]*", text):
        raise ValueError("unreadable")
    whole, fraction = _split_decimal(text)
    if fraction.strip("0"):
        raise ValueError("cents")
    return -int(whole) if negative else int(whole)


class RupiahField(forms.Field):
    """An amount in whole rupiah, typed with or without the thousands dots (a text input: a number input
    would read "12.000" as twelve)."""

    default_error_messages = {
        "invalid": _("Write a whole rupiah amount, e.g. 11.800 or 11800 (no cents)."),
        "min_value": _("The amount must be at least Rp %(limit)s."),
        "max_value": _("The amount must be at most Rp %(limit)s."),
    }

    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **kwargs: Any) -> None:
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_rupiah(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        for bound, code, failed in (
            (self.min_value, "min_value", lambda v, b: v < b),
            (self.max_value, "max_value", lambda v, b: v > b),
        ):
            if bound is not None and failed(value, bound):
                raise forms.ValidationError(
                    self.error_messages[code], code=code, params={"limit": f"{bound:,}".replace(",", ".")}
                )


def clean_mobile(raw: str | None) -> str:
    """A form's mobile number as stored (+628...), "" when empty; a ValidationError saying how to write it."""
    from .phone import normalize_phone

    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except ValueError:
        raise forms.ValidationError(
            _("“%(value)s” is not an Indonesian mobile number. Write it as 08…, +628… or 628….")
            % {"value": raw[:30]}
        ) from None
