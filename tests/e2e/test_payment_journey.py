"""A finance officer records a payment in the browser and sees the statement change."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from contributions.billing import run_month
from members.models import Enrollment
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.e2e


def test_a_payment_recorded_in_the_browser_changes_the_statement(page: Page, live_server, transactional_db):
    member = make_member("52.71", full_name="Lalu Ahmad Zaini")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        payer="bank",
        bank="bri",
        status="active",
        requested_start=date(2026, 7, 1),
        coverage_start=date(2026, 7, 1),
    )
    for month in (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)):
        run_month(month)
    finance = UserFactory.create(
        username="keuangan.mataram", roles=[Role.FINANCE], office=OfficeFactory.diskop_regency("52.71")
    )
    page.goto("/")
    browser_login(page, finance)
    page.goto(f"/iuran/peserta/{enrollment.pk}/")
    # PP 50/2025 halves BPU contributions from April to December 2026: 3 x Rp 5.900.
    expect(page.get_by_test_id("arrears")).to_have_text("Rp 17.700")
    page.get_by_label("Referensi").fill("BRI-20261120-0001")
    page.get_by_label("Jumlah (Rp)").fill("11800")
    page.get_by_role("button", name="Catat pembayaran").click()
    expect(
        page.get_by_text(re.compile("Pembayaran BRI-20261120-0001 sebesar Rp 11.800 dicatat"))
    ).to_be_visible()
    expect(page.get_by_test_id("arrears")).to_have_text("Rp 5.900")
    expect(page.get_by_test_id("total-paid")).to_have_text("Rp 11.800")
    rows = page.get_by_test_id("bill-row")
    expect(rows.filter(has_text="Juli 2026")).to_contain_text("Lunas")
    expect(rows.filter(has_text="Agustus 2026")).to_contain_text("Lunas")
    expect(rows.filter(has_text="September 2026")).to_contain_text("Terlambat")
    expect(page.get_by_test_id("payment-row")).to_have_count(1)
