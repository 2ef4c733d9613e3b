from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from umkm_enroll.audit.services import audit_record, history_of
from umkm_enroll.regions.models import Province
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import services
from .access import no_data, role_required, scoped
from .forms import LoginForm, NewUserForm, OfficeForm, PasswordSetForm, TokenForm, UserForm
from .models import Office, Role, User
from .totp import qr_svg_data_uri

ADMIN = Role.ADMINISTRATOR


@no_data
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@no_data
class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """django-axes lockout: the username is locked for a while, the office's other users are not."""
    return render(request, "accounts/locked_out.html", status=429)


def _safe_next(request: AppRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@no_data
@login_required
def otp_verify(request: AppRequest) -> HttpResponse:
    user = request.user
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(f"{_url('accounts:otp_setup')}?next={_safe_next(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _throttled(form, user):
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit_record(actor=user, action="accounts.two_factor.verified", target=user)
            return redirect(_safe_next(request))
        audit_record(actor=user, action="accounts.two_factor.failed", target=user)
        form.add_error("token", _("The code is wrong or has expired. Enter the current code."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})


@no_data
@login_required
def otp_setup(request: AppRequest) -> HttpResponse:
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(f"{_url('accounts:otp_verify')}?next={_safe_next(request)}")
    device = services.totp_device_pending(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _throttled(form, user, device):
        if services.totp_device_confirm(device=device, token=form.cleaned_data["token"], actor=user):
            device.refresh_from_db()
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(_safe_next(request))
        form.add_error(
            "token", _("The code does not match. Check the time on your phone and try the current code.")
        )
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": qr_svg_data_uri(device.config_url),
            "secret": device_secret(device),
            "next": _safe_next(request),
        },
    )


def _throttled(form: TokenForm, user, device: TOTPDevice | None = None) -> bool:
    """After a wrong code django-otp makes the next try wait (1 s, 2 s, 4 s, ...): say so."""
    devices = [device] if device else TOTPDevice.objects.filter(user=user, confirmed=True)
    for candidate in devices:
        allowed, _details = candidate.verify_is_allowed()
        if not allowed:
            form.add_error(
                "token", _("Too many wrong codes. Wait a few seconds, then enter the current code.")
            )
            return True
    return False


def device_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


# --- Offices -------------------------------------------------------------------------------------


@scoped(Office)
@role_required(ADMIN)
def office_list(request: AppRequest) -> HttpResponse:
    offices = Office.objects.visible_to(request.user).select_related("province", "regency", "parent")
    q = request.GET.get("q", "").strip()
    if q:
        offices = offices.filter(
            Q(name__icontains=q) | Q(regency__name__icontains=q) | Q(province__name__icontains=q)
        )
    kind = request.GET.get("kind", "")
    if kind in Office.Kind.values:
        offices = offices.filter(kind=kind)
    province = request.GET.get("province", "")
    if province:
        offices = offices.filter(Q(province_id=province) | Q(regency__province_id=province))
    offices = offices.annotate(user_count=Count("users", distinct=True)).order_by("kind", "name")
    return render(
        request,
        "accounts/office_list.html",
        {
            **paginate(request, offices),
            "q": q,
            "kind": kind,
            "province": province,
            "kinds": Office.Kind.choices,
            "provinces": Province.objects.all(),
        },
    )


@scoped(Office)
@role_required(ADMIN)
def office_detail(request: AppRequest, pk: int) -> HttpResponse:
    office = get_object_or_404(Office.objects.visible_to(request.user), pk=pk)
    return render(
        request,
        "accounts/office_detail.html",
        {
            "office": office,
            "served": office.served_regencies.select_related("province"),
            "branches": office.branches.all(),
            "users": office.users.order_by("username"),
            "history": history_of(office)[:50],
        },
    )


def _office_form_page(request: AppRequest, office: Office | None) -> HttpResponse:
    form = OfficeForm(request.POST or None, instance=office)
    if request.method == "POST" and not request.POST.get("refresh") and form.is_valid():
        data = {name: form.cleaned_data[name] for name in OfficeForm.Meta.fields}
        served = list(form.cleaned_data.get("served_regencies") or [])
        if office is None:
            office = services.office_create(data=data, served_regencies=served, actor=request.user)
            messages.success(request, _("Office “%(name)s” created.") % {"name": office.name})
        else:
            office = services.office_update(
                office=office, data=data, served_regencies=served, actor=request.user
            )
            messages.success(request, _("Office “%(name)s” saved.") % {"name": office.name})
        return redirect("accounts:office_detail", pk=office.pk)
    if request.POST.get("refresh"):
        form.errors.clear()
    template = "accounts/_office_fields.html" if request.htmx else "accounts/office_form.html"
    return render(request, template, {"form": form, "office": office})


@no_data
@role_required(ADMIN)
def office_create(request: AppRequest) -> HttpResponse:
    return _office_form_page(request, None)


@scoped(Office)
@role_required(ADMIN)
def office_edit(request: AppRequest, pk: int) -> HttpResponse:
    office = get_object_or_404(Office.objects.visible_to(request.user), pk=pk)
    return _office_form_page(request, office)


# --- Users ---------------------------------------------------------------------------------------


@scoped(User)
@role_required(ADMIN)
def user_list(request: AppRequest) -> HttpResponse:
    users = User.objects.visible_to(request.user).select_related("office")
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(office__name__icontains=q)
        )
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.with_role(role)
    active = request.GET.get("active", "")
    if active in {"1", "0"}:
        users = users.filter(is_active=active == "1")
    office = request.GET.get("office", "")
    if office.isdigit():
        users = users.filter(office_id=int(office))
    return render(
        request,
        "accounts/user_list.html",
        {
            **paginate(request, users.order_by("username")),
            "q": q,
            "role": role,
            "active": active,
            "office": office,
            "roles": Role.choices,
            "offices": Office.objects.visible_to(request.user).order_by("name"),
        },
    )


