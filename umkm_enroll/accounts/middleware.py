"""Session limits and the second factor.

- Idle timeout: SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST (settings).
- Absolute lifetime: SESSION_ABSOLUTE_SECONDS after sign-in the session ends, active or not.
- Users whose roles require it (or everyone, with OTP_REQUIRED_FOR_ALL) must pass TOTP before any page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LOGIN_AT = "login_at"


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            if started is None:
                request.session[LOGIN_AT] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.warning(request, _("Your session has ended after 12 hours. Please log in again."))
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


# Paths a user who still owes the second factor may open.
_OPEN_PREFIXES = ("/akun/", "/static/", "/i18n/", "/healthz", "/verifikasi/")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.needs_two_factor
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Two-factor verification is required.")}, status=403)
            return redirect(f"{reverse('accounts:otp_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
