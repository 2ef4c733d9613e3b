"""The arrears list of the user's area. The query is in contributions/exports.py; the list's export (CSV
or XLSX, umkm_enroll/exports) is registered in contributions/list_exports.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from members.models import EnrollmentStatus, ParticipantKind, Payer
from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.exports.registry import Selection
from umkm_enroll.exports.views import export_context
from umkm_enroll.regions.models import Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate
from umkm_enroll.web.searches import search_recall, search_redirect

from . import exports
from .models import Bill, SponsorProgramme

ALL = gettext_lazy("All")
SORT_CHOICES = [
    ("-owed", gettext_lazy("Amount owed, highest first")),
    ("owed", gettext_lazy("Amount owed, lowest first")),
    ("-months", gettext_lazy("Months unpaid, most first")),
    ("months", gettext_lazy("Months unpaid, fewest first")),
]


class ArrearsFilterForm(forms.Form):
    """The list's filters; the choices are limited to what the user's scope holds."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Name, full NIK, KPJ number or phone."),
    )
    regency = forms.ChoiceField(label=gettext_lazy("Regency/city"), required=False)
    payer = forms.ChoiceField(
        label=gettext_lazy("Payer"), choices=[("", ALL), *Payer.choices], required=False
    )
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Sponsor programme"), queryset=SponsorProgramme.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Participant kind"), choices=[("", ALL), *ParticipantKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Cover status"), choices=[("", ALL), *EnrollmentStatus.choices], required=False
    )
    min_months = forms.IntegerField(
        label=gettext_lazy("At least this many months unpaid"), min_value=1, max_value=120, required=False
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        regencies = Regency.objects.order_by("name")
        if not scope.everything:
            regencies = regencies.filter(code__in=sorted(scope.regency_codes))
        regency: Any = self.fields["regency"]
        regency.choices = [("", ALL), *regencies.values_list("code", "name")]
        programme: Any = self.fields["programme"]
        programme.queryset = SponsorProgramme.objects.visible_to(user).order_by("name")
        programme.empty_label = ALL

    def filters(self) -> exports.ArrearsFilters:
        """The filters that are valid (an invalid one shows its error beside the field and is ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        programme = data.get("programme")
        return exports.ArrearsFilters(
            q=(data.get("q") or "").strip(),
            regency=data.get("regency") or "",
            payer=data.get("payer") or "",
            programme=programme.pk if programme else None,
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            min_months=data.get("min_months"),
            sort=data.get("sort") or exports.DEFAULT_SORT,
        )

    def selection(self) -> Selection:
        filters = self.filters()
        errors = tuple(str(error) for errors in self.errors.values() for error in errors)
        return Selection(filters=filters.as_params(), search=filters.q, errors=errors)

    def querystring(self) -> str:
        """The filters as the list's query string (to go back to the list as it was)."""
        params = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name)
            if value:
                params[name] = str(value)
        return params.urlencode()


def arrears_form(request: HttpRequest, params: QueryDict) -> ArrearsFilterForm:
    """The filters of the list's query string, its search text recalled from the session by its token (a
    typed name or NIK never travels in a URL; a "q" there, an old bookmark's, is not read: the page and
    its export show the same rows)."""
    data = params.copy()
    data["q"] = search_recall(request, data.get("s", ""))
    return ArrearsFilterForm(data, user=request.user)


@scoped(Bill)
@login_required
def arrears_list(request: AppRequest) -> HttpResponse:
    """Enrollments of the user's area with bills due and not fully paid, one row each."""
    if request.method == "POST":
        return search_redirect(
            request,
            reverse("contributions:arrears"),
            [name for name in ArrearsFilterForm.base_fields if name != "q"],
        )
    form = arrears_form(request, request.GET)
    today = timezone.localdate()
    rows = exports.arrears_rows(user=request.user, filters=form.filters(), today=today)
    return render(
        request,
        "contributions/arrears_list.html",
        {
            **paginate(request, rows, per_page=50),
            "form": form,
            **export_context(request, "arrears", request.GET),
            "today": today,
        },
    )