@scoped(User)
@role_required(ADMIN)
def user_detail(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User.objects.visible_to(request.user).select_related("office"), pk=pk)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "has_totp": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
            "password_form": PasswordSetForm(user=account),
            "history": history_of(account)[:50],
        },
    )


@no_data
@role_required(ADMIN)
def user_create(request: AppRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in UserForm.Meta.fields}
        account = services.user_create(data=data, password=form.cleaned_data["password"], actor=request.user)
        messages.success(request, _("User “%(username)s” created.") % {"username": account.username})
        return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": None})


@scoped(User)
@role_required(ADMIN)
def user_edit(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    form = UserForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        if account == request.user and not form.cleaned_data["is_active"]:
            form.add_error("is_active", _("You cannot deactivate your own account."))
        else:
            data = {name: form.cleaned_data[name] for name in UserForm.Meta.fields}
            services.user_update(user=account, data=data, actor=request.user)
            messages.success(request, _("User “%(username)s” saved.") % {"username": account.username})
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": account})


@scoped(User)
@role_required(ADMIN)
@require_POST
def user_set_password(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    form = PasswordSetForm(request.POST, user=account)
    if form.is_valid():
        services.user_set_password(user=account, password=form.cleaned_data["password"], actor=request.user)
        messages.success(request, _("Password changed."))
    else:
        for error in form.errors.get("password", []):
            messages.error(request, str(error))
    return redirect("accounts:user_detail", pk=account.pk)


@scoped(User)
@role_required(ADMIN)
@require_POST
def user_reset_two_factor(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    services.user_reset_two_factor(user=account, actor=request.user)
    messages.success(
        request, _("Two-factor sign-in reset: the user sets up a new authenticator at the next login.")
    )
    return redirect("accounts:user_detail", pk=account.pk)
