"""Indonesian (translatable) messages for the NIK rule codes of members/nik.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from .nik import Issue

MESSAGES = {
    "empty": _("Enter the 16-digit NIK from the e-KTP."),
    "not_digits": _("A NIK has digits only; remove “%(chars)s”."),
    "length": _("A NIK has 16 digits; this one has %(length)s. Check it against the e-KTP."),
    "province_unknown": _(
        "Digits 1-2 (%(code)s) are not a province code. Check the first digits against the e-KTP."
    ),
    "regency_unknown": _(
        "Digits 1-4 (%(code)s) are not a known regency or city code. Check them against the e-KTP."
    ),
    "regency_retired": _(
        "Digits 1-4 (%(code)s) are the code of a regency that has since been split or renamed "
        "(now %(replaced_by)s). This is normal for older NIKs; check the number once more."
    ),
    "date_invalid": _("Digits 7-12 (%(digits)s) are not a real date of birth (DDMMYY, day + 40 for women)."),
    "serial_zero": _("Digits 13-16 cannot be 0000."),
    "birth_future": _("Digits 7-12 give a date of birth in the future (%(date)s)."),
    "birth_mismatch": _(
        "Digits %(differing)s of the NIK do not match the date of birth given: digits 7-12 "
        "are %(found)s and should be %(expected)s (DDMMYY, women add 40 to the day). Correct the "
        "NIK or the date of birth."
    ),
    "sex_mismatch": _(
        "Digits %(digits)s of the NIK (%(found)s) do not match the sex given: for this date "
        "of birth they should be %(expected)s (women add 40 to the day). Correct the NIK or the sex."
    ),
}


RETIRED_UNKNOWN_SUCCESSOR = _(
    "Digits 1-4 (%(code)s) are the code of a regency that has since been split or "
    "renamed. This is normal for older NIKs; check the number once more."
)


def nik_message(issue: Issue) -> str:
    template = MESSAGES.get(issue.code)
    if issue.code == "regency_retired" and not issue.params.get("replaced_by"):
        template = RETIRED_UNKNOWN_SUCCESSOR
    if template is None:
        return str(_("The NIK is not valid (%(code)s).") % {"code": issue.code})
    params: defaultdict[str, str] = defaultdict(str, {key: str(value) for key, value in issue.params.items()})
    return str(template) % params


def nik_messages(issues: Iterable[Issue]) -> list[str]:
    return [nik_message(issue) for issue in issues]
