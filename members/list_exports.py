"""The exportable lists of the registry (umkm_enroll/exports): people and enrollments. Imported when the
app is ready, so the web process and the worker both know them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.masking import mask_nik
from umkm_enroll.exports.registry import (
    Column,
    ListExport,
    Selection,
    label_of,
    person_columns,
    register,
    text,
    yes_no,
)

from .models import Enrollment, EnrollmentStatus, Member, ParticipantKind, Payer, Sex

# Many people's data in one file: those who work on the registry and the enrollments.
EXPORTERS = (Role.OPERATOR, Role.OFFICER, Role.ADMINISTRATOR)


def people_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from .views import people_selection

    return people_selection(request, params)


def people_rows(user: Any, selection: Selection, today: date) -> Any:
    from .selectors import members_search

    filters = {key: value for key, value in selection.filters.items() if key != "sort"}
    return members_search(
        user=user, q=selection.search, filters=filters, sort=selection.filters.get("sort", "")
    )


def enrollments_selection(request: HttpRequest, params: QueryDict) -> Selection:
    from umkm_enroll.web.searches import search_recall

    status = params.get("status", "")
    return Selection(
        filters={
            "status": status if status in EnrollmentStatus.values else "",
            "all": params.get("all") == "1",
        },
        search=search_recall(request, params.get("s", "")),
    )


def enrollments_rows(user: Any, selection: Selection, today: date) -> Any:
    from .enrollment_views import enrollments_listed

    return enrollments_listed(
        user,
        all_of_area=bool(selection.filters.get("all")),
        status=selection.filters.get("status", ""),
        search=selection.search,
    )


PEOPLE = register(
    ListExport(
        name="people",
        label=_("People"),
        model=Member,
        list_url="members:list",
        export_url="members:export",
        roles=EXPORTERS,
        file_stem="orang",
        read=people_selection,
        rows=people_rows,
        region_of=lambda filters: str(filters.get("regency") or filters.get("province") or ""),
        columns=(
            Column(_("Person no."), "pk"),
            Column(_("Name"), "full_name"),
            Column(_("NIK (masked)"), "nik_masked", mask_nik),
            Column(_("Sex"), "sex", label_of(Sex.choices)),
            Column(_("Date of birth"), "birth_date"),
            Column(_("Province"), "province__name"),
            Column(_("Regency/city"), "regency__name"),
            Column(_("District"), "district__name"),
            Column(_("Participant kind"), "kind", label_of(ParticipantKind.choices)),
            Column(_("Occupation or business type"), "occupation"),
            Column(_("Business name"), "business_name"),
            Column(_("Cooperative"), "cooperative__name", text),
            Column(_("BPUM recipient"), "aid_bpum", yes_no),
            Column(_("KUR recipient"), "aid_kur", yes_no),
            Column(_("KPJ number"), "kpj_number", text),
            Column(_("Registered"), "created_at"),
        ),
    )
)

ENROLLMENTS = register(
    ListExport(
        name="enrollments",
        label=_("Enrollments"),
        model=Enrollment,
        list_url="enrollments:list",
        export_url="enrollments:export",
        roles=EXPORTERS,
        file_stem="kepesertaan",
        read=enrollments_selection,
        rows=enrollments_rows,
        columns=(
            Column(_("Enrollment no."), "pk"),
            *person_columns("member__"),
            Column(_("Participant kind"), "kind", str.upper),
            Column(_("Status"), "status", label_of(EnrollmentStatus.choices)),
            Column(_("Payer"), "payer", label_of(Payer.choices)),
            Column(_("Sponsor programme"), "sponsor_programme__name", text),
            Column(_("Requested start"), "requested_start"),
            Column(_("Coverage start"), "coverage_start"),
            Column(_("Submitting office"), "submitted_office__name", text),
            Column(_("Submitted"), "submitted_at"),
            Column(_("Decided"), "decided_at"),
            Column(_("Status changed"), "status_changed_at"),
        ),
    )
)
