"""Print batch pages for card admins: choose cards by filter, start a batch, watch it, download its files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperatives.models import Cooperative
from members.models import ImportBatch
from umkm_enroll.accounts.access import role_required, scoped
from umkm_enroll.accounts.models import Office, Role
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.services import audit_record
from umkm_enroll.regions.models import Province, Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import batches
from .models import PrintBatch

CARD_ADMINS = (Role.CARD_ADMIN,)


class BatchForm(forms.Form):
    province = forms.ModelChoiceField(
        label=gettext_lazy("Province"), queryset=Province.objects.none(), required=False
    )
    regency = forms.ChoiceField(label=gettext_lazy("Regency or city"), required=False)
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Serving branch"), queryset=Office.objects.none(), required=False
    )
    cooperative = forms.ModelChoiceField(
        label=gettext_lazy("Cooperative"), queryset=Cooperative.objects.none(), required=False
    )
    import_batch = forms.ModelChoiceField(
        label=gettext_lazy("Import batch"), queryset=ImportBatch.objects.none(), required=False
    )
    approved_from = forms.DateField(
        label=gettext_lazy("Approved from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    approved_to = forms.DateField(
        label=gettext_lazy("Approved until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    not_printed = forms.BooleanField(
        label=gettext_lazy("Only cards not yet printed"), required=False, initial=True
    )
    layout = forms.ChoiceField(label=gettext_lazy("Layout"), choices=PrintBatch.Layout.choices)
    split_by = forms.ChoiceField(label=gettext_lazy("Files"), choices=PrintBatch.SplitBy.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        # Only the places of the user's area are offered: a batch chosen elsewhere would hold no card.
        scope = scope_of(user)
        provinces = Province.objects.filter(active=True)
        regencies = Regency.objects.filter(active=True).order_by("name")
        branches = Office.objects.filter(kind=Office.Kind.BPJS_BRANCH, active=True)
        if not scope.everything:
            provinces = provinces.filter(code__in=sorted(scope.province_codes))
            regencies = regencies.filter(code__in=sorted(scope.regency_codes))
            branches = branches.filter(served_regencies__code__in=sorted(scope.regency_codes)).distinct()
        fields["province"].queryset = provinces
        fields["regency"].choices = [("", "—"), *((r.code, f"{r.name} ({r.code})") for r in regencies)]
        fields["branch"].queryset = branches.order_by("name")
        fields["cooperative"].queryset = Cooperative.objects.visible_to(user).order_by("name")
        fields["import_batch"].queryset = ImportBatch.objects.filter(office_id=user.office_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("approved_from"), data.get("approved_to")
        if start and end and start > end:
            self.add_error("approved_to", _("The end date comes before the start date."))
        if data.get("split_by") == PrintBatch.SplitBy.COOPERATIVE and not data.get("cooperative"):
            # One file per cooperative is for batches of cooperatives' members; others go in one "-" file.
            pass
        return data

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "province": data["province"].code if data.get("province") else "",
            "regency": data.get("regency", "").strip(),
            "branch": data["branch"].pk if data.get("branch") else None,
            "cooperative": data["cooperative"].pk if data.get("cooperative") else None,
            "import_batch": data["import_batch"].pk if data.get("import_batch") else None,
            "approved_from": data["approved_from"].isoformat() if data.get("approved_from") else "",
            "approved_to": data["approved_to"].isoformat() if data.get("approved_to") else "",
            "not_printed": bool(data.get("not_printed")),
        }


@scoped(PrintBatch)
@role_required(*CARD_ADMINS)
def batch_list(request: AppRequest) -> HttpResponse:
    """The office's batches, and the form that counts the matching cards and then starts a batch."""
    form = BatchForm(request.POST or None, user=request.user, initial={"not_printed": True})
    count = None
    if request.method == "POST" and form.is_valid():
        filters = form.filters()
        count = batches.candidates(request.user, filters).count()
        if request.POST.get("confirmed") == "1":
            try:
                batch = batches.batch_start(
                    actor=request.user,
                    filters=filters,
                    layout=form.cleaned_data["layout"],
                    split_by=form.cleaned_data["split_by"],
                    description=batches.describe(filters),
                )
            except batches.BatchError as error:
                messages.error(request, str(error))
            else:
                return redirect("cards:batch_detail", pk=batch.pk)
    items = PrintBatch.objects.visible_to(request.user).select_related("job", "created_by")
    return render(
        request,
        "cards/batch_list.html",
        {**paginate(request, items, per_page=25), "form": form, "count": count},
    )


@scoped(PrintBatch)
@role_required(*CARD_ADMINS)
def batch_detail(request: AppRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PrintBatch.objects.visible_to(request.user).select_related("job"), pk=pk)
    if request.htmx:
        return render(request, "cards/_batch_progress.html", {"batch": batch, "job": batch.job})
    return render(request, "cards/batch_detail.html", {"batch": batch, "job": batch.job})


@scoped(PrintBatch)
@role_required(*CARD_ADMINS)
def batch_download(request: AppRequest, pk: int) -> HttpResponseBase:
    """One file of a finished batch (`?berkas=<name>`) or the ZIP of them all (`?berkas=zip`)."""
    batch = get_object_or_404(PrintBatch.objects.visible_to(request.user).select_related("job"), pk=pk)
    job = batch.job
    if job is None or job.status != job.Status.SUCCEEDED or batch.expired:
        # Not ready, failed or deleted: the batch page says which.
        messages.error(request, _("The files of this batch are not available."))
        return redirect("cards:batch_detail", pk=batch.pk)
    wanted = request.GET.get("berkas", "")
    names = [described["name"] for described in job.result.get("files", [])]
    name = job.result.get("zip") if wanted == "zip" else wanted
    if not name or (name not in names and name != job.result.get("zip")):
        raise Http404
    path = batches.batch_dir(batch.pk) / name
    if not path.is_file():
        raise Http404
    audit_record(
        actor=request.user,
        action="cards.batch.downloaded",
        target=batch,
        changes={"file": (None, name)},
        region_code="",
    )
    content_type = "application/zip" if name.endswith(".zip") else "application/pdf"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=content_type)
