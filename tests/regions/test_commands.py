from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from umkm_enroll.regions.models import Regency, Village

pytestmark = pytest.mark.django_db


def test_load_regions_upserts_a_newer_edition_and_prints_the_counts(tiny_edition: Path):
    out = StringIO()
    call_command("load_regions", str(tiny_edition), edition="Test edition 2027", stdout=out)

    output = out.getvalue()
    assert "regency   listed      3  inserted      1  updated      1  deactivated    512" in output
    assert "Saved." in output
    assert Regency.objects.get(code="52.71").name == "Kota Mataram Raya"
    assert Regency.objects.get(code="52.72").active is False
    assert Village.objects.count() == 83762 + 1


def test_load_regions_dry_run_saves_nothing(tiny_edition: Path):
    out = StringIO()
    call_command("load_regions", str(tiny_edition), edition="Test edition 2027", dry_run=True, stdout=out)

    assert "Dry run" in out.getvalue()
    assert Regency.objects.get(code="52.71").name == "Kota Mataram"
    assert not Regency.objects.filter(code="52.73").exists()
    assert Regency.objects.filter(active=True).count() == 514


def test_load_regions_refuses_a_folder_without_an_edition(tmp_path: Path):
    with pytest.raises(CommandError, match="missing file"):
        call_command("load_regions", str(tmp_path), edition="Nothing")
