"""The exportable lists of contributions (umkm_enroll/exports): arrears, bills and payments. Imported when
the app is ready, so the web process and the worker both know them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from members.models import EnrollmentStatus, Payer
from umkm_enroll.accounts.models import Role
from umkm_enroll.exports.registry import (
    Column,
    ListExport,
    Selection,
    label_of,
    person_columns,
    register,
    text,
)

from . import exports
from .models import Bill, Payment

# Exports put many people's data in a file: finance officers only.
EXPORTERS = (Role.FINANCE,)


def _month(value: date | None) -> str:
    return f"{value:%Y-%m}" if value else ""


def arrears_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from .views_arrears import arrears_form

    return arrears_form(request, params).selection()


def arrears_rows(user: Any, selection: Selection, today: date) -> Any:
    filters = exports.ArrearsFilters.from_params({**selection.filters, "q": selection.search})
    return exports.arrears_rows(user=user, filters=filters, today=today)


def bills_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from .views_lists import bills_selection

    return bills_selection(request, params)


def bills_rows(user: Any, selection: Selection, today: date) -> Any:
    from .views_lists import bills_rows

    return bills_rows(user, selection, today)


def payments_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from .views_lists import payments_selection

    return payments_selection(request, params)


def payments_rows(user: Any, selection: Selection, today: date) -> Any:
    from .views_lists import payments_rows

    return payments_rows(user, selection, today)


ARREARS = register(
    ListExport(
        name="arrears",
        label=_("Arrears"),
        model=Bill,
        list_url="contributions:arrears",
        export_url="contributions:arrears_export",
        roles=EXPORTERS,
        file_stem="tunggakan-iuran",
        read=arrears_selection,
        rows=arrears_rows,
        columns=(
            Column(_("Enrollment no."), "pk"),
            *person_columns("member__"),
            Column(_("Participant kind"), "kind", str.upper),
            Column(_("Payer"), "payer", label_of(Payer.choices)),
            Column(_("Sponsor programme"), "sponsor_programme__name", text),
            Column(_("Months unpaid"), "months_unpaid"),
            Column(_("Oldest unpaid month"), "oldest_month", _month),
            Column(_("Amount owed (Rp)"), "owed"),
            Column(_("PU late fee (Rp)"), "late_fee"),
            Column(_("Cover status"), "status", label_of(EnrollmentStatus.choices)),
        ),
    )
)

BILLS = register(
    ListExport(
        name="bills",
        label=_("Bills"),
        model=Bill,
        list_url="contributions:bill_list",
        export_url="contributions:bill_export",
        roles=EXPORTERS,
        file_stem="tagihan-iuran",
        read=bills_selection,
        rows=bills_rows,
        columns=(
            Column(_("Bill no."), "pk"),
            Column(_("Enrollment no."), "enrollment_id"),
            *person_columns("enrollment__member__"),
            Column(_("Participant kind"), "enrollment__kind", str.upper),
            Column(_("Contribution month"), "month", _month),
            Column(_("Payer"), "payer", label_of(Payer.choices)),
            Column(_("Sponsor programme"), "sponsor_programme__name", text),
            Column(_("Amount (Rp)"), "amount"),
            Column(_("Relief (Rp)"), "relief"),
            Column(_("Paid (Rp)"), "paid"),
            Column(_("Due date"), "due_date"),
        ),
    )
)

PAYMENTS = register(
    ListExport(
        name="payments",
        label=_("Payments"),
        model=Payment,
        list_url="contributions:payment_list",
        export_url="contributions:payment_export",
        roles=EXPORTERS,
        file_stem="pembayaran-iuran",
        read=payments_selection,
        rows=payments_rows,
        columns=(
            Column(_("Payment no."), "pk"),
            Column(_("Reference"), "reference"),
            Column(_("Received on"), "received_on"),
            Column(_("Amount (Rp)"), "amount"),
            Column(_("Payer"), "payer", label_of(Payer.choices)),
            Column(_("Source"), "source", label_of(Payment.Source.choices)),
            Column(_("Enrollment no."), "enrollment_id"),
            *person_columns("enrollment__member__"),
            Column(_("Sponsor programme"), "sponsor_programme__name", text),
            Column(_("Reversal of"), "reverses__reference", text),
            Column(_("Note"), "note"),
        ),
    )
)
