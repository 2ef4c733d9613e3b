"""The registry of list exports: each list page that can be exported says here, from its own app, how.

An entry names the list, its scoped and filtered rows (from the list's own query string, so the file has
the rows the page shows), the columns (a header and a value path per column, read with values_list) and
who may export it. The generic machinery (umkm_enroll/exports/services.py) does the rest: the direct file
or the background job, formula-safe cells, the audit entries, the download and the purge.

Apps register their lists when they are ready (`<app>/exports.py`, imported by the AppConfig), so this
module imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.functional import Promise

from .files import Cell


@dataclass(frozen=True)
class Selection:
    """What a list shows: its filters (ids and codes only: kept in the job and the audit log) and the
    typed search text (personal: used to choose the rows when the export is asked for, never kept)."""

    filters: dict[str, Any] = field(default_factory=dict)
    search: str = ""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    header: str | Promise
    # A path for values_list ("member__regency__name") or an annotation of the list's rows.
    path: str
    # The cell of a value (a label for a code, a date as text); the value itself when None.
    cell: Callable[[Any], Cell] | None = None


@dataclass(frozen=True)
class ListExport:
    name: str  # stable code, kept in jobs and audit entries: "people", "arrears"
    label: str | Promise  # what the audit log and the job page call it
    model: type[models.Model]
    list_url: str  # URL name of the list page
    export_url: str  # URL name of the list's export view
    roles: tuple[str, ...]  # who may export it (besides superusers)
    file_stem: str  # download name: <stem>-<yyyymmdd>.<format>
    columns: tuple[Column, ...]
    # The list's filters from its query string (and the search remembered in the session).
    read: Callable[[HttpRequest, QueryDict], Selection]
    # The rows of the list for a user: starts from Model.objects.visible_to(user); ordered as the page.
    rows: Callable[[Any, Selection, date], models.QuerySet | Sequence[models.Model]]
    # The region code an audit entry is filed under (so regional auditors find it), from the filters.
    region_of: Callable[[dict[str, Any]], str] = lambda filters: str(filters.get("regency") or "")

    @property
    def header(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    @property
    def paths(self) -> list[str]:
        return [column.path for column in self.columns]

    def cells(self, values: Sequence[Any]) -> list[Cell]:
        return [
            column.cell(value) if column.cell else _plain(value)
            for column, value in zip(self.columns, values, strict=True)
        ]


def _plain(value: Any) -> Cell:
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def label_of(choices: Sequence[tuple[str, Any]]) -> Callable[[Any], Cell]:
    """The cell of a coded value: its label in the export's language."""
    labels = dict(choices)
    return lambda value: str(labels.get(value, value or ""))


def text(value: Any) -> Cell:
    """A text cell that may be empty (a missing relation reads as None)."""
    return value or ""


def person_columns(path: str) -> tuple[Column, ...]:
    """The columns naming the participant of a row: name, masked NIK, KPJ number and regency, through
    `path` from the row to the person ("member__", "enrollment__member__")."""
    from django.utils.translation import gettext_lazy as _

    from umkm_enroll.audit.masking import mask_nik

    return (
        Column(_("Name"), f"{path}full_name", text),
        Column(_("NIK (masked)"), f"{path}nik_masked", mask_nik),
        Column(_("KPJ number"), f"{path}kpj_number", text),
        Column(_("Regency/city"), f"{path}regency__name", text),
    )


def yes_no(value: Any) -> Cell:
    from django.utils.translation import gettext

    return gettext("yes") if value else ""


_REGISTRY: dict[str, ListExport] = {}


def register(export: ListExport) -> ListExport:
    _REGISTRY[export.name] = export
    return export


def get(name: str) -> ListExport:
    return _REGISTRY[name]


def registered() -> dict[str, ListExport]:
    return dict(_REGISTRY)
