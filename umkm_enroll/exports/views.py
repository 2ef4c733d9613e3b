"""The export of any registered list (a POST from the list page carrying its query string) and the
download of a file made by an export job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from umkm_enroll.accounts.access import scoped
from umkm_enroll.jobs.models import Job
from umkm_enroll.web.http import AppRequest

from . import files, registry, services

# Not filters of a list: the export's own fields and the page number.
NOT_FILTERS = {"csrfmiddlewaretoken", "format", "delimiter", "query", "page"}


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[(files.CSV, "CSV"), (files.XLSX, "Excel (XLSX)")],
        initial=files.CSV,
    )
    delimiter = forms.ChoiceField(
        label=gettext_lazy("CSV separator"),
        choices=[(";", gettext_lazy("Semicolon ; (Excel in Indonesian)")), (",", gettext_lazy("Comma ,"))],
        initial=";",
        required=False,
    )


def may_export(user: Any, export: registry.ListExport) -> bool:
    return bool(user.is_authenticated and user.has_role(*export.roles))


def export_context(request: AppRequest, name: str, query: QueryDict | str) -> dict[str, Any]:
    """What a list page needs for its export form (templates/exports/_export_form.html)."""
    export = registry.get(name)
    if isinstance(query, QueryDict):
        query = query.copy()
        query.pop("page", None)
        query = query.urlencode()
    return {
        "export": {
            "url": reverse(export.export_url),
            "allowed": may_export(request.user, export),
            "query": query,
            "form": ExportForm(),
            "direct_limit": services.direct_limit(),
        }
    }


def list_export_view(name: str, model: type[models.Model]) -> Callable[..., HttpResponse]:
    """The export view of the registered list `name` (rows of `model`, scoped to the user)."""

    @scoped(model)
    @login_required
    @require_POST
    def view(request: AppRequest) -> HttpResponse:
        export = registry.get(name)
        if not may_export(request.user, export):
            raise PermissionDenied
        # The list's query string as the page had it; a form posting the filters themselves also works.
        posted = QueryDict(request.POST["query"]) if "query" in request.POST else request.POST
        params: QueryDict = posted.copy()
        for key in NOT_FILTERS:
            params.pop(key, None)
        back = reverse(export.list_url) + (f"?{params.urlencode()}" if params else "")
        selection = export.read(request, params)
        export_form = ExportForm(request.POST)
        if selection.errors or not export_form.is_valid():
            for error in selection.errors:
                messages.error(request, error)
            for message in [str(e) for errors in export_form.errors.values() for e in errors]:
                messages.error(request, message)
            return redirect(back)
        try:
            result = services.export_request(
                actor=request.user,
                export=export,
                selection=selection,
                fmt=export_form.cleaned_data["format"],
                delimiter=export_form.cleaned_data["delimiter"] or ";",
            )
        except services.ExportError as error:
            messages.error(request, str(error))
            return redirect(back)
        if isinstance(result, Job):
            messages.info(
                request,
                _("The list has more than %(limit)s rows: the file is being made in the background.")
                % {"limit": f"{services.direct_limit():,}".replace(",", ".")},
            )
            return redirect("jobs:detail", pk=result.pk)
        response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = content_disposition_header(True, result.filename) or ""
        response["Cache-Control"] = "private, no-store"
        return response

    view.__name__ = view.__qualname__ = f"{name}_export"
    return view


@scoped(Job)
@login_required
def export_download(request: AppRequest, pk: int) -> HttpResponseBase:
    """The file of a finished export job, for the user who made it; otherwise a page saying why not."""
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    own = job.created_by_id == request.user.pk
    path = services.export_file_of(job)
    if path is None or not own:
        name = job.params.get("list", services.LEGACY_LIST) if job.kind in services.KINDS else ""
        export = registry.registered().get(name)
        return render(
            request,
            "exports/download.html",
            {
                "job": job,
                "own": own,
                "is_export": services.makes_file(job),
                "list_url": reverse(export.list_url) if export else "",
                "list_label": export.label if export else "",
            },
        )
    services.export_download_record(job=job, actor=request.user)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.result.get("filename") or path.name,
        content_type=files.CONTENT_TYPES.get(job.result.get("format", ""), "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response
