"""The people import pages (/orang/impor/): the office's lists, upload, columns, preview, commit, report.

The work itself is in members/imports.py (services and the two Celery jobs); these views only read and
call it. A list is seen by its office (`ImportBatch.objects.visible_to`), and only operators import.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from umkm_enroll.accounts.access import no_data, role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.masking import mask_name, mask_nik
from umkm_enroll.jobs.models import Job
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import imports
from .forms_imports import ImportCommitForm, ImportMappingForm, ImportUploadForm
from .import_template import template_xlsx
from .models import ImportBatch, ImportRow

IMPORTERS = (Role.OPERATOR,)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = {ImportBatch.Status.CHECKING, ImportBatch.Status.COMMITTING}
MAPPABLE = {ImportBatch.Status.UPLOADED, ImportBatch.Status.CHECKED}


def _batch(request: AppRequest, pk: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.visible_to(request.user).select_related(
            "check_job", "commit_job", "created_by", "same_as"
        ),
        pk=pk,
    )


def _search(request: AppRequest) -> str:
    return " ".join(request.GET.get("q", "").split())[:100]


@scoped(ImportBatch)
@role_required(*IMPORTERS)
def import_list(request: AppRequest) -> HttpResponse:
    batches = ImportBatch.objects.visible_to(request.user).select_related("created_by")
    q = _search(request)
    if q:
        batches = batches.filter(label__icontains=q)
    status = request.GET.get("status", "")
    if status in ImportBatch.Status.values:
        batches = batches.filter(status=status)
    else:
        status = ""
    context = {
        **paginate(request, batches, per_page=25),
        "q": q,
        "status": status,
        "statuses": ImportBatch.Status.choices,
    }
    return render(request, "members/imports/import_list.html", context)


def _upload_page(request: AppRequest, form: ImportUploadForm, **extra: Any) -> HttpResponse:
    context = {"form": form, "max_mb": imports.max_bytes() // 2**20, "max_rows": imports.max_rows(), **extra}
    return render(
        request, "members/imports/import_upload.html", context, status=400 if form.is_bound else 200
    )


# The form holds no stored records (a file uploaded twice links to the office's own earlier list).
@no_data
@role_required(*IMPORTERS)
@require_http_methods(["GET", "POST"])
def import_upload(request: AppRequest) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form)
    upload = form.cleaned_data["file"]
    try:
        batch = imports.import_upload(
            actor=request.user,
            name=upload.name,
            content=upload.read(),
            label=form.cleaned_data["label"],
            again=form.cleaned_data["again"],
        )
    except imports.SameFile as error:
        form.add_error("file", str(error))
        return _upload_page(request, form, earlier=error.earlier, same_file=True)
    except imports.ImportError_ as error:
        form.add_error("file", str(error))
        return _upload_page(request, form)
    messages.success(request, _("The file was read: check the columns, then start the check."))
    return redirect("members:import_mapping", pk=batch.pk)


@no_data
@role_required(*IMPORTERS)
def import_template(request: AppRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="templat-daftar-orang.xlsx"'
    return response


@scoped(ImportBatch)
@role_required(*IMPORTERS)
@require_http_methods(["GET", "POST"])
def import_mapping(request: AppRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if batch.status not in MAPPABLE:
        return redirect("members:import_detail", pk=batch.pk)
    samples = imports.sample_rows(batch)
    form = ImportMappingForm(
        request.POST if request.method == "POST" else None, batch=batch, samples=samples, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_confirm(
                batch=batch, mapping=form.mapping(), defaults=form.defaults(), actor=request.user
            )
        except imports.ImportError_ as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The list is being checked: the preview follows."))
            return redirect("members:import_detail", pk=batch.pk)
    context = {"batch": batch, "form": form, "samples": samples}
    return render(request, "members/imports/import_mapping.html", context, status=400 if form.errors else 200)


def _job_of(batch: ImportBatch) -> Job | None:
    if batch.status in {ImportBatch.Status.COMMITTING, ImportBatch.Status.COMMITTED}:
        return batch.commit_job
    return batch.check_job


def _sample(batch: ImportBatch, row: ImportRow) -> dict[str, Any]:
    """A row of the preview, its name and NIK masked. A row to fix has only its cells as written: the name
    and NIK are read from the columns mapped to them."""
    name, nik = row.full_name, row.nik_masked
    if not row.nik_masked and row.cells:
        name = _cell(row.cells, batch.mapping.get("full_name"))
        nik = mask_nik(_cell(row.cells, batch.mapping.get("nik")))
    return {
        "row_number": row.row_number,
        "name": mask_name(name),
        "nik": nik,
        "problems": row.problems,
        "status": row.status,
        "first_row": row.first_row,
        "existing_id": row.existing_member_id if row.existing_visible else None,
        "elsewhere": row.status == ImportRow.Status.DUPLICATE_REGISTRY and not row.existing_visible,
    }


def _cell(cells: list[Any], index: Any) -> str:
    if index is None or not 0 <= int(index) < len(cells):
        return ""
    return str(cells[int(index)] or "")


def _preview_lists(batch: ImportBatch) -> list[tuple[str, Any, int]]:
    """The preview's lists: key, title and number of rows."""
    return [
        ("valid", _("Valid"), batch.rows_valid - batch.rows_possible_duplicate),
        ("possible", _("Possible duplicates"), batch.rows_possible_duplicate),
        ("invalid", _("Invalid"), batch.rows_invalid),
        ("duplicate", _("Duplicates"), batch.rows_duplicate_file + batch.rows_duplicate_registry),
    ]


