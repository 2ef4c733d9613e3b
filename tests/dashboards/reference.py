"""The dashboard's figures counted independently from the rows, with plain ORM queries (no tally)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from cards.models import Card
from contributions.models import Bill
from members.models import Enrollment, Member
from umkm_enroll.dashboards.models import MonthTally, Tally
from umkm_enroll.dashboards.tally_sql import FLOWS, STOCK


def local_month(moment: Any) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def fresh_stock() -> dict[tuple[str, int], dict[str, int]]:
    """(regency, cooperative or 0) -> the stock figures, from the rows."""
    result: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(STOCK, 0))
    for member in Member.objects.filter(merged_into__isnull=True).values(
        "regency_id", "cooperative_id", "aid_bpum", "aid_kur"
    ):
        key = (member["regency_id"], member["cooperative_id"] or 0)
        result[key]["people"] += 1
        result[key]["people_aid"] += member["aid_bpum"] or member["aid_kur"]
    for enrollment in Enrollment.objects.values(
        "status",
        "submitted_at",
        "member__regency_id",
        "member__cooperative_id",
        "member__aid_bpum",
        "member__aid_kur",
    ):
        key = (enrollment["member__regency_id"], enrollment["member__cooperative_id"] or 0)
        status = enrollment["status"]
        if status in ("submitted", "approved", "active", "lapsed"):
            result[key][status] += 1
        if status in ("approved", "active") and (
            enrollment["member__aid_bpum"] or enrollment["member__aid_kur"]
        ):
            result[key]["covered_aid"] += 1
        if status == "submitted" and enrollment["submitted_at"] is not None:
            result[key]["wait_sum"] += int(enrollment["submitted_at"].timestamp())
    for card in Card.objects.values(
        "status", "enrollment__member__regency_id", "enrollment__member__cooperative_id"
    ):
        key = (card["enrollment__member__regency_id"], card["enrollment__member__cooperative_id"] or 0)
        if card["status"] in ("issued", "printed", "handed_over"):
            result[key][f"cards_{card['status']}"] += 1
    return {key: value for key, value in result.items() if any(value.values())}


def fresh_flows() -> dict[tuple[str, int, date, date | None], dict[str, int]]:
    result: dict[tuple[str, int, date, date | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(FLOWS, 0)
    )
    for member in Member.objects.filter(merged_into__isnull=True).values(
        "regency_id", "cooperative_id", "created_at"
    ):
        result[
            (member["regency_id"], member["cooperative_id"] or 0, local_month(member["created_at"]), None)
        ]["registered"] += 1
    for enrollment in Enrollment.objects.filter(submitted_at__isnull=False).values(
        "submitted_at", "member__regency_id", "member__cooperative_id"
    ):
        key = (
            enrollment["member__regency_id"],
            enrollment["member__cooperative_id"] or 0,
            local_month(enrollment["submitted_at"]),
            None,
        )
        result[key]["submitted"] += 1
    for bill in Bill.objects.values(
        "enrollment__member__regency_id", "enrollment__member__cooperative_id", "month", "due_date"
    ).annotate(bills=Count("id"), billed=Sum("amount"), paid=Sum("paid")):
        key = (
            bill["enrollment__member__regency_id"],
            bill["enrollment__member__cooperative_id"] or 0,
            bill["month"],
            bill["due_date"],
        )
        for name in ("bills", "billed", "paid"):
            result[key][name] += bill[name]
    return {key: value for key, value in result.items() if any(value.values())}


def tallied_stock() -> dict[tuple[str, int], dict[str, int]]:
    rows = Tally.objects.values("regency_code", "cooperative_id").annotate(
        **{f"s_{n}": Sum(n) for n in STOCK}
    )
    result = {
        (row["regency_code"], row["cooperative_id"]): {n: int(row[f"s_{n}"]) for n in STOCK} for row in rows
    }
    return {key: value for key, value in result.items() if any(value.values())}


def tallied_flows() -> dict[tuple[str, int, date, date | None], dict[str, int]]:
    rows = MonthTally.objects.values("regency_code", "cooperative_id", "month", "due_date").annotate(
        **{f"s_{n}": Sum(n) for n in FLOWS}
    )
    result = {
        (row["regency_code"], row["cooperative_id"], row["month"], row["due_date"]): {
            n: int(row[f"s_{n}"]) for n in FLOWS
        }
        for row in rows
    }
    return {key: value for key, value in result.items() if any(value.values())}


def assert_tallies_match_rows() -> None:
    pairs: list[tuple[dict[Any, Any], dict[Any, Any]]] = [
        (tallied_stock(), fresh_stock()),
        (tallied_flows(), fresh_flows()),
    ]
    for tallied, fresh in pairs:
        differences = {
            key: (tallied.get(key), fresh.get(key))
            for key in set(tallied) | set(fresh)
            if tallied.get(key) != fresh.get(key)
        }
        assert not differences, f"tallied vs fresh: {differences}"
    for province, regency in Tally.objects.values_list("province_code", "regency_code").distinct():
        assert regency[:2] == province
