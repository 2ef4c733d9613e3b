from __future__ import annotations

import re
from typing import cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from umkm_enroll.regions.models import Province, Regency
from umkm_enroll.web.fields import clean_mobile

from .models import Office, Role, User


def choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own names the field twice in Indonesian ("nama pengguna nama pengguna").
        "invalid_login": _(
            "The username or password is wrong. Both tell capital from small letters; after several "
            "wrong tries the username is locked for a while."
        ),
    }
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code from the authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits shown in the authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


# An office's phone without its separators: 0 or +62/62, then 6 to 13 digits (landline or mobile).
OFFICE_PHONE = re.compile(r"(?:\+62|62|0)[1-9][0-9]{5,12}")


class OfficeForm(forms.ModelForm):
    served_regencies = forms.ModelMultipleChoiceField(
        label=_("Regencies and cities served"),
        queryset=Regency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a BPJAMSOSTEK branch: the regencies and cities whose enrollments it decides."),
    )

    class Meta:
        model = Office
        fields = ["kind", "name", "province", "regency", "parent", "address", "phone", "email", "active"]
        error_messages = {
            "name": {"unique": _("An office with this name exists already: choose another name.")},
        }

    def clean_phone(self) -> str:
        """An office's number: a landline with its area code or a mobile, as 0…, +62… or 62…."""
        raw = (self.cleaned_data.get("phone") or "").strip()
        if raw and not OFFICE_PHONE.fullmatch(re.sub(r"[\s\-.()/]", "", raw)):
            raise forms.ValidationError(
                _("“%(value)s” is not a phone number: write it with its area code, e.g. (0370) 631234.")
                % {"value": raw[:30]}
            )
        return raw

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "province").queryset = Province.objects.filter(active=True)
        province_code = self.data.get("province") if self.is_bound else (self.instance.province_id or None)
        regencies = (
            Regency.objects.filter(province_id=province_code, active=True)
            if province_code
            else Regency.objects.none()
        )
        choice(self, "regency").queryset = regencies
        served = (
            Regency.objects.filter(province_id=province_code) if province_code else Regency.objects.none()
        )
        if self.instance.pk:
            served = served | self.instance.served_regencies.all()
            self.initial.setdefault("served_regencies", list(self.instance.served_regencies.all()))
        choice(self, "served_regencies").queryset = served.distinct().order_by("code")
        choice(self, "parent").queryset = Office.objects.filter(kind=Office.Kind.BPJS_REGIONAL)

    def clean(self) -> dict:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in {Office.Kind.DISKOP_PROVINCE, Office.Kind.BPJS_BRANCH} and not data.get("province"):
            self.add_error("province", _("Choose the province of this office."))
        if kind == Office.Kind.DISKOP_REGENCY and not data.get("regency"):
            self.add_error("regency", _("Choose the regency or city of this office."))
        if kind != Office.Kind.DISKOP_REGENCY:
            data["regency"] = None
        if kind == Office.Kind.MINISTRY:
            data["province"] = None
        if kind == Office.Kind.BPJS_BRANCH and not data.get("served_regencies"):
            self.add_error("served_regencies", _("A branch serves at least one regency or city."))
        if kind != Office.Kind.BPJS_BRANCH:
            data["served_regencies"] = []
            data["parent"] = None
        return data


ROLE_OFFICE_KINDS: dict[str, set[str]] = {
    Role.OPERATOR: {Office.Kind.DISKOP_PROVINCE, Office.Kind.DISKOP_REGENCY},
    Role.OFFICER: {Office.Kind.BPJS_BRANCH},
}


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "office", "roles", "is_active"]

    def clean_phone(self) -> str:
        return clean_mobile(self.cleaned_data.get("phone"))

    def clean_username(self) -> str:
        """Unique whatever the case: "ADMIN" beside "admin" would pass for it in the audit log."""
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("This username is taken (capital and small letters count as the same): choose another.")
            )
        return username

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "office").queryset = Office.objects.filter(active=True).order_by("name")
        self.fields["office"].required = True
        self.fields["first_name"].required = True

    def clean(self) -> dict:
        data = super().clean() or {}
        office = data.get("office")
        for role in data.get("roles") or []:
            kinds = ROLE_OFFICE_KINDS.get(role)
            if office and kinds and office.kind not in kinds:
                self.add_error(
                    "roles",
                    _("The role “%(role)s” needs an office of another kind (%(kinds)s).")
                    % {
                        "role": Role(role).label,
                        "kinds": ", ".join(str(Office.Kind(kind).label) for kind in sorted(kinds)),
                    },
                )
        return data


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common password. The user can change it later."),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password, User(username=self.data.get("username", "")))
        return password


class PasswordSetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password, self.user)
        return password
