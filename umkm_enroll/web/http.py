"""The request type of signed-in views, for the type checker: `user` is our User, `htmx` from django-htmx."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from umkm_enroll.accounts.models import User


class AppRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
