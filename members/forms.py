from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.regions.models import District, Province, Regency, Village
from umkm_enroll.web.fields import clean_mobile

from . import nik as nik_rules
from .import_rules import MAX_AMOUNT
from .models import EnrollmentStatus, Member, ParticipantKind
from .nik_messages import nik_message
from .services import EDITABLE_FIELDS, nik_check

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Typed phone numbers: "+62 812-3456-7890 " and the like (stored as +628..., at most 16 characters).
PHONE_TYPED_LENGTH = 30
# A date of birth further back is a typing slip (the oldest Indonesians are about 120).
OLDEST_AGE = 120


def _choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


class MemberForm(forms.ModelForm):
    nik = forms.CharField(
        label=_("NIK"),
        max_length=30,
        help_text=_("16 digits from the e-KTP. Spaces and dots are ignored."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kk = forms.CharField(
        label=_("Family card number (No. KK)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = EDITABLE_FIELDS
        widgets = {
            "birth_date": DATE_INPUT,
            "address": forms.TextInput(),
            "monthly_income": forms.NumberInput(attrs={"min": 0, "step": 1000}),
            "monthly_wage": forms.NumberInput(attrs={"min": 0, "step": 1000}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        self.nik_warnings: list[str] = []
        super().__init__(*args, **kwargs)
        from cooperatives.models import Cooperative

        data = self.data if self.is_bound else {}
        instance = self.instance
        province = data.get("province") or (instance.province_id if instance.pk else "")
        regency = data.get("regency") or (instance.regency_id if instance.pk else "")
        district = data.get("district") or (instance.district_id if instance.pk else "")
        scope = scope_of(user)
        provinces = Province.objects.filter(active=True)
        if not scope.everything:
            provinces = provinces.filter(code__in=scope.province_codes)
        _choice(self, "province").queryset = provinces
        regencies = (
            Regency.objects.filter(province_id=province, active=True) if province else Regency.objects.none()
        )
        if not scope.everything:
            regencies = regencies.filter(code__in=scope.regency_codes)
        _choice(self, "regency").queryset = regencies
        self.fields["regency"].error_messages["invalid_choice"] = _(
            "Choose a regency or city of the list: your office registers people of its own area only."
        )
        _choice(self, "district").queryset = (
            District.objects.filter(regency_id=regency, active=True) if regency else District.objects.none()
        )
        _choice(self, "village").queryset = (
            Village.objects.filter(district_id=district, active=True) if district else Village.objects.none()
        )
        for name, label in (
            ("province", _("province")),
            ("regency", _("regency or city")),
            ("district", _("district")),
            ("village", _("village")),
        ):
            self.fields[name].required = True
            _choice(self, name).empty_label = str(_("Choose: %(level)s") % {"level": label})
        visible_cooperatives = Cooperative.objects.visible_to(user).order_by("name")
        _choice(self, "cooperative").queryset = visible_cooperatives
        _choice(self, "employer_cooperative").queryset = visible_cooperatives
        employers = Member.objects.visible_to(user).current().order_by("full_name")
        if instance.pk:
            employers = employers.exclude(pk=instance.pk)
        _choice(self, "employer_member").queryset = employers
        # The employer list is searched with htmx (members:employer_lookup); the select starts with the
        # current choice only, so a registry of a million people never renders into one page.
        current = data.get("employer_member") or (instance.employer_member_id if instance.pk else None)
        self.fields["employer_member"].widget = forms.Select(
            choices=[("", "---------")] + [(m.pk, employer_label(m)) for m in employers.filter(pk=current)]
            if current
            else [("", "---------")]
        )
        self.fields["phone"].help_text = _("08…, +628… or 628…; stored as +628…")
        for name in ("phone", "heir_phone"):
            # Typed with spaces and dashes ("+62 812-3456-7890") a number is longer than stored: the
            # stored length is checked after normalising, never by cutting the typed text short.
            phone = cast(forms.CharField, self.fields[name])
            phone.max_length = PHONE_TYPED_LENGTH
            phone.validators = [MaxLengthValidator(PHONE_TYPED_LENGTH)]
            phone.widget.attrs["maxlength"] = str(PHONE_TYPED_LENGTH)
        for name in ("monthly_income", "monthly_wage"):
            amount = self.fields[name]
            amount.error_messages["invalid"] = _("Write whole rupiah without cents or dots, e.g. 1500000.")
            amount.validators = [
                MinValueValidator(0, _("An amount cannot be negative.")),
                MaxValueValidator(
                    MAX_AMOUNT, _("That is more than Rp 1 trillion a month: check the number of digits.")
                ),
            ]
        if instance.pk:
            self.fields["version"].initial = instance.version
            # The edit page never carries the full NIK or family-card number (showing one is an audited
            # action): left empty, they stay as they are.
            self.fields["nik"].required = False
            self.fields["nik"].help_text = _(
                "Now %(masked)s. Leave empty to keep it; type the full NIK to correct it."
            ) % {"masked": instance.nik_masked}
            self.fields["kk"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
                "masked": instance.kk_masked or "—"
            }

    def clean_nik(self) -> str:
        value = nik_rules.normalize(self.cleaned_data["nik"])
        return value

    def clean_kk(self) -> str:
        value = nik_rules.normalize(self.cleaned_data.get("kk") or "")
        if value and (not value.isdigit() or len(value) != 16):
            raise forms.ValidationError(_("The family card number has 16 digits."))
        return value

    def _clean_phone(self, name: str) -> str:
        return clean_mobile(self.cleaned_data.get(name))

    def clean_phone(self) -> str:
        return self._clean_phone("phone")

    def clean_heir_phone(self) -> str:
        return self._clean_phone("heir_phone")

    def clean_nib(self) -> str:
        nib = (self.cleaned_data.get("nib") or "").replace(" ", "")
        if nib and (not nib.isdigit() or len(nib) != 13):
            raise forms.ValidationError(_("An NIB has 13 digits."))
        return nib

    def clean_birth_date(self) -> Any:
        birth_date = self.cleaned_data.get("birth_date")
        today = timezone.localdate()
        if birth_date and birth_date > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if birth_date and birth_date.year < today.year - OLDEST_AGE:
            raise forms.ValidationError(
                _("That is more than %(years)s years ago: check the year of birth.") % {"years": OLDEST_AGE}
            )
        return birth_date

    def clean_full_name(self) -> str:
        name = " ".join((self.cleaned_data.get("full_name") or "").split())
        if name and not any(character.isalpha() for character in name):
            raise forms.ValidationError(_("A name is written in letters: type the name as on the e-KTP."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_nik_against_form(data)
        self._clean_region(data)
        self._clean_kind(data)
        return data

    def _clean_nik_against_form(self, data: dict[str, Any]) -> None:
        nik = data.get("nik")
        if not nik and self.instance.pk:
            # Kept NIK: it must still agree with an edited date of birth or sex.
            from .services import nik_reveal_value

            nik = nik_reveal_value(self.instance)
        if not nik:
            return
        check = nik_check(nik, birth_date=data.get("birth_date"), sex=data.get("sex"))
        for issue in check.errors:
            self.add_error("nik", nik_message(issue))
        self.nik_warnings = [nik_message(issue) for issue in check.warnings]

    def _clean_region(self, data: dict[str, Any]) -> None:
        province, regency = data.get("province"), data.get("regency")
        district, village = data.get("district"), data.get("village")
        if regency and province and regency.province_id != province.code:
            self.add_error("regency", _("This regency or city is not in the chosen province."))
        if district and regency and district.regency_id != regency.code:
            self.add_error("district", _("This district is not in the chosen regency or city."))
        if village and district and village.district_id != district.code:
            self.add_error("village", _("This village is not in the chosen district."))

    def _clean_kind(self, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        if kind == ParticipantKind.BPU:
            data["monthly_wage"] = None
            data["employer_member"] = data["employer_cooperative"] = None
            if not data.get("monthly_income") and "monthly_income" not in self.errors:
                self.add_error("monthly_income", _("A BPU participant declares a monthly income."))
        elif kind == ParticipantKind.PU:
            data["monthly_income"] = None
            if not data.get("monthly_wage") and "monthly_wage" not in self.errors:
                self.add_error("monthly_wage", _("A wage earner (PU) needs the monthly wage."))
            employers = [data.get("employer_member"), data.get("employer_cooperative")]
            if not any(employers):
                self.add_error(
                    "employer_member", _("Choose the employer: a registered business owner or a cooperative.")
                )
            elif all(employers):
                self.add_error("employer_cooperative", _("Choose one employer only."))


def employer_label(member: Member) -> str:
    return f"{member.full_name} — {member.business_name or member.occupation} ({member.nik_masked})"


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    province = forms.CharField(required=False)
    regency = forms.CharField(required=False)
    cooperative = forms.IntegerField(required=False)
    import_batch = forms.IntegerField(required=False)
    kind = forms.ChoiceField(choices=[("", ""), *ParticipantKind.choices], required=False)
    aid = forms.ChoiceField(choices=[("", ""), ("bpum", "BPUM"), ("kur", "KUR")], required=False)
    enrollment = forms.ChoiceField(
        choices=[("", ""), ("none", "none"), *EnrollmentStatus.choices], required=False
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            (key, key)
            for key in (
                "",
                "name",
                "-name",
                "created",
                "-created",
                "regency",
                "-regency",
                "birth_date",
                "-birth_date",
            )
        ],
    )
