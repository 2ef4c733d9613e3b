from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from umkm_enroll.accounts.access import national, role_required
from umkm_enroll.accounts.models import Role
from umkm_enroll.web.listing import paginate

from .models import AuditEntry


def _day_bound(value: str, end: bool) -> datetime | None:
    day = parse_date(value) if value else None
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@national
@role_required(Role.ADMINISTRATOR)
def entry_list(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    filters = {
        key: request.GET.get(key, "").strip() for key in ("actor", "action", "object", "since", "until")
    }
    if filters["actor"]:
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action__startswith=filters["action"])
    if filters["object"]:
        entries = entries.filter(
            Q(object_type__icontains=filters["object"])
            | Q(object_id=filters["object"])
            | Q(object_label__icontains=filters["object"])
        )
    since = _day_bound(filters["since"], end=False)
    if since:
        entries = entries.filter(at__gte=since)
    until = _day_bound(filters["until"], end=True)
    if until:
        entries = entries.filter(at__lte=until)
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request, "audit/entry_list.html", {**paginate(request, entries), **filters, "actions": actions}
    )
