"""Region fixtures. Migrations 0002/0003 load the reference data into the test database; after a transactional
test's flush, tests/conftest.py loads it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from umkm_enroll.regions.edition import write_edition


@pytest.fixture
def tiny_edition(tmp_path: Path) -> Path:
    """A newer edition of NTB alone: Kota Mataram renamed, Kota Bima retired, a new city 52.73, one district
    under Kota Mataram with one of its villages and a new one."""
    regions = {
        "52": "Nusa Tenggara Barat",
        "52.01": "Kabupaten Lombok Barat",
        "52.71": "Kota Mataram Raya",
        "52.73": "Kota Lombok Baru",
        "52.71.01": "Ampenan",
    }
    villages = {
        "52.71.01.1004": "Ampenan Selatan",
        "52.71.01.1099": "Ampenan Baru",
    }
    postal_codes = {"52.71.01.1004": "83114", "52.71.01.1099": "83119"}
    return write_edition(tmp_path / "edition", regions, villages, postal_codes)
