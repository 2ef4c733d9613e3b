from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from umkm_enroll.accounts.access import national, role_required
from umkm_enroll.accounts.models import Role
from umkm_enroll.web.listing import paginate

from .models import AuditEntry
from .templatetags.audit_format import action_label


def _day_bound(value: str, end: bool) -> datetime | None:
    try:
        day = parse_date(value) if value else None
    except ValueError:  # shaped as a day but not one (2026-13-45)
        day = None
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@national
@role_required(Role.ADMINISTRATOR)
def entry_list(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("actor")
    filters = {
        key: request.GET.get(key, "").strip() for key in ("actor", "action", "object", "since", "until")
    }
    if filters["actor"]:
        # The sign-in name kept in the entry, or the name of the account it belongs to.
        words = filters["actor"].split()
        by_name = Q()
        for word in words:
            by_name &= Q(actor__first_name__icontains=word) | Q(actor__last_name__icontains=word)
        entries = entries.filter(Q(actor_label__icontains=filters["actor"]) | by_name)
    if filters["action"]:
        entries = entries.filter(action__startswith=filters["action"])
    if filters["object"]:
        entries = entries.filter(
            Q(object_type__icontains=filters["object"])
            | Q(object_id=filters["object"])
            | Q(object_label__icontains=filters["object"])
        )
    since = _day_bound(filters["since"], end=False)
    until = _day_bound(filters["until"], end=True)
    errors = [
        _("“%(value)s” is not a date: choose the day in the calendar.") % {"value": filters[name][:20]}
        for name, bound in (("since", since), ("until", until))
        if filters[name] and bound is None
    ]
    if since and until and since > until:
        errors.append(_("The “From” day is after the “Until” day: swap them."))
        since = until = None
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lte=until)
    # The actions recorded so far, by their label in the page's language.
    codes = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    actions = sorted(((code, action_label(code)) for code in codes), key=lambda item: item[1].lower())
    return render(
        request,
        "audit/entry_list.html",
        {**paginate(request, entries), **filters, "actions": actions, "errors": errors},
    )
