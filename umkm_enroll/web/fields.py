"""Form fields shared by the pages."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)


def parse_rupiah(text: str) -> int | None:
    """Whole rupiah as people type them: "11800", "11.800", "Rp 11.800", "11.800,-", "11.800,00".
    None when the text is not such a number (decimals other than ,00 included)."""
    cleaned = _PREFIX.sub("", text.replace("\u00a0", " ").strip()).replace(" ", "")
    cleaned = re.sub(r",(?:-|00?)$", "", cleaned)
    if re.fullmatch(r"[0-9]+", cleaned):
        return int(cleaned)
    if re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", cleaned):
        return int(cleaned.replace(".", ""))
    return None


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
        amount = parse_rupiah(str(value))
        if amount is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount

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
