from __future__ import annotations

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from umkm_enroll.accounts.access import no_data, role_required, scoped
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.services import history_of
from umkm_enroll.regions.models import Province, Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import services
from .forms import FORM_FIELDS, CooperativeForm
from .models import EDITOR_ROLES, VIEWER_ROLES, Cooperative
from .selectors import SORTS, cooperatives_for

SORT_COLUMNS = ("name", "regency", "member_count", "created")


@scoped(Cooperative)
@role_required(*VIEWER_ROLES)
def cooperative_list(request: AppRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    province = request.GET.get("province", "").strip()
    regency = request.GET.get("regency", "").strip()
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    sort = request.GET.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    cooperatives = cooperatives_for(
        request.user, q=q, province=province, regency=regency, kind=kind, status=status, sort=sort
    )
    scope = scope_of(request.user)
    provinces = Province.objects.all()
    if not scope.everything:
        provinces = provinces.filter(code__in=scope.province_codes)
    regencies = (
        Regency.objects.all() if scope.everything else Regency.objects.filter(code__in=scope.regency_codes)
    )
    if province:
        regencies = regencies.filter(province_id=province)
    elif scope.everything:
        # All 514 would make a long list: a national user chooses the province first.
        regencies = regencies.none()
    return render(
        request,
        "cooperatives/list.html",
        {
            **paginate(request, cooperatives),
            "member_total": cooperatives.aggregate(total=Sum("member_count"))["total"] or 0,
            "q": q,
            "province": province,
            "regency": regency,
            "kind": kind,
            "status": status,
            "sort": sort,
            "sort_links": _sort_links(request, sort),
            "provinces": provinces.order_by("name"),
            "regencies": regencies.order_by("name"),
            "kinds": Cooperative.Kind.choices,
            "statuses": Cooperative.Status.choices,
            "can_edit": request.user.has_role(*EDITOR_ROLES),
        },
    )


def _sort_links(request: AppRequest, current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the query string that sorts by it (reversing the current direction)
    and the arrow of its current direction."""
    links = {}
    for column in SORT_COLUMNS:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{column}" if current == column else column
        arrow = "↑" if current == column else "↓" if current == f"-{column}" else ""
        links[column] = {"query": params.urlencode(), "arrow": arrow}
    return links


@scoped(Cooperative)
@role_required(*VIEWER_ROLES)
def cooperative_detail(request: AppRequest, pk: int) -> HttpResponse:
    cooperative = get_object_or_404(
        Cooperative.objects.visible_to(request.user).select_related(
            "province", "regency", "district", "village", "office", "created_by"
        ),
        pk=pk,
    )
    return render(
        request,
        "cooperatives/detail.html",
        {
            "cooperative": cooperative,
            "history": history_of(cooperative)[:50],
            "can_edit": request.user.has_role(*EDITOR_ROLES),
        },
    )


@no_data
@role_required(*EDITOR_ROLES)
def cooperative_create(request: AppRequest) -> HttpResponse:
    form = CooperativeForm(request.POST or None, user=request.user)
    if _submitted(request) and form.is_valid():
        try:
            cooperative = services.cooperative_create(data=form.cooperative_data(), actor=request.user)
        except services.CooperativeError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Cooperative “%(name)s” registered.") % {"name": cooperative.name})
            return redirect("cooperatives:detail", pk=cooperative.pk)
    return _form_page(request, form, None)


@scoped(Cooperative)
@role_required(*EDITOR_ROLES)
def cooperative_edit(request: AppRequest, pk: int) -> HttpResponse:
    cooperative = get_object_or_404(Cooperative.objects.visible_to(request.user), pk=pk)
    form = CooperativeForm(request.POST or None, instance=cooperative, user=request.user)
    conflict: dict[str, str] = {}
    if _submitted(request) and form.is_valid():
        try:
            services.cooperative_update(
                cooperative=cooperative,
                data=form.cooperative_data(),
                expected_version=form.cleaned_data["version"],
                actor=request.user,
            )
        except services.StaleVersion as error:
            form, conflict = _form_after_conflict(request, error)
        except services.CooperativeError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Cooperative “%(name)s” saved.") % {"name": cooperative.name})
            return redirect("cooperatives:detail", pk=cooperative.pk)
    return _form_page(request, form, cooperative, conflict)


def _submitted(request: AppRequest) -> bool:
    """A POST that saves (not the no-script button that only reloads the region choices)."""
    return request.method == "POST" and not request.POST.get("refresh")


def _form_after_conflict(
    request: AppRequest, conflict: services.StaleVersion
) -> tuple[CooperativeForm, dict[str, str]]:
    """The user's input again, now carrying the current version, with the values saved meanwhile beside
    the fields where they differ: saving again is then a deliberate choice."""
    # Validating the form below changes its instance: keep a copy of the saved row for display.
    saved = Cooperative.objects.select_related("province", "regency", "district", "village").get(
        pk=conflict.current.pk
    )
    data = request.POST.copy()
    data["version"] = str(conflict.current.version)
    form = CooperativeForm(data, instance=conflict.current, user=request.user)
    form.is_valid()
    form.add_error(None, str(conflict.message))
    differences = {}
    for name in FORM_FIELDS:
        mine = form.cleaned_data[name] if name in form.cleaned_data else data.get(name)
        if _comparable(mine) != _comparable(getattr(saved, name)):
            differences[name] = _display(saved, name)
    return form, differences


def _comparable(value: object) -> str:
    value = getattr(value, "pk", value)
    return "" if value is None else str(value)


def _display(cooperative: Cooperative, name: str) -> str:
    field = Cooperative._meta.get_field(name)
    if getattr(field, "choices", None):
        value = getattr(cooperative, f"get_{name}_display")()
    else:
        value = getattr(cooperative, name)
    return str(value) if value not in (None, "") else "—"


def _form_page(
    request: AppRequest,
    form: CooperativeForm,
    cooperative: Cooperative | None,
    conflict: dict[str, str] | None = None,
) -> HttpResponse:
    if request.POST.get("refresh"):
        form.errors.clear()
    return render(
        request,
        "cooperatives/form.html",
        {"form": form, "cooperative": cooperative, "conflict": conflict or {}},
    )
