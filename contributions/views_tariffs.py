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
    USERS_COUNT_CAP,
    TariffAdminError,
    bracket_billed,
    bracket_create,
    bracket_update,
    scheme_billed,
    scheme_create,
    scheme_latest,
    scheme_new_version,
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
    users = scheme_users(scheme)
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
            "users": min(users, USERS_COUNT_CAP),
            "users_capped": users > USERS_COUNT_CAP,
            "billed": scheme_billed(scheme),
            "latest": scheme_latest(scheme),
            "versions": TariffScheme.objects.filter(code=scheme.code).order_by("valid_from"),
            "history": history_of(scheme)[:HISTORY_SIZE],
            "can_edit": request.user.has_role(Role.ADMINISTRATOR),
        },
    )


@reference
@role_required(Role.ADMINISTRATOR)
def scheme_create_view(request: AppRequest) -> HttpResponse:
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = scheme_create(data=form.scheme_data(), actor=request.user)
        except TariffAdminError as error:
            form.add_error(None, str(error))
        else:
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
    if not scheme_latest(scheme):  # its months end where the next version begins
        form.fields["valid_to"].disabled = True
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
def scheme_version(request: AppRequest, pk: int) -> HttpResponse:
    """A new rate of the scheme's code from a month on (the current version ends the month before)."""
    scheme = get_object_or_404(TariffScheme, pk=pk)
    form = SchemeForm(request.POST or None, version_of=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            new = scheme_new_version(scheme=scheme, data=form.scheme_data(), actor=request.user)
        except TariffAdminError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("New rate of “%(code)s” from %(month)s saved.")
                % {"code": new.code, "month": f"{new.valid_from:%m/%Y}"},
            )
            return redirect("contributions:scheme_detail", pk=new.pk)
    return render(
        request,
        "contributions/scheme_form.html",
        {"form": form, "scheme": scheme, "new_version": True, "billed": scheme_billed(scheme)},
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
