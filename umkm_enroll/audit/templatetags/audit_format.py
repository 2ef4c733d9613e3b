"""Readable audit entries: actions and field names in the interface language, not as stored codes."""

from __future__ import annotations

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


@register.filter
def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label else action


@register.simple_tag
def field_label(object_type: str, field: str) -> str:
    try:
        model = apps.get_model(object_type)
        return str(capfirst(model._meta.get_field(field).verbose_name))
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return field


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
    """A stored value as the interface shows it: the label of a choice ("Peserta sendiri", not "self")."""
    try:
        choices = dict(apps.get_model(object_type)._meta.get_field(field).flatchoices)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        choices = {}
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    return audit_value(value)
