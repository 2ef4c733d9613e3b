"""Readable audit entries: actions and field names in the interface language, not as stored codes."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

register = template.Library()

ACTION_LABELS = {
    "accounts.login.succeeded": _("Signed in"),
    "accounts.login.failed": _("Failed sign-in"),
    "accounts.logout": _("Signed out"),
    "accounts.two_factor.enrolled": _("Set up two-factor sign-in"),
    "accounts.two_factor.verified": _("Passed two-factor sign-in"),
    "accounts.two_factor.failed": _("Wrong two-factor code"),
    "accounts.office.created": _("Office created"),
    "accounts.office.updated": _("Office changed"),
    "accounts.user.created": _("User created"),
    "accounts.user.updated": _("User changed"),
    "accounts.user.password_set": _("Password set"),
    "accounts.user.two_factor_reset": _("Two-factor sign-in reset"),
    "cooperatives.cooperative.created": _("Cooperative registered"),
    "cooperatives.cooperative.updated": _("Cooperative changed"),
    "members.member.created": _("Person registered"),
    "members.member.updated": _("Person changed"),
    "members.member.nik_revealed": _("Full NIK shown"),
    "members.member.imported": _("Person registered from an imported list"),
    "members.import.uploaded": _("People list uploaded"),
    "members.import.confirmed": _("People list columns confirmed"),
    "members.import.committed": _("People list imported"),
    "members.import.cancelled": _("People list cancelled"),
    "members.import.report_downloaded": _("People list error report downloaded"),
    "members.member.merged": _("Record merged into another"),
    "members.duplicate.merged": _("Duplicates merged"),
    "members.duplicate.distinct": _("Confirmed different people"),
    "members.nik_keys.rotated": _("NIK encryption key rotated"),
    "members.enrollment.created": _("Enrollment created"),
    "members.enrollment.updated": _("Enrollment changed"),
    "members.enrollment.submitted": _("Enrollment submitted"),
    "members.enrollment.approved": _("Enrollment approved"),
    "members.enrollment.rejected": _("Enrollment rejected"),
    "members.enrollment.active": _("Cover started"),
    "members.enrollment.lapsed": _("Cover lapsed"),
    "members.enrollment.ended": _("Enrollment ended"),
    "contributions.payment.recorded": _("Payment recorded"),
    "contributions.payment.reversed": _("Payment reversed"),
    "contributions.programme.created": _("Sponsor programme created"),
    "contributions.programme.updated": _("Sponsor programme changed"),
    "contributions.programme.invoice_downloaded": _("Sponsor invoice downloaded"),
    "contributions.payment_file.uploaded": _("Payment file uploaded"),
    "contributions.payment_file.reprocessed": _("Payment file processed again"),
    "dashboards.target.created": _("Coverage target added"),
    "dashboards.target.changed": _("Coverage target changed"),
    "dashboards.target.deleted": _("Coverage target deleted"),
    "dashboards.target.imported": _("Coverage targets imported"),
    "contributions.scheme.created": _("Contribution scheme added"),
    "contributions.scheme.updated": _("Contribution scheme changed"),
    "contributions.bracket.created": _("Income bracket added"),
    "contributions.bracket.updated": _("Income bracket changed"),
    "contributions.arrears.exported": _("Arrears exported"),
    "contributions.arrears.downloaded": _("Arrears export downloaded"),
    "exports.list.exported": _("List exported"),
    "exports.list.downloaded": _("List export downloaded"),
    "dashboards.monthly_report.downloaded": _("Monthly report downloaded"),
    "dashboards.monthly_reports.requested": _("Monthly reports made again"),
    "cards.card.issued": _("Card issued"),
    "cards.card.printed": _("Card printed"),
    "cards.card.handed_over": _("Card handed over"),
    "cards.card.replaced": _("Card replaced"),
    "cards.card.revoked": _("Card revoked"),
    "cards.batch.downloaded": _("Card print file downloaded"),
}


# Codes that an entry's reason starts with ("incomplete: Foto KTP buram"), with their labels: registered by
# the apps that write them (members: the rejection reasons), as this app imports none of them.
REASON_LABELS: dict[str, Any] = {}


def register_reason_labels(labels: dict[str, Any]) -> None:
    REASON_LABELS.update(labels)


@register.filter
def reason_text(reason: str) -> str:
    """An entry's reason with its leading code as the code's label: "incomplete: blurred photo" ->
    "Incomplete documents: blurred photo"."""
    code, separator, rest = (reason or "").partition(": ")
    label = REASON_LABELS.get(code)
    if label is None:
        return reason
    return f"{label}{separator}{rest}"


@register.filter
def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label else action


# Keys of entries that are not fields of the object (what an import, an invoice or an export recorded).
EXTRA_LABELS = {
    "import_batch": _("Imported list"),
    "bills": _("Bills"),
    "month": _("Month"),
    "list": _("List"),
    "rows": _("Rows"),
    "format": _("Format"),
    "filters": _("Filters"),
    "nik": _("NIK"),
    "lockout_lifted": _("Sign-in lock lifted"),
}
# Keys of entries that are not fields but name an object (the list an enrollment was submitted from).
EXTRA_RELATIONS = {"import_batch": "members.importbatch"}
# Relations whose stored key is shown by its object's name: reference data and offices, never a person.
NAMED_RELATIONS = {
    "regions.province",
    "regions.regency",
    "regions.district",
    "regions.village",
    "accounts.office",
    "cooperatives.cooperative",
    "contributions.sponsorprogramme",
    "members.importbatch",
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@register.simple_tag
def field_label(object_type: str, field: str) -> str:
    try:
        model = apps.get_model(object_type)
        return str(capfirst(model._meta.get_field(field).verbose_name))
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        extra = EXTRA_LABELS.get(field)
        return str(extra) if extra else field


@register.simple_tag
def change_rows(entry: Any) -> list[tuple[str, str, str]]:
    """An entry's changes as (label, before, after), leaving out the fields that were empty and stay so."""
    rows = []
    for field, values in (entry.changes or {}).items():
        before, after = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        if before in (None, "", []) and after in (None, "", []):
            continue
        rows.append(
            (
                field_label(entry.object_type, field),
                change_value(entry.object_type, field, before),
                change_value(entry.object_type, field, after),
            )
        )
    return rows


