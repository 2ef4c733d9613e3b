"""Reads of the registry. Every one starts from Member.objects.visible_to(user)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.postgres.search import TrigramWordDistance
from django.db.models import Exists, OuterRef, QuerySet

from umkm_enroll.web.phone import normalize_phone

from . import nik as nik_rules
from .models import DuplicateFlag, Enrollment, EnrollmentStatus, Member, NameToken
from .names import name_tokens, normalize_name

SORTS = {
    "name": ("name_search", "id"),
    "-name": ("-name_search", "-id"),
    # Ids grow with registration time: "newest first" walks the primary key backwards.
    "created": ("id",),
    "-created": ("-id",),
    "regency": ("regency_id", "name_search"),
    "-regency": ("-regency_id", "name_search"),
    "birth_date": ("birth_date", "id"),
    "-birth_date": ("-birth_date", "-id"),
}
NAME_RESULTS = 200
_DIGITS = re.compile(r"^\+?[\d\s.\-]+$")


@dataclass(frozen=True)
class Query:
    """What a search box entry means: a full NIK, a phone number, a KPJ number, or a name."""

    kind: str  # "nik", "phone", "kpj", "name", "" (nothing typed), "none" (no letter or digit: finds no one)
    value: str


def classify(q: str) -> Query:
    q = q.strip()
    if not q:
        return Query("", "")
    if _DIGITS.match(q):
        digits = nik_rules.normalize(q).lstrip("+")
        if len(digits) == 16 and not digits.startswith("0"):
            return Query("nik", digits)
        try:
            return Query("phone", normalize_phone(q))
        except ValueError:
            return Query("kpj", digits)
    name = normalize_name(q)
    if not name_tokens(name):
        return Query("none", "")  # "'", "%": a search for no one, not for everyone
    return Query("name", name)


Rows = TypeVar("Rows", bound=QuerySet)


def filter_by_person(rows: Rows, q: str, prefix: str = "member__") -> Rows:
    """Rows whose person (reached through `prefix`) matches the search box: a full NIK, a phone number, a
    KPJ number, or every word of a name (as a part of the normalised name: exact, no typo tolerance)."""
    from .services import nik_digest

    query = classify(q)
    if query.kind == "nik":
        return rows.filter(**{f"{prefix}nik_digest": nik_digest(query.value)})
    if query.kind == "phone":
        return rows.filter(**{f"{prefix}phone": query.value})
    if query.kind == "kpj":
        return rows.filter(**{f"{prefix}kpj_number": query.value})
    if query.kind == "none":
        return rows.none()
    for word in name_tokens(query.value):
        rows = rows.filter(**{f"{prefix}name_search__contains": word})
    return rows


def word_variants(word: str, limit: int = 60) -> list[str]:
    """Words used in names that are similar to `word` (a typo) or start with it (a partial word)."""
    from django.contrib.postgres.search import TrigramSimilarity
    from django.db.models import Q

    condition = (
        Q(token__startswith=word)
        if len(word) < 3
        else Q(token__trigram_similar=word) | Q(token__startswith=word)
    )
    return list(
        NameToken.objects.filter(condition)
        .annotate(similarity=TrigramSimilarity("token", word))
        .order_by("-similarity", "token")
        .values_list("token", flat=True)[:limit]
    )


def members_search(
    *, user: Any, q: str = "", filters: dict[str, Any] | None = None, sort: str = ""
) -> QuerySet | list[Member]:
    """The registry list: the user's scope, the search box, the filters and the order."""
    from .services import nik_digest

    members = Member.objects.visible_to(user).current().select_related("regency", "cooperative")
    filters = filters or {}
    if filters.get("province"):
        members = members.filter(province_id=filters["province"])
    if filters.get("regency"):
        members = members.filter(regency_id=filters["regency"])
    if filters.get("cooperative"):
        members = members.filter(cooperative_id=filters["cooperative"])
    if filters.get("import_batch"):
        members = members.filter(import_batch_id=filters["import_batch"])
    if filters.get("kind"):
        members = members.filter(kind=filters["kind"])
    if filters.get("aid") == "bpum":
        members = members.filter(aid_bpum=True)
    elif filters.get("aid") == "kur":
        members = members.filter(aid_kur=True)
    status = filters.get("enrollment")
    if status == "none":
        members = members.exclude(Exists(Enrollment.objects.filter(member=OuterRef("pk"))))
    elif status in EnrollmentStatus.values:
        members = members.filter(Exists(Enrollment.objects.filter(member=OuterRef("pk"), status=status)))

    query = classify(q)
    if query.kind == "nik":
        members = members.filter(nik_digest=nik_digest(query.value))
    elif query.kind == "phone":
        members = members.filter(phone=query.value)
    elif query.kind == "kpj":
        members = members.filter(kpj_number=query.value)
    elif query.kind == "none":
        return []
    elif query.kind == "name":
        # Typo-tolerant: every typed word must match a word of the name that is similar to it or starts
        # with it (expanded through the NameToken vocabulary). The best NAME_RESULTS come first, by word
        # similarity of the whole name; a longer list is for narrowing the search, not for paging.
        for word in name_tokens(query.value):
            similar = word_variants(word)
            if not similar:
                return []
            members = members.filter(name_tokens__overlap=similar)
        if not sort:
            ranked = members.annotate(distance=TrigramWordDistance(query.value, "name_search")).order_by(
                "distance", "id"
            )
            # Evaluated once, not once for the count and again for the page.
            return list(ranked[:NAME_RESULTS])
    return members.order_by(*SORTS.get(sort, SORTS["name"]))


def member_detail(*, user: Any, pk: int) -> Member:
    return (
        Member.objects.visible_to(user)
        .select_related(
            "province",
            "regency",
            "district",
            "village",
            "cooperative",
            "employer_member",
            "employer_cooperative",
            "office",
            "merged_into",
        )
        .get(pk=pk)
    )


def duplicates_open_for(user: Any) -> QuerySet:
    return (
        DuplicateFlag.objects.visible_to(user)
        .filter(status=DuplicateFlag.Status.OPEN)
        .select_related("first", "second", "first__regency", "second__regency")
        .order_by("created_at")
    )
