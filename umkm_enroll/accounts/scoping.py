"""Which regions a user may see.

A province Diskop office sees its province, a regency/city office its regency, a branch the regencies it
serves, a regional office those of its branches, national roles (and the ministry) everything. Every
`visible_to(user)` queryset method starts here, so there is one answer to "what may this user see".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import NATIONAL_ROLES, Office


@dataclass(frozen=True)
class Scope:
    everything: bool
    regency_codes: frozenset[str]
    # Provinces all of whose regencies are in the scope (a province office's): filtered by equality on
    # the province column, which the registry's indexes lead with.
    whole_provinces: frozenset[str] = frozenset()

    def covers_regency(self, code: str | None) -> bool:
        return self.everything or (code is not None and code in self.regency_codes)

    def filter_for(self, field: str, province_field: str | None = None) -> Q:
        """A Q object limiting `field` (a regency code, or a relation ending in one) to this scope.

        With `province_field`, whole provinces are matched on it, and a handful of regencies of one
        province also name their province, so that province-led indexes serve the query.
        """
        if self.everything:
            return Q()
        if province_field is None:
            return Q(**{f"{field}__in": sorted(self.regency_codes)})
        partial = sorted(code for code in self.regency_codes if code[:2] not in self.whole_provinces)
        parts = []
        if self.whole_provinces:
            parts.append(Q(**{f"{province_field}__in": sorted(self.whole_provinces)}))
        if partial:
            provinces = sorted({code[:2] for code in partial})
            parts.append(Q(**{f"{province_field}__in": provinces, f"{field}__in": partial}))
        result = parts[0]
        for part in parts[1:]:
            result |= part
        return result

    @property
    def province_codes(self) -> frozenset[str]:
        return frozenset(code[:2] for code in self.regency_codes)


NOTHING = Scope(everything=False, regency_codes=frozenset())
EVERYTHING = Scope(everything=True, regency_codes=frozenset())


def office_regency_codes(office: Office) -> frozenset[str]:
    from umkm_enroll.regions.models import Regency

    if office.kind == Office.Kind.MINISTRY:
        return frozenset()
    if office.kind == Office.Kind.DISKOP_REGENCY:
        return frozenset({office.regency_id}) if office.regency_id else frozenset()
    if office.kind == Office.Kind.DISKOP_PROVINCE:
        return frozenset(
            Regency.objects.filter(province_id=office.province_id).values_list("code", flat=True)
        )
    if office.kind == Office.Kind.BPJS_BRANCH:
        return frozenset(office.served_regencies.values_list("code", flat=True))
    if office.kind == Office.Kind.BPJS_REGIONAL:
        return frozenset(
            Regency.objects.filter(serving_branches__parent=office).values_list("code", flat=True).distinct()
        )
    return frozenset()


def with_whole_provinces(codes: frozenset[str]) -> Scope:
    from umkm_enroll.regions.models import Regency

    provinces = {code[:2] for code in codes}
    whole = set()
    for province in provinces:
        in_province = set(Regency.objects.filter(province_id=province).values_list("code", flat=True))
        if in_province and in_province <= codes:
            whole.add(province)
    return Scope(everything=False, regency_codes=codes, whole_provinces=frozenset(whole))


def scope_of(user) -> Scope:
    """The user's scope, computed once per user object (one request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_scope_cache", None)
    if cached is not None:
        return cached
    office = user.office
    if user.is_superuser or user.role_codes() & NATIONAL_ROLES:
        scope = EVERYTHING
    elif office is None or not office.active:
        scope = NOTHING
    elif office.kind == Office.Kind.MINISTRY:
        scope = EVERYTHING
    else:
        scope = with_whole_provinces(office_regency_codes(office))
    user._scope_cache = scope
    return scope


def in_scope_of(queryset, user, regency: str, province: str):
    """`queryset` limited to rows whose `regency` (a path to a regency code, e.g. "member__regency")
    lies in the user's area; `province` names the matching province path (for the province-led
    indexes). Every `visible_to` of a model placed by a person's region goes through here."""
    scope = scope_of(user)
    if scope.everything:
        return queryset
    if not scope.regency_codes:
        return queryset.none()
    return queryset.filter(scope.filter_for(regency, province_field=province))