@register.filter
def audit_value(value: object) -> str:
    if value is True:
        return str(_("yes"))
    if value is False:
        return str(_("no"))
    if value in (None, "", []):
        return "∅"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@register.simple_tag
def change_value(object_type: str, field: str, value: object) -> str:
    """A stored value as the interface shows it: the label of a choice ("Peserta sendiri", not "self"),
    the name of a region, office, cooperative or programme (not its code or id), a day as dd/mm/yyyy."""
    try:
        model_field: Any = apps.get_model(object_type)._meta.get_field(field)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        model_field = None
    if model_field is not None and model_field.auto_created and not model_field.concrete:
        model_field = None  # a reverse relation ("bills" of a programme): what an entry counted, not a field
    choices = dict(model_field.flatchoices) if model_field is not None else {}
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    base = getattr(model_field, "base_field", None)  # an array of choices (a user's roles)
    if isinstance(value, list) and base is not None and base.choices:
        labels = dict(base.flatchoices)
        return ", ".join(str(labels.get(item, item)) for item in value) or "∅"
    related = getattr(model_field, "related_model", None) if model_field is not None else None
    if model_field is None and field in EXTRA_RELATIONS:  # what an entry recorded beside the fields
        related = apps.get_model(EXTRA_RELATIONS[field])
    if related is not None and value not in (None, "") and related._meta.label_lower in NAMED_RELATIONS:
        found = related._default_manager.filter(pk=value).first()
        if found is not None:
            return str(found)
    if isinstance(value, str) and _ISO_DAY.match(value):
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    return audit_value(value)
