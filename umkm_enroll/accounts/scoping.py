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

    def covers_regency(self, code: str | None) -> bool:
        return self.everything or (code is not None and code in self.regency_codes)

    def filter_for(self, field: str) -> Q:
        """A Q object limiting `field` (a regency code, or a relation ending in one) to this scope."""
        if self.everything:
            return Q()
        return Q(**{f"{field}__in": sorted(self.regency_codes)})

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
        scope = Scope(everything=False, regency_codes=office_regency_codes(office))
    user._scope_cache = scope
    return scope
