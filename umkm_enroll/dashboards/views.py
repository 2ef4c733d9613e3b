from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from umkm_enroll.accounts.access import national, role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from .forms import DashboardFilterForm, ReportMonthForm, TargetForm, TargetImportForm
from .models import CoverageTarget, MonthlyReport, Tally
from .selectors import AreaOutOfScope, DashboardFigures, dashboard_figures, default_area
from .services import (
    monthly_report_download_record,
    monthly_reports_start,
    target_delete,
    target_save,
    targets_import,
)
from .targets_file import TargetFileError

TARGET_READERS = (Role.ADMINISTRATOR, Role.NATIONAL_VIEWER)


def _month(text: str, today: date) -> date | None:
    try:
        asked = date.fromisoformat(f"{text}-01")
    except ValueError:
        return None
    return asked if date(2000, 1, 1) <= asked <= today else None


def chart_data(figures: DashboardFigures) -> dict:
    """What the charts draw (the page shows the same figures in its tables)."""
    return {
        "regions": {
            "labels": [row.name for row in figures.rows],
            "enrolled": [row.figures.enrolled for row in figures.rows],
            "pending": [row.figures.submitted for row in figures.rows],
            "target": [row.figures.target for row in figures.rows],
            "labelEnrolled": _("Enrolled (approved or active)"),
            "labelPending": _("Waiting for a decision"),
            "labelTarget": _("Target"),
        },
        "trend": {
            "labels": [point.month.strftime("%Y-%m") for point in figures.trend],
            "registered": [point.registered for point in figures.trend],
            "submitted": [point.submitted for point in figures.trend],
            "billed": [point.billed for point in figures.trend],
            "paid": [point.paid for point in figures.trend],
            "labelRegistered": _("People registered"),
            "labelSubmitted": _("Enrollments submitted"),
            "labelBilled": _("Billed (Rp)"),
            "labelPaid": _("Paid (Rp)"),
        },
    }


@scoped(Tally)
@login_required
def dashboard(request: AppRequest) -> HttpResponse:
    """The coverage of the user's area (or of a province or regency in it), drilling down to cooperatives."""
    scope = scope_of(request.user)
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    month_text = (data.get("bulan") or "").strip()
    month = _month(month_text, today) if month_text else today.replace(day=1)
    month_error = month is None
    province, regency = data.get("province") or None, data.get("regency") or None
    if not (province or regency):
        province, regency = default_area(scope)
    try:
        figures = dashboard_figures(
            scope=scope, month=month or today.replace(day=1), province=province, regency=regency, today=today
        )
    except AreaOutOfScope:
        raise Http404 from None
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "figures": figures,
            "totals": figures.totals,
            "month_error": month_error,
            "asked": month_text,
            "chart_data": chart_data(figures),
            "can_manage_targets": request.user.has_role(*TARGET_READERS),
        },
    )


@national
@role_required(*TARGET_READERS)
def target_list(request: AppRequest) -> HttpResponse:
    targets = CoverageTarget.objects.select_related("province", "regency", "updated_by")
    q = request.GET.get("q", "").strip()
    if q:
        targets = targets.filter(
            Q(province__name__icontains=q)
            | Q(regency__name__icontains=q)
            | Q(source__icontains=q)
            | Q(regency_id=q)
            | Q(province_id=q)
        )
    year = request.GET.get("year", "").strip()
    if year.isdigit():
        targets = targets.filter(year=int(year))
    kind = request.GET.get("kind", "")
    if kind in dict(CoverageTarget._meta.get_field("kind").choices or []):
        targets = targets.filter(kind=kind)
    return render(
        request,
        "dashboards/target_list.html",
        {
            **paginate(request, targets.order_by("-year", "province_id", "regency_id", "kind")),
            "q": q,
            "year": year,
            "kind": kind,
            "kinds": CoverageTarget._meta.get_field("kind").choices,
            "can_edit": request.user.has_role(Role.ADMINISTRATOR),
        },
    )


@national
@role_required(Role.ADMINISTRATOR)
def target_create(request: AppRequest) -> HttpResponse:
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target_save(target=form.save(commit=False), actor=request.user)
        messages.success(request, _("Target saved."))
        return redirect("dashboards:target_list")
    return render(request, "dashboards/target_form.html", {"form": form})


