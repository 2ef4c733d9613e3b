"""The data migrations and the loader, on the test database (migrated, so the reference data is there)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from umkm_enroll.regions.edition import read_edition
from umkm_enroll.regions.loading import (
    VENDORED_EDITION,
    edition_load,
    load_minimum_wages,
    load_vendored,
    minimum_wages_load,
)
from umkm_enroll.regions.models import District, MinimumWage, Province, Regency, Village
from umkm_enroll.regions.wages import WageRow

from .test_edition import BRIEF_PROVINCE_CODES

pytestmark = pytest.mark.django_db


def test_migrations_load_38_provinces_514_regencies_7285_districts_83762_villages():
    assert Province.objects.count() == 38
    assert Regency.objects.count() == 514
    assert District.objects.count() == 7285
    assert Village.objects.count() == 83762
    assert Regency.objects.filter(kind=Regency.Kind.REGENCY).count() == 416
    assert Regency.objects.filter(kind=Regency.Kind.CITY).count() == 98


def test_every_migrated_region_is_active_and_names_the_edition():
    for model in (Province, Regency, District, Village):
        assert not model.objects.filter(active=False).exists()
        assert set(model.objects.values_list("edition", flat=True).distinct()) == {VENDORED_EDITION}


def test_the_province_codes_are_the_briefs():
    assert list(Province.objects.order_by("code").values_list("code", flat=True)) == BRIEF_PROVINCE_CODES


def test_regions_hang_off_their_parents():
    mataram = Regency.objects.get(code="52.71")
    assert (mataram.name, mataram.kind, mataram.province_id) == ("Kota Mataram", "kota", "52")
    village = Village.objects.select_related("district__regency").get(code="52.71.01.1004")
    assert village.district.regency == mataram
    assert village.kind == Village.Kind.URBAN
    assert len(village.postal_code) == 5
    assert Village.objects.filter(kind=Village.Kind.CUSTOMARY).count() == 14


def test_loading_the_vendored_edition_again_changes_nothing():
    before = Village.objects.filter(code="52.71.01.1004").values().get()
    result = load_vendored()
    for level, counts in result.levels.items():
        assert (counts.inserted, counts.updated, counts.deactivated) == (0, 0, 0), level
    assert result.levels["village"].listed == 83762
    assert Village.objects.count() == 83762
    assert Village.objects.filter(code="52.71.01.1004").values().get() == before


def test_a_newer_edition_renames_retires_and_adds_without_deleting(tiny_edition: Path):
    result = edition_load(edition=read_edition(tiny_edition), label="Test edition 2027")

    renamed = Regency.objects.get(code="52.71")
    assert (renamed.name, renamed.active, renamed.edition) == ("Kota Mataram Raya", True, "Test edition 2027")
    retired = Regency.objects.get(code="52.72")
    assert (retired.name, retired.active, retired.edition) == ("Kota Bima", False, VENDORED_EDITION)
    added = Regency.objects.get(code="52.73")
    assert (added.kind, added.active, added.province_id) == ("kota", True, "52")
    assert Village.objects.get(code="52.71.01.1099").postal_code == "83119"
    # Nothing was deleted: the 83,762 villages are all still there, only one left of them is active.
    assert Village.objects.count() == 83762 + 1
    assert Village.objects.filter(active=True).count() == 2

    regencies = result.levels["regency"]
    assert (regencies.listed, regencies.inserted, regencies.updated, regencies.deactivated) == (3, 1, 1, 512)
    assert (result.levels["province"].updated, result.levels["province"].deactivated) == (0, 37)
    villages = result.levels["village"]
    assert (villages.inserted, villages.updated, villages.deactivated) == (1, 0, 83762 - 1)


def test_a_retired_region_listed_again_is_reactivated(tiny_edition: Path):
    edition_load(edition=read_edition(tiny_edition), label="Test edition 2027")
    result = load_vendored()

    assert Regency.objects.get(code="52.72").active is True
    assert Regency.objects.get(code="52.71").name == "Kota Mataram"
    assert result.levels["regency"].updated == 512 + 1
    assert result.levels["regency"].deactivated == 1  # the test's 52.73
    assert Regency.objects.filter(active=True).count() == 514


def test_an_edition_label_longer_than_the_column_is_refused(tiny_edition: Path):
    with pytest.raises(ValueError, match="edition label"):
        edition_load(edition=read_edition(tiny_edition), label="x" * 61)


def test_ntb_2021_minimum_wage_is_2183883_and_gap_years_have_no_row():
    wage = MinimumWage.objects.get(province_id="52", year=2021)
    assert wage.amount == Decimal(2183883)
    assert wage.verified is True
    assert wage.source.startswith("https://")
    assert MinimumWage.objects.get(province_id="52", year=2023).legal_basis == "Kepgub NTB 561-793/2022"
    assert not MinimumWage.objects.filter(province_id="93", year=2021).exists()
    assert not MinimumWage.objects.filter(province_id="96", year=2023).exists()
    assert MinimumWage.objects.count() == 217
    assert MinimumWage.objects.filter(verified=False).count() > 0


def test_loading_the_minimum_wages_again_changes_nothing():
    result = load_minimum_wages()
    assert (result.listed, result.inserted, result.updated) == (217, 0, 0)
    assert MinimumWage.objects.count() == 217


def test_a_corrected_minimum_wage_is_updated_in_place():
    wage = MinimumWage.objects.get(province_id="52", year=2021)
    row = WageRow("52", 2021, Decimal("2183884.5"), "Kepgub NTB", "https://example.org", False, "corrected")
    result = minimum_wages_load(rows=[row])
    assert (result.inserted, result.updated) == (0, 1)
    wage.refresh_from_db()
    assert (wage.amount, wage.verified, wage.note) == (Decimal("2183884.5"), False, "corrected")


def test_a_minimum_wage_of_an_unknown_province_is_refused():
    row = WageRow("99", 2021, Decimal(1), "", "", False, "")
    with pytest.raises(ValueError, match="unknown province codes: 99"):
        minimum_wages_load(rows=[row])


@pytest.mark.django_db(transaction=True)
def test_the_reference_data_reloads_quickly_after_a_flush():
    call_command("flush", interactive=False, verbosity=0)
    assert not Village.objects.exists()

    started = time.monotonic()
    regions = load_vendored()
    wages = load_minimum_wages()
    elapsed = time.monotonic() - started

    assert regions.levels["village"].inserted == 83762
    assert wages.inserted == 217
    assert (Province.objects.count(), Regency.objects.count(), District.objects.count()) == (38, 514, 7285)
    assert Village.objects.count() == 83762
    assert elapsed < 15, f"reload took {elapsed:.1f} s"
    again = load_vendored()
    assert sum(c.inserted + c.updated + c.deactivated for c in again.levels.values()) == 0
