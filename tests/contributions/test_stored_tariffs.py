"""The tariffs stored by the data migration give the brief's numbers for real enrollments."""

from datetime import date

import pytest
from django.db import IntegrityError

from contributions.models import TariffScheme
from contributions.selectors import NoScheme, monthly_contribution
from members.models import Enrollment
from tests.factories import make_member


def enrollment(regency="52.71", *, scheme="", kind="bpu", payer="self", risk_class="", **member_fields):
    member = make_member(regency, **member_fields)
    return Enrollment.objects.create(
        member=member,
        kind=kind,
        scheme=scheme,
        payer=payer,
        risk_class=risk_class,
        requested_start=date(2021, 1, 1),
    )


@pytest.mark.django_db
def test_the_default_scheme_is_rp_11800():
    assert monthly_contribution(enrollment(), date(2025, 3, 1)).total == 11_800


@pytest.mark.django_db
def test_ntb_2021_uses_the_stored_ump_and_rounds_to_rp_11800():
    result = monthly_contribution(enrollment(scheme="ntb-2021", payer="sponsor"), date(2021, 9, 1))
    assert result.total == 11_800


@pytest.mark.django_db
def test_the_lowest_bpu_bracket_is_rp_16800_and_pp_50_2025_halves_it():
    e = enrollment(scheme="bpu-national")
    e.member.monthly_income = 900_000  # below the lowest bracket: pays on Rp 1.000.000
    assert monthly_contribution(e, date(2026, 3, 1)).total == 16_800
    assert monthly_contribution(e, date(2026, 4, 1)).total == 8_400
    e.payer = "sponsor"
    assert monthly_contribution(e, date(2026, 4, 1)).total == 16_800


@pytest.mark.django_db
def test_an_expired_scheme_is_refused():
    with pytest.raises(NoScheme):
        monthly_contribution(enrollment(scheme="ntb-2021"), date(2022, 1, 1))


@pytest.mark.django_db
def test_the_database_refuses_an_incomplete_scheme():
    with pytest.raises(IntegrityError):
        TariffScheme.objects.create(
            code="x", name="x", valid_from=date(2026, 1, 1), method="rates", base="wage"
        )
