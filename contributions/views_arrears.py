"""The arrears list of the user's area, its export (CSV or XLSX) and the download of a large export made
by a background job. The query and the files are in contributions/exports.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.models import EnrollmentStatus, ParticipantKind, Payer
from umkm_enroll.accounts.access import role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.jobs.models import Job
from umkm_enroll.regions.models import Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

# Registers the export task wherever the URLs are loaded (the worker loads them for its system checks).
from . import exports, tasks_exports  # noqa: F401
from .models import Bill, SponsorProgramme

# Exports put many people's data in a file: finance officers only.
EXPORTERS = (Role.FINANCE,)
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

    def querystring(self) -> str:
        """The filters as the list's query string (to go back to the list as it was)."""
        params = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name)
            if value:
                params[name] = str(value)
        return params.urlencode()


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[(exports.CSV, "CSV"), (exports.XLSX, "Excel (XLSX)")],
        initial=exports.CSV,
    )
    delimiter = forms.ChoiceField(
        label=gettext_lazy("CSV separator"),
        choices=[(";", gettext_lazy("Semicolon ; (Excel in Indonesian)")), (",", gettext_lazy("Comma ,"))],
        initial=";",
        required=False,
    )


@scoped(Bill)
@login_required
def arrears_list(request: AppRequest) -> HttpResponse:
    """Enrollments of the user's area with bills due and not fully paid, one row each."""
    form = ArrearsFilterForm(request.GET, user=request.user)
    today = timezone.localdate()
    rows = exports.arrears_rows(user=request.user, filters=form.filters(), today=today)
    return render(
        request,
        "contributions/arrears_list.html",
        {
            **paginate(request, rows, per_page=50),
            "form": form,
            "export_form": ExportForm(),
            "can_export": request.user.has_role(*EXPORTERS),
            "direct_limit": exports.direct_limit(),
            "today": today,
        },
    )


@scoped(Bill)
@role_required(*EXPORTERS)
@require_POST
def arrears_export(request: AppRequest) -> HttpResponse:
    """The list with the filters posted, as a file; a large one is made by a job (its page follows)."""
    form = ArrearsFilterForm(request.POST, user=request.user)
    export_form = ExportForm(request.POST)
    back = f"{reverse('contributions:arrears')}?{form.querystring()}"
    if not form.is_valid() or not export_form.is_valid():
        for errors in [*form.errors.values(), *export_form.errors.values()]:
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    result = exports.arrears_export_request(
        actor=request.user,
        filters=form.filters(),
        fmt=export_form.cleaned_data["format"],
        delimiter=export_form.cleaned_data["delimiter"] or ";",
    )
    if isinstance(result, Job):
        messages.info(
            request,
            _("The list has more than %(limit)s rows: the file is being made in the background.")
            % {"limit": f"{exports.direct_limit():,}".replace(",", ".")},
        )
        return redirect("jobs:detail", pk=result.pk)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = content_disposition_header(True, result.filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@scoped(Job)
@login_required
def arrears_download(request: AppRequest, pk: int) -> HttpResponseBase:
    """The file of a finished export job, for the user who made it; otherwise a page saying why not."""
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    own = job.created_by_id == request.user.pk
    path = exports.export_file_of(job)
    if path is None or not own:
        return render(
            request,
            "contributions/arrears_download.html",
            {"job": job, "own": own, "is_export": job.kind == Job.Kind.ARREARS_EXPORT},
        )
    exports.arrears_download_record(job=job, actor=request.user)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.result.get("filename") or path.name,
        content_type=exports.CONTENT_TYPES.get(job.result.get("format", ""), "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response
