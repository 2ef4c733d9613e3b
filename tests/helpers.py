"""Test helpers: signing in (with the second factor) without going through the login form."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import confirmed_totp
from umkm_enroll.accounts.models import User


def login_verified(client, user: User) -> None:
    """Sign `user` in and mark the session as having passed TOTP, as the verification page does."""
    client.force_login(user)
    device = confirmed_totp(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def browser_login(page, user: User) -> None:
    """Give the browser page a signed-in, TOTP-verified session of `user` (the login journey itself is
    tested in tests/e2e/test_two_factor_login.py)."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import Client

    client = Client()
    login_verified(client, user)
    base = page.context._options.get("baseURL") if hasattr(page.context, "_options") else None
    host = urlsplit(base or page.url).hostname or "localhost"
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
