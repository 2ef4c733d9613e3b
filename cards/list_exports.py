"""The exportable card list (umkm_enroll/exports). Imported when the app is ready."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import Role
from umkm_enroll.exports.registry import (
    Column,
    ListExport,
    Selection,
    label_of,
    person_columns,
    register,
)

from .models import Card, CardStatus


def cards_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from umkm_enroll.web.searches import search_recall

    from .views import card_filters

    return Selection(filters=card_filters(params), search=search_recall(request, params.get("s", "")))


def cards_rows(user: Any, selection: Selection, today: date) -> Any:
    from .views import cards_listed

    return cards_listed(user, selection.filters, selection.search)


CARDS = register(
    ListExport(
        name="cards",
        label=_("Cards"),
        model=Card,
        list_url="cards:list",
        export_url="cards:export",
        roles=(Role.CARD_ADMIN,),
        file_stem="kartu-peserta",
        read=cards_selection,
        rows=cards_rows,
        columns=(
            Column(_("Card no."), "pk"),
            Column(_("Enrollment no."), "enrollment_id"),
            *person_columns("enrollment__member__"),
            Column(_("Status"), "status", label_of(CardStatus.choices)),
            Column(_("Version"), "version"),
            Column(_("Issued"), "issued_at"),
            Column(_("Printed"), "printed_at"),
            Column(_("Handed over on"), "handed_over_on"),
            Column(_("Handed to"), "handed_to"),
        ),
    )
)