def _detail_page(request: AppRequest, batch: ImportBatch, commit_form: ImportCommitForm | None = None):
    context: dict[str, Any] = {
        "batch": batch,
        "job": _job_of(batch),
        "running": batch.status in RUNNING,
        "can_cancel": batch.status in {*MAPPABLE, ImportBatch.Status.FAILED},
    }
    if batch.status == ImportBatch.Status.CHECKED:
        samples = imports.preview_samples(batch)
        context["samples"] = [
            (key, title, count, [_sample(batch, row) for row in samples[key]])
            for key, title, count in _preview_lists(batch)
        ]
        context["commit_form"] = commit_form or ImportCommitForm(user=request.user)
    return render(
        request, "members/imports/import_detail.html", context, status=400 if commit_form is not None else 200
    )


@scoped(ImportBatch)
@role_required(*IMPORTERS)
def import_detail(request: AppRequest, pk: int) -> HttpResponse:
    """The list's state. With htmx, only the progress block (polled while a job runs; when the job has
    finished the page reloads once to show the preview or the result)."""
    batch = _batch(request, pk)
    if request.htmx:
        job = _job_of(batch)
        response = render(request, "members/imports/_progress.html", {"batch": batch, "job": job})
        if batch.status not in RUNNING or job is None or job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    return _detail_page(request, batch)


@scoped(ImportBatch)
@role_required(*IMPORTERS)
def import_rows(request: AppRequest, pk: int) -> HttpResponse:
    """Every row of one of the preview's lists (?jenis=valid|possible|invalid|duplicate), 50 a page."""
    batch = _batch(request, pk)
    if batch.status != ImportBatch.Status.CHECKED:
        return redirect("members:import_detail", pk=batch.pk)
    lists = _preview_lists(batch)
    kind = request.GET.get("jenis", "")
    if kind not in imports.PREVIEW_KINDS:
        kind = "invalid"
    page = paginate(request, imports.preview_rows(batch, kind), per_page=50)
    return render(
        request,
        "members/imports/import_rows.html",
        {
            **page,
            "batch": batch,
            "key": kind,
            "lists": lists,
            "title": next(title for key, title, _count in lists if key == kind),
            "rows": [_sample(batch, row) for row in page["page_obj"]],
        },
    )


@scoped(ImportBatch)
@role_required(*IMPORTERS)
@require_POST
def import_commit(request: AppRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    form = ImportCommitForm(request.POST, user=request.user)
    if not form.is_valid():
        return _detail_page(request, batch, form)
    try:
        imports.import_commit(batch=batch, actor=request.user, submit=form.submit_options())
    except imports.ImportError_ as error:
        form.add_error(None, str(error))
        return _detail_page(request, batch, form)
    messages.success(request, _("The valid rows are being imported."))
    return redirect("members:import_detail", pk=batch.pk)


@scoped(ImportBatch)
@role_required(*IMPORTERS)
def import_report(request: AppRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if not batch.report_name:
        raise Http404
    content, name = imports.report_file(batch=batch, actor=request.user)
    kind = XLSX if name.endswith(".xlsx") else "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    response["Cache-Control"] = "no-store"
    return response


@scoped(ImportBatch)
@role_required(*IMPORTERS)
@require_POST
def import_cancel(request: AppRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        imports.import_cancel(batch=batch, actor=request.user)
    except imports.ImportError_ as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The list was cancelled and its file deleted."))
    return redirect("members:import_detail", pk=batch.pk)