@scoped(CoverageTarget)
@role_required(Role.ADMINISTRATOR)
def target_edit(request: AppRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(CoverageTarget.objects.visible_to(request.user), pk=pk)
    form = TargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        target_save(target=form.save(commit=False), actor=request.user)
        messages.success(request, _("Target saved."))
        return redirect("dashboards:target_list")
    return render(request, "dashboards/target_form.html", {"form": form, "target": target})


@scoped(CoverageTarget)
@role_required(Role.ADMINISTRATOR)
@require_POST
def target_remove(request: AppRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(CoverageTarget.objects.visible_to(request.user), pk=pk)
    target_delete(target=target, actor=request.user)
    messages.success(request, _("Target deleted."))
    return redirect("dashboards:target_list")


@national
@role_required(Role.ADMINISTRATOR)
def target_import(request: AppRequest) -> HttpResponse:
    form = TargetImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = targets_import(content=form.cleaned_data["file"].read(), actor=request.user)
        except TargetFileError as error:
            form.add_error("file", str(error))
        else:
            if result.saved:
                messages.success(
                    request,
                    _("Targets imported: %(created)s new, %(changed)s changed, %(unchanged)s unchanged.")
                    % {"created": result.created, "changed": result.changed, "unchanged": result.unchanged},
                )
                return redirect("dashboards:target_list")
    return render(request, "dashboards/target_import.html", {"form": form, "result": result})


# --- monthly reports ---------------------------------------------------------------------------------------

REPORT_FORMATS = {
    "pdf": ("pdf", "application/pdf"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@scoped(MonthlyReport)
@login_required
def report_list(request: AppRequest) -> HttpResponse:
    """The monthly reports of the user's office (every office's for national users), newest first."""
    today = timezone.localdate()
    reports = MonthlyReport.objects.visible_to(request.user).select_related("office")
    q = request.GET.get("q", "").strip()
    if q:
        reports = reports.filter(office__name__icontains=q)
    month_text = request.GET.get("bulan", "").strip()
    month_error = False
    if month_text:
        month = _month(month_text, today)
        month_error = month is None
        if month is not None:
            reports = reports.filter(month=month)
    is_admin = request.user.has_role(Role.ADMINISTRATOR) and scope_of(request.user).everything
    return render(
        request,
        "dashboards/report_list.html",
        {
            **paginate(request, reports.order_by("-month", "office__name", "pk")),
            "q": q,
            "asked": month_text,
            "month_error": month_error,
            "national": scope_of(request.user).everything,
            "generate_form": ReportMonthForm(
                initial={"bulan": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"}
            )
            if is_admin
            else None,
        },
    )


@scoped(MonthlyReport)
@login_required
def report_download(request: AppRequest, pk: int, fmt: str) -> HttpResponseBase:
    report = get_object_or_404(
        MonthlyReport.objects.visible_to(request.user).select_related("office"),
        pk=pk,
        status=MonthlyReport.Status.READY,
    )
    extension, content_type = REPORT_FORMATS[fmt]
    stored = report.pdf if fmt == "pdf" else report.xlsx
    if not stored.name or not stored.storage.exists(stored.name):
        raise Http404
    monthly_report_download_record(report=report, fmt=fmt, actor=request.user)
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"laporan-bulanan-{report.month:%Y-%m}-{slugify(report.office.name)}.{extension}",
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@national
@role_required(Role.ADMINISTRATOR)
@require_POST
def report_generate(request: AppRequest) -> HttpResponse:
    """(Re)make every office's report of a month in the background; the job page shows the progress."""
    form = ReportMonthForm(request.POST)
    if not form.is_valid():
        for message in [str(e) for errors in form.errors.values() for e in errors]:
            messages.error(request, message)
        return redirect("dashboards:report_list")
    job, _new = monthly_reports_start(
        month=form.cleaned_data["bulan"], today=timezone.localdate(), regenerate=True, actor=request.user
    )
    messages.info(request, _("The reports of the month are being made."))
    return redirect("jobs:detail", pk=job.pk)
