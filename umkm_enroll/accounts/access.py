"""Access declarations for views.

Every URL that can return data declares how it is scoped, so the tenant-matrix test (generated from the
URL configuration and the API schema) knows what to check, and an undeclared new endpoint fails it:

- `scoped(Model)`: returns rows of Model filtered by `Model.objects.visible_to(user)`;
- `reference`: returns reference data that is the same for everyone (regions, minimum wages);
- `no_data`: returns no stored records (login, home, health);
- `national`: only for national roles (administrators, national viewers);
- `public`: open to anyone, showing only what the public may know (card verification: genuine or not, a
  masked name, the programmes, whether cover is active), rate-limited.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models

SCOPED = "scoped"
REFERENCE = "reference"
NO_DATA = "no_data"
NATIONAL = "national"
PUBLIC = "public"


def declare(kind: str, model: type[models.Model] | None = None) -> Callable[[Any], Any]:
    def mark(view: Any) -> Any:
        view.data_scope = (kind, model)
        return view

    return mark


def scoped(model: type[models.Model]) -> Callable[[Any], Any]:
    return declare(SCOPED, model)


reference = declare(REFERENCE)
no_data = declare(NO_DATA)
national = declare(NATIONAL)
public = declare(PUBLIC)


def role_required(*roles: str) -> Callable[[Callable], Callable]:
    """Signed in and holding one of `roles` (a superuser holds the administrator's); otherwise 403."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def data_scope_of(callback: Any) -> tuple[str, type[models.Model] | None] | None:
    """The declaration of a resolved URL callback (function view, class-based view or DRF view)."""
    for candidate in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        declared = getattr(candidate, "data_scope", None)
        if declared:
            return declared
    return None
