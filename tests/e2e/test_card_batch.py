"""A card admin starts a print batch in the browser, watches it finish through a real worker and
downloads the PDF."""

from datetime import date

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import Page, expect

from members.models import Enrollment, Member
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_a_card_admin_prints_a_batch_and_downloads_it(
    page: Page, live_server, celery_worker_process, tmp_path
):
    for index in range(12):
        member = make_member("52.71", full_name=f"Pelaku UMKM {index:02d}")
        Member.objects.filter(pk=member.pk).update(kpj_number=f"527100{index:05d}")
        Enrollment.objects.create(
            member=member,
            kind="bpu",
            status="active",
            requested_start=date(2026, 1, 1),
            coverage_start=date(2026, 1, 1),
        )
    admin = UserFactory.create(
        username="kartu.ntb",
        roles=[Role.CARD_ADMIN],
        office=OfficeFactory.diskop_province("52", name="Diskop NTB"),
    )
    celery_worker_process()
    page.goto("/")
    browser_login(page, admin)
    page.goto("/kartu/cetak/")
    page.get_by_role("button", name="Hitung kartu").click()
    expect(page.get_by_test_id("batch-count")).to_contain_text("12 kartu cocok")
    page.get_by_role("button", name="Cetak 12 kartu").click()
    progress = page.get_by_test_id("batch-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    with page.expect_download() as info:
        page.get_by_test_id("batch-files").get_by_role("link").first.click()
    path = tmp_path / "kartu.pdf"
    info.value.save_as(path)
    pdf = pdfium.PdfDocument(path)
    assert len(pdf) == 4  # 12 cards: two sheets of fronts, each followed by its backs
    assert "Pelaku UMKM 00" in pdf[0].get_textpage().get_text_range()
