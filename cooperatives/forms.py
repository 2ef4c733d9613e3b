from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import User
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.regions.models import District, Province, Regency, RegionBase, Village
from umkm_enroll.web.phone import normalize_phone

from .identifiers import normalize_ahu_number, normalize_nik_koperasi
from .models import AHU_NUMBER_MESSAGE, NIK_KOPERASI_MESSAGE, PHONE_MESSAGE, Cooperative

FORM_FIELDS = [
    "name",
    "kind",
    "nik_koperasi",
    "ahu_number",
    "chairperson",
    "phone",
    "member_count",
    "status",
    "province",
    "regency",
    "district",
    "village",
    "address",
]
REGION_FIELDS = ["province", "regency", "district", "village"]
# The level label the regions lookup uses for its "Choose: ..." option.
REGION_LEVEL_LABELS = {
    "province": _("Province"),
    "regency": _("Regency or city"),
    "district": _("District"),
    "village": _("Village"),
}
OUTSIDE_SCOPE_MESSAGE = _("You can only register cooperatives in your office's region: %(regions)s.")


def _choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


class CooperativeForm(forms.ModelForm):
    """Create and edit. The region selects are chained: each lists the children of the one above it (htmx
    reloads them from the regions lookup); validation accepts any active region and then checks that
    they nest, so the error names the field that does not fit."""

    # Wider than the stored values: people type spaces and dashes, which are taken out.
    nik_koperasi = forms.CharField(
        label=_("Nomor Induk Koperasi"),
        max_length=40,
        required=False,
        help_text=Cooperative._meta.get_field("nik_koperasi").help_text,
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        help_text=_("The chairperson's or the office's mobile number, e.g. 0812 3456 7890."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Cooperative
        fields = FORM_FIELDS

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["district"].required = True
        self.fields["village"].required = True
        self.fields["address"].widget = forms.Textarea(attrs={"rows": 2})
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial.setdefault("version", self.instance.version)
        self._set_region_choices()

    def _chosen(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name)) or "")
        value = self.initial.get(name) or getattr(self.instance, f"{name}_id", None)
        return str(getattr(value, "pk", value) or "")

    def _set_region_choices(self) -> None:
        """Validation accepts active regions (and the ones already saved); the selects offer only the
        children of the chosen parent, as the lookup does."""
        scope = scope_of(self.user)
        saved = {name: getattr(self.instance, f"{name}_id", None) for name in REGION_FIELDS}
        models: dict[str, type[RegionBase]] = {
            "province": Province,
            "regency": Regency,
            "district": District,
            "village": Village,
        }
        for name, model in models.items():
            _choice(self, name).queryset = model._default_manager.filter(
                Q(active=True) | Q(pk=saved[name])
            ).order_by("name")
        provinces = Province.objects.filter(Q(active=True) | Q(pk=saved["province"]))
        if not scope.everything:
            provinces = provinces.filter(Q(code__in=scope.province_codes) | Q(pk=saved["province"]))
        offered: dict[str, QuerySet] = {"province": provinces}
        parents = {"regency": "province", "district": "regency", "village": "district"}
        for name, parent in parents.items():
            parent_code = self._chosen(parent)
            offered[name] = (
                models[name]
                ._default_manager.filter(code__startswith=f"{parent_code}.")
                .filter(Q(active=True) | Q(pk=saved[name]))
                if parent_code
                else models[name]._default_manager.none()
            )
        for name in REGION_FIELDS:
            placeholder = _("Choose: %(level)s") % {"level": REGION_LEVEL_LABELS[name]}
            widget = cast(forms.Select, self.fields[name].widget)
            widget.choices = [("", placeholder)] + [
                (region.code, region.name) for region in offered[name].order_by("name", "code")
            ]
        self._add_htmx_attributes()

    def _add_htmx_attributes(self) -> None:
        """Each select reloads its own options when its parent changes, or when the parent's options
        were reloaded (then the parent is empty and so is this one)."""
        lookup = reverse("regions:lookup")
        for name, parent in (("regency", "province"), ("district", "regency"), ("village", "district")):
            parent_id = f"#{self[parent].auto_id}"
            triggers = [f"change from:{parent_id}"]
            if parent != "province":
                triggers.append(f"htmx:afterRequest from:{parent_id}")
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": f"{lookup}?level={name}",
                    "hx-include": parent_id,
                    "hx-trigger": ", ".join(triggers),
                    "hx-target": "this",
                    "hx-swap": "innerHTML",
                }
            )

    def clean_nik_koperasi(self) -> str:
        try:
            return normalize_nik_koperasi(self.cleaned_data.get("nik_koperasi") or "")
        except ValueError:
            raise forms.ValidationError(NIK_KOPERASI_MESSAGE, code="invalid") from None

    def clean_ahu_number(self) -> str:
        try:
            return normalize_ahu_number(self.cleaned_data.get("ahu_number") or "")
        except ValueError:
            raise forms.ValidationError(AHU_NUMBER_MESSAGE, code="invalid") from None

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        if not raw.strip():
            return ""
        try:
            return normalize_phone(raw)
        except ValueError:
            raise forms.ValidationError(PHONE_MESSAGE, code="invalid") from None

    def clean_regency(self) -> Regency | None:
        regency = self.cleaned_data.get("regency")
        scope = scope_of(self.user)
        if regency is not None and not scope.covers_regency(regency.pk):
            raise forms.ValidationError(
                OUTSIDE_SCOPE_MESSAGE % {"regions": scope_label(self.user)}, code="outside_scope"
            )
        return regency

    def cooperative_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in FORM_FIELDS}


def scope_label(user: User) -> str:
    """The regencies and cities a user may register in, named briefly."""
    scope = scope_of(user)
    if scope.everything:
        return str(_("all regions"))
    office = user.office
    if office is not None and office.kind == office.Kind.DISKOP_PROVINCE and office.province:
        return office.province.name
    names = (
        Regency.objects.filter(code__in=scope.regency_codes).order_by("name").values_list("name", flat=True)
    )
    return ", ".join(names) or "—"
