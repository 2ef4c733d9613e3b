"""Reads of cooperatives, for the pages and the API. Every read starts from the user's scope."""

from __future__ import annotations

from django.db.models import Q

from .models import Cooperative, CooperativeQuerySet

# Sort key -> ORDER BY; a leading "-" reverses. The name breaks ties so pages are stable.
SORTS: dict[str, list[str]] = {
    "name": ["name", "pk"],
    "regency": ["regency__name", "name", "pk"],
    "member_count": ["member_count", "name", "pk"],
    "created": ["created_at", "pk"],
}
SORTS.update({f"-{key}": [f"-{column}" for column in columns] for key, columns in list(SORTS.items())})


def cooperatives_for(
    user,
    *,
    q: str = "",
    province: str = "",
    regency: str = "",
    kind: str = "",
    status: str = "",
    sort: str = "name",
) -> CooperativeQuerySet:
    """The cooperatives `user` may see, searched by name, NIK koperasi or AHU number, filtered, sorted."""
    cooperatives = Cooperative.objects.visible_to(user).select_related("province", "regency")
    q = q.strip()
    if q:
        cooperatives = cooperatives.filter(
            Q(name__icontains=q) | Q(nik_koperasi__icontains=q) | Q(ahu_number__icontains=q)
        )
    if province:
        cooperatives = cooperatives.filter(province_id=province)
    if regency:
        cooperatives = cooperatives.filter(regency_id=regency)
    if kind in Cooperative.Kind.values:
        cooperatives = cooperatives.filter(kind=kind)
    if status in Cooperative.Status.values:
        cooperatives = cooperatives.filter(status=status)
    return cooperatives.order_by(*SORTS.get(sort, SORTS["name"]))
