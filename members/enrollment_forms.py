"""Forms of the enrollment pages: the enrollment itself, the officer's decisions and the queue's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import Office

from .enrollments import BULK_LIMIT, RejectionReason, kpj_clean, kpj_is_valid, scheme_problem, start_problem
from .models import EndReason, Enrollment, ImportBatch, ParticipantKind, Payer


class EnrollmentForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Enrollment
        fields = [
            "kind",
            "risk_class",
            "jht",
            "payer",
            "sponsor_programme",
            "bank",
            "scheme",
            "requested_start",
        ]
        widgets = {"requested_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "jht": _("Optional, for BPU participants only; off by default."),
            "risk_class": _("For wage earners (PU): the JKK risk class of the work."),
        }

    scheme = forms.ChoiceField(label=_("Contribution scheme"), required=False)

    def __init__(self, *args: Any, member: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from contributions.models import SponsorProgramme, TariffScheme

        programme: Any = self.fields["sponsor_programme"]
        if member is not None:
            programme.queryset = SponsorProgramme.objects.filter(province_id=member.province_id).filter(
                models.Q(regency__isnull=True) | models.Q(regency_id=member.regency_id)
            )

        # The schemes still in force (a code's open version), of every province or the person's; an
        # enrollment's own scheme stays on the list.
        self.member = member if member is not None else getattr(self.instance, "member", None)
        offered = TariffScheme.objects.filter(valid_to__isnull=True)
        if self.member is not None:
            offered = offered.filter(
                models.Q(province__isnull=True) | models.Q(province_id=self.member.province_id)
            )
        names = dict(offered.order_by("name").values_list("code", "name"))
        if self.instance.scheme and self.instance.scheme not in names:
            kept = TariffScheme.objects.filter(code=self.instance.scheme).order_by("-valid_from").first()
            if kept is not None:
                names[kept.code] = kept.name
        scheme: Any = self.fields["scheme"]
        scheme.choices = [("", _("Default (flat Rp 11.800)")), *names.items()]
        scheme.help_text = _("The tariff agreed for this participant; empty: the default flat scheme.")
        self.fields["requested_start"].initial = timezone.localdate()
        self.fields["risk_class"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == ParticipantKind.PU and not data.get("risk_class"):
            self.add_error("risk_class", _("Choose the risk class of the work of a wage earner (PU)."))
        if kind == ParticipantKind.PU and data.get("jht"):
            self.add_error("jht", _("JHT is offered here to BPU participants only."))
        start = data.get("requested_start")
        problem = start_problem(start, timezone.localdate()) if start else None
        if problem:
            self.add_error("requested_start", problem)
        if data.get("scheme") and start and self.member is not None:
            wrong = scheme_problem(data["scheme"], start=start, province=self.member.province_id)
            if wrong:
                self.add_error("scheme", wrong)
        return data

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["bank"] = data["bank"] or ""
        data["risk_class"] = data["risk_class"] or ""
        return data


class ApproveForm(forms.Form):
    kpj = forms.CharField(
        label=_("KPJ number"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to generate one."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    coverage_start = forms.DateField(
        label=_("Coverage start"),
        required=False,
        help_text=_("Empty: the requested start, or today if that has passed."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_kpj(self) -> str:
        kpj = kpj_clean(self.cleaned_data["kpj"]).replace(" ", "").replace(".", "")
        if kpj and not kpj_is_valid(kpj):
            raise forms.ValidationError(
                _("A KPJ number has %(digits)s digits."), params={"digits": settings.KPJ_GENERATED_DIGITS}
            )
        return kpj


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *RejectionReason.CHOICES])
    note = forms.CharField(
        label=_("Note for the operator"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What to correct. Required with the reason “Other”."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == "other" and not data.get("note", "").strip():
            self.add_error("note", _("With the reason “Other”, explain the rejection in the note."))
        return data


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the cover ends"), choices=[("", "—"), *EndReason.choices])
    ended_on = forms.DateField(
        label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class QueueFilterForm(forms.Form):
    """The officer's queue filters; choices are limited to what the user's scope holds."""

    regency = forms.ChoiceField(label=_("Regency/city"), required=False)
    office = forms.ModelChoiceField(
        label=_("Submitting office"), queryset=Office.objects.none(), required=False
    )
    batch = forms.ModelChoiceField(
        label=_("Import batch"), queryset=ImportBatch.objects.none(), required=False
    )
    payer = forms.ChoiceField(label=_("Payer"), choices=[("", _("All")), *Payer.choices], required=False)
    kind = forms.ChoiceField(
        label=_("Participant kind"), choices=[("", _("All")), *ParticipantKind.choices], required=False
    )

    def __init__(self, *args: Any, pending: Any, regencies: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regency: Any = self.fields["regency"]
        regency.choices = [("", _("All")), *regencies]
        office_field: Any = self.fields["office"]
        office_field.queryset = Office.objects.filter(
            pk__in=pending.order_by().values("submitted_office").distinct()
        ).order_by("name")
        office_field.empty_label = _("All")
        batch_field: Any = self.fields["batch"]
        batch_field.queryset = ImportBatch.objects.filter(
            pk__in=pending.order_by().values("member__import_batch").distinct()
        ).order_by("-created_at")
        batch_field.empty_label = _("All")

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        lookups = {
            "member__regency_id": data.get("regency"),
            "submitted_office": data.get("office"),
            "member__import_batch": data.get("batch"),
            "payer": data.get("payer"),
            "kind": data.get("kind"),
        }
        return {key: value for key, value in lookups.items() if value}


class BulkDecisionForm(forms.Form):
    SCOPES = [("selected", _("The checked enrollments")), ("filtered", _("All that match the filters"))]

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    scope = forms.ChoiceField(choices=SCOPES, initial="selected")
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *RejectionReason.CHOICES], required=False
    )
    note = forms.CharField(label=_("Note for the operator"), required=False, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids: Any = self.fields["ids"]
        data: Any = self.data
        ids.choices = [(value, value) for value in data.getlist("ids")] if data else []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "selected" and not data.get("ids"):
            raise forms.ValidationError(
                _("Check at least one enrollment, or choose “All that match the filters”.")
            )
        if len(data.get("ids") or []) > BULK_LIMIT:
            raise forms.ValidationError(_("At most 10.000 enrollments at once."))
        if data.get("decision") == "reject" and not data.get("reason"):
            self.add_error("reason", _("Choose a rejection reason from the list."))
        if (
            data.get("decision") == "reject"
            and data.get("reason") == "other"
            and not data.get("note", "").strip()
        ):
            # Said before the confirmation page, as a single rejection does (not after "Yes, start").
            self.add_error("note", _("With the reason “Other”, explain the rejection in the note."))
        return data
