"""Arrears: the list of enrollments with bills due and not fully paid (exported as the list "arrears",
registered in contributions/list_exports.py).

The list is one aggregate query (bills GROUP BY enrollment): months unpaid, amount owed, the PU late fee
(contributions.arrears.late_fee_of, summed in SQL with the same integer arithmetic) and the oldest unpaid
month. The payer and sponsor-programme filters choose bills: the amounts are what that payer owes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear, Greatest
from django.db.models.lookups import LessThan

from members.models import Enrollment
from members.selectors import filter_by_person

from . import tariffs

SORTS: dict[str, tuple[str, ...]] = {
    "-owed": ("-owed", "-months_unpaid", "pk"),
    "owed": ("owed", "months_unpaid", "pk"),
    "-months": ("-months_unpaid", "-owed", "pk"),
    "months": ("months_unpaid", "owed", "pk"),
}
DEFAULT_SORT = "-owed"

# --- the list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsFilters:
    q: str = ""
    regency: str = ""
    payer: str = ""
    programme: int | None = None
    kind: str = ""
    status: str = ""
    min_months: int | None = None
    sort: str = DEFAULT_SORT

    def as_params(self) -> dict[str, Any]:
        """What a job keeps: everything but the search text (a name or a NIK is personal data)."""
        return {key: value for key, value in asdict(self).items() if key != "q"}

    @classmethod
    def from_params(cls, data: dict[str, Any]) -> ArrearsFilters:
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


def _late_fee(today: date) -> Case:
    """contributions.tariffs.late_fee of each bill row, in SQL: round half up of balance x rate x months
    late / 10.000, where a started month counts (the due date's day passed) and a late bill is at least
    one month late. Integers throughout: floor((2 x balance x rate x months + B) / 2B)."""
    due = "bills__due_date"
    months = Greatest(
        Value(today.year * 12 + today.month)
        - Cast(ExtractYear(due), IntegerField()) * 12
        - Cast(ExtractMonth(due), IntegerField())
        + Case(When(LessThan(ExtractDay(due), today.day), then=Value(1)), default=Value(0)),
        Value(1),
    )
    rate = settings.PU_LATE_FEE_BASIS_POINTS
    fee = ExpressionWrapper(
        ((F("bills__amount") - F("bills__paid")) * (2 * rate) * months + tariffs.BASIS) / (2 * tariffs.BASIS),
        output_field=BigIntegerField(),
    )
    return Case(When(kind=tariffs.PU, then=fee), default=Value(0), output_field=BigIntegerField())


def arrears_rows(*, user: Any, filters: ArrearsFilters, today: date) -> QuerySet[Enrollment]:
    """Enrollments of the user's area with bills due before `today` and not fully paid, one row each,
    annotated with months_unpaid, owed, late_fee and oldest_month (one GROUP BY query)."""
    open_bills = Q(bills__due_date__lt=today, bills__paid__lt=F("bills__amount"))
    if filters.payer:
        open_bills &= Q(bills__payer=filters.payer)
    if filters.programme:
        open_bills &= Q(bills__sponsor_programme_id=filters.programme)
    # One filter() call: the aggregates below are computed over exactly these bills.
    rows: QuerySet[Enrollment] = Enrollment.objects.visible_to(user).filter(open_bills)
    if filters.regency:
        rows = rows.filter(member__regency_id=filters.regency)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q.strip():
        rows = filter_by_person(rows, filters.q)
    annotated: Any = rows.annotate(
        months_unpaid=Count("bills__month", distinct=True),
        owed=Sum(F("bills__amount") - F("bills__paid")),
        late_fee=Sum(_late_fee(today)),
        oldest_month=Min("bills__month"),
    )
    if filters.min_months:
        annotated = annotated.filter(months_unpaid__gte=filters.min_months)
    return (
        annotated.select_related("member", "member__regency", "sponsor_programme")
        .defer("member__nik_ciphertext", "member__kk_ciphertext")
        .order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))
    )
