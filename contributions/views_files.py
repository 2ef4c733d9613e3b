"""Payment files: upload (with the list of the office's files), one file's lines and progress, processing
again, and the reconciliation of the lines still to follow up."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from umkm_enroll.accounts.access import role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import payment_files as service
from .models_files import PaymentFile, PaymentFileLine

FINANCE = (Role.FINANCE,)
# Who may read the files and the reconciliation: finance staff, and national roles for oversight.
READERS = (Role.FINANCE, Role.NATIONAL_VIEWER, Role.ADMINISTRATOR)
STATUS_COUNTS = {
    status: Count("lines", filter=Q(lines__status=status)) for status in PaymentFileLine.Status.values
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Payment file (CSV or XLSX)"),
        help_text=gettext_lazy(
            "From a bank or a regional treasury: one row per payment with the columns “No Referensi”, "
            "“No KPJ”, “Jumlah” and “Tanggal”; title rows above the header are skipped."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > service.MAX_BYTES:
            raise forms.ValidationError(service.file_too_large_message())
        return upload


def _search(request: AppRequest) -> str:
    return " ".join(request.GET.get("q", "").split())[:100]


def _upload_page(request: AppRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    # Meta.ordering does not apply to a grouped query: the order is given.
    files = service.payment_files_for(request.user).annotate(**STATUS_COUNTS).order_by("-uploaded_at", "-id")
    q = _search(request)
    if q:
        files = files.filter(name__icontains=q)
    context = {
        **paginate(request, files, per_page=25),
        "form": form,
        "q": q,
        "can_upload": request.user.has_role(*FINANCE),
        "max_mb": service.MAX_BYTES // (1024 * 1024),
        "max_rows": service.MAX_ROWS,
    }
    return render(request, "contributions/payment_file_list.html", context, status=status)


@scoped(PaymentFile)
@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def payment_file_upload(request: AppRequest) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, UploadForm())
    if not request.user.has_role(*FINANCE):
        return _upload_page(request, UploadForm(), status=403)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        payment_file = service.payment_file_upload(
            actor=request.user, name=upload.name, content=upload.read()
        )
    except service.DuplicateFile as duplicate:
        earlier = duplicate.existing
        messages.info(
            request,
            _("This file was already uploaded on %(date)s as “%(name)s”: here it is.")
            % {
                "date": timezone.localtime(earlier.uploaded_at).strftime("%d/%m/%Y %H:%M"),
                "name": earlier.name,
            },
        )
        return redirect("contributions:payment_file_detail", pk=earlier.pk)
    except service.PaymentFileError as error:
        form.add_error("file", str(error))
        return _upload_page(request, form, status=400)
    if payment_file.row_count:
        accepted = _("The file “%(name)s” was accepted: %(rows)s payment lines are being processed.") % {
            "name": payment_file.name,
            "rows": f"{payment_file.row_count:,}".replace(",", "."),
        }
    else:
        accepted = _("The file “%(name)s” was accepted and is being processed.") % {"name": payment_file.name}
    messages.success(request, accepted)
    return redirect("contributions:payment_file_detail", pk=payment_file.pk)


@scoped(PaymentFile)
@role_required(*READERS)
def payment_file_detail(request: AppRequest, pk: int) -> HttpResponse:
    """A file's counts, job progress and lines. With htmx, only the progress block (polled while the job
    runs; when it has finished the page reloads once to show the lines)."""
    payment_file = get_object_or_404(service.payment_files_for(request.user), pk=pk)
    job = payment_file.job
    if request.htmx:
        response = render(
            request, "contributions/payment_file_progress.html", {"payment_file": payment_file, "job": job}
        )
        if job is None or job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    summary = service.file_summary(payment_file)
    lines = payment_file.lines.select_related("payment").order_by("row_number")
    status = request.GET.get("status", "")
    if status in PaymentFileLine.Status.values:
        lines = lines.filter(status=status)
    else:
        status = ""
    q = _search(request)
    if q:
        lines = lines.filter(Q(reference__icontains=q) | Q(kpj__icontains=q) | Q(raw__name__icontains=q))
    keep = request.GET.copy()
    keep.pop("status", None)
    keep.pop("page", None)
    context = {
        **paginate(request, lines, per_page=100),
        "payment_file": payment_file,
        "job": job,
        "summary": summary,
        "columns": [
            payment_file.columns[name]
            for name in ("reference", "kpj", "name", "amount", "date")
            if name in payment_file.columns
        ],
        "statuses": [(value, label, summary[value]) for value, label in PaymentFileLine.Status.choices],
        "status": status,
        "q": q,
        "keep": keep.urlencode() + "&" if keep else "",
        "can_reprocess": request.user.has_role(*FINANCE)
        and (job is None or job.is_finished)
        and (
            summary["unmatched"] + summary["invalid"] > 0
            or (job is not None and job.status == job.Status.FAILED)
        ),
    }
    return render(request, "contributions/payment_file_detail.html", context)


@scoped(PaymentFile)
@role_required(*FINANCE)
@require_POST
def payment_file_reprocess(request: AppRequest, pk: int) -> HttpResponse:
    payment_file = get_object_or_404(PaymentFile.objects.visible_to(request.user), pk=pk)
    try:
        service.payment_file_reprocess(payment_file=payment_file, actor=request.user)
    except service.PaymentFileError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The unmatched and invalid lines are being checked again."))
    return redirect("contributions:payment_file_detail", pk=payment_file.pk)


@scoped(PaymentFile)
@role_required(*READERS)
def reconciliation(request: AppRequest) -> HttpResponse:
    """The lines of the user's (office's) files still to follow up, oldest first, with the reason; and
    their number per day they were read."""
    lines = service.lines_to_follow_up(request.user)
    days = (
        lines.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            unmatched=Count("pk", filter=Q(status=PaymentFileLine.Status.UNMATCHED)),
            invalid=Count("pk", filter=Q(status=PaymentFileLine.Status.INVALID)),
            amount=Sum("amount"),
        )
        .order_by("-day")[:31]
    )
    status = request.GET.get("status", "")
    if status in PaymentFileLine.FOLLOW_UP:
        lines = lines.filter(status=status)
    else:
        status = ""
    q = _search(request)
    if q:
        lines = lines.filter(
            Q(reference__icontains=q)
            | Q(kpj__icontains=q)
            | Q(file__name__icontains=q)
            | Q(raw__name__icontains=q)
        )
    context = {
        **paginate(request, lines, per_page=100),
        "days": list(days),
        "status": status,
        "statuses": [(value, PaymentFileLine.Status(value).label) for value in PaymentFileLine.FOLLOW_UP],
        "q": q,
    }
    return render(request, "contributions/payment_file_reconciliation.html", context)
