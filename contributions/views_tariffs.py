"""Tariff pages, under /iuran/tarif/: the contribution schemes, BPU income brackets and reliefs (finance
staff and administrators read them), and the administrators' forms for schemes and brackets. Tariffs are
the same for everyone: reference data, no region's records."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from members.models import RiskClass
from umkm_enroll.accounts.access import reference, role_required
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.services import history_of
from umkm_enroll.web.http import AppRequest

from .forms_tariffs import BracketForm, SchemeForm
from .models import IncomeBracket, Relief, TariffScheme
from .selectors import DEFAULT_SCHEME
from .tariff_admin import (
    TariffAdminError,
    bracket_billed,
    bracket_create,
    bracket_update,
    scheme_billed,
    scheme_create,
    scheme_update,
    scheme_users,
)

READERS = (Role.FINANCE, Role.ADMINISTRATOR)
HISTORY_SIZE = 50


@reference
@role_required(*READERS)
def tariff_list(request: AppRequest) -> HttpResponse:
    return render(
        request,
        "contributions/tariff_list.html",
        {
            "schemes": TariffScheme.objects.select_related("province").order_by("valid_from", "code"),
            "brackets": IncomeBracket.objects.order_by("-valid_from", "amount"),
            "reliefs": Relief.objects.order_by("first_month"),
            "default_scheme": DEFAULT_SCHEME,
            "can_edit": request.user.has_role(Role.ADMINISTRATOR),
        },
    )


@reference
@role_required(*READERS)
def scheme_detail(request: AppRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(TariffScheme.objects.select_related("province"), pk=pk)
    return render(
        request,
        "contributions/scheme_detail.html",
        {
            "scheme": scheme,
            "risk_rates": [
                (label, scheme.jkk_rates[value])
                for value, label in RiskClass.choices
                if value in scheme.jkk_rates
            ],
            "default_scheme": DEFAULT_SCHEME,
            "users": scheme_users(scheme),
            "billed": scheme_billed(scheme),
            "history": history_of(scheme)[:HISTORY_SIZE],
            "can_edit": request.user.has_role(Role.ADMINISTRATOR),
        },
    )


@reference
@role_required(Role.ADMINISTRATOR)
def scheme_create_view(request: AppRequest) -> HttpResponse:
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheme = scheme_create(data=form.scheme_data(), actor=request.user)
        messages.success(request, _("Scheme “%(name)s” added.") % {"name": scheme.name})
        return redirect("contributions:scheme_detail", pk=scheme.pk)
    return render(request, "contributions/scheme_form.html", {"form": form, "scheme": None})


@reference
@role_required(Role.ADMINISTRATOR)
def scheme_edit(request: AppRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(TariffScheme, pk=pk)
    billed = scheme_billed(scheme)
    # The form validates into its own copy, so the page keeps showing the saved name on errors.
    form = SchemeForm(
        request.POST or None, instance=TariffScheme.objects.get(pk=pk), locked=billed is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            scheme_update(scheme=scheme, data=form.scheme_data(), actor=request.user)
        except TariffAdminError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Scheme “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
            return redirect("contributions:scheme_detail", pk=scheme.pk)
    return render(
        request, "contributions/scheme_form.html", {"form": form, "scheme": scheme, "billed": billed}
    )


@reference
@role_required(Role.ADMINISTRATOR)
def bracket_create_view(request: AppRequest) -> HttpResponse:
    form = BracketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bracket = bracket_create(data=form.cleaned_data, actor=request.user)
        except TariffAdminError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Income bracket %(bracket)s added.") % {"bracket": bracket})
            return redirect("contributions:tariff_list")
    return render(request, "contributions/bracket_form.html", {"form": form, "bracket": None})


@reference
@role_required(Role.ADMINISTRATOR)
def bracket_edit(request: AppRequest, pk: int) -> HttpResponse:
    bracket = get_object_or_404(IncomeBracket, pk=pk)
    billed = bracket_billed(bracket)
    form = BracketForm(
        request.POST or None, instance=IncomeBracket.objects.get(pk=pk), locked=billed is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            bracket_update(bracket=bracket, data=form.cleaned_data, actor=request.user)
        except TariffAdminError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Income bracket %(bracket)s saved.") % {"bracket": form.instance})
            return redirect("contributions:tariff_list")
    return render(
        request,
        "contributions/bracket_form.html",
        {"form": form, "bracket": bracket, "billed": billed, "history": history_of(bracket)[:HISTORY_SIZE]},
    )
