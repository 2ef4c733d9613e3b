"""The dashboard journey of issue 9: a regency operator, a province operator and a national viewer open the
dashboard and read figures that this test counts independently from the rows (tests/dashboards/data.py);
the charts are drawn by the vendored Chart.js, and the province operator drills down to a regency."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.dashboards.data import LOMBOK_BARAT, MANADO, MATARAM, Expected, build_country, expected_for
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.e2e


def number(text: str) -> int:
    """A count or an amount as the page writes it ("1.234", "Rp 35.400")."""
    digits = re.sub(r"[^0-9-]", "", text.split("(")[0])
    return int(digits)


def shown(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).locator("dd").inner_text()


def assert_page_shows(page: Page, expected: Expected) -> None:
    assert number(shown(page, "kpi-people")) == expected.people
    assert number(shown(page, "kpi-pending")) == expected.pending
    assert number(shown(page, "kpi-approved")) == expected.approved
    assert number(shown(page, "kpi-active")) == expected.active
    assert number(shown(page, "kpi-lapsed")) == expected.lapsed
    assert number(shown(page, "kpi-cards-printed")) == expected.cards_printed
    assert number(shown(page, "kpi-cards-handed")) == expected.cards_handed
    assert number(shown(page, "kpi-billed")) == expected.billed
    assert number(shown(page, "kpi-paid")) == expected.paid
    assert number(shown(page, "kpi-arrears")) == expected.arrears
    assert expected.mean_wait_days is not None
    wait = float(shown(page, "kpi-wait").split()[0].replace(",", "."))
    assert wait == pytest.approx(expected.mean_wait_days, abs=0.06)


def assert_charts_drawn(page: Page) -> None:
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('chart-regions') && Chart.getChart('chart-trend')"
    )
    assert (
        page.evaluate("() => Chart.getChart('chart-regions').data.labels.length")
        == page.get_by_test_id("breakdown-row").count()
    )


def open_dashboard(page: Page, user) -> list[str]:
    page.context.clear_cookies()
    page.goto("/")
    browser_login(page, user)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto("/dasbor/")
    return problems


def test_three_users_read_the_figures_of_their_area(page: Page, live_server, transactional_db):
    build_country()

    # A regency operator: Kota Mataram, by cooperative.
    regency_operator = UserFactory.create(
        office=OfficeFactory.diskop_regency(MATARAM, name="Diskop Kota Mataram"), roles=[Role.OPERATOR]
    )
    problems = open_dashboard(page, regency_operator)
    expect(page.get_by_test_id("dashboard-area")).to_contain_text("Kota Mataram")
    assert_page_shows(page, expected_for([MATARAM]))
    # Target 40 (last year's, the latest); coverage: enrolled (approved or active) of 40.
    assert number(shown(page, "kpi-target")) == 40
    mataram = expected_for([MATARAM])
    coverage = f"{100 * (mataram.approved + mataram.active) / 40:.1f}".replace(".", ",")
    assert shown(page, "kpi-coverage").startswith(f"{coverage}%")
    expect(page.get_by_test_id("breakdown")).to_contain_text("Koperasi Nelayan Ampenan")
    assert_charts_drawn(page)
    assert not problems, problems
    page.goto(f"/dasbor/?regency={MANADO}")
    expect(page.get_by_test_id("dashboard-area")).to_have_count(0)

    # A province operator: NTB, by regency, drilling down to Kota Mataram.
    province_operator = UserFactory.create(
        office=OfficeFactory.diskop_province("52", name="Diskop NTB"), roles=[Role.OPERATOR]
    )
    problems = open_dashboard(page, province_operator)
    expect(page.get_by_test_id("dashboard-area")).to_contain_text("Nusa Tenggara Barat")
    assert_page_shows(page, expected_for([MATARAM, LOMBOK_BARAT]))
    assert number(shown(page, "kpi-target")) == 100
    rows = page.get_by_test_id("breakdown-row")
    expect(rows).to_have_count(2)
    mataram_row = page.locator(f'[data-testid="breakdown-row"][data-region="{MATARAM}"]')
    assert number(mataram_row.locator("td").nth(1).inner_text()) == expected_for([MATARAM]).people
    assert_charts_drawn(page)
    mataram_row.get_by_role("link", name="Kota Mataram").click()
    expect(page.get_by_test_id("dashboard-area")).to_contain_text("Kota Mataram")
    assert_page_shows(page, expected_for([MATARAM]))
    page.get_by_role("link", name="Nusa Tenggara Barat").click()
    expect(page.get_by_test_id("breakdown-row")).to_have_count(2)
    assert not problems, problems

    # A national viewer: the whole country, by province.
    viewer = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.NATIONAL_VIEWER])
    problems = open_dashboard(page, viewer)
    expect(page.get_by_test_id("dashboard-area")).to_contain_text("Indonesia")
    assert_page_shows(page, expected_for(None))
    assert number(shown(page, "kpi-target")) == 110
    expect(page.get_by_test_id("breakdown-row")).to_have_count(2)
    sulut = page.locator('[data-testid="breakdown-row"][data-region="71"]')
    assert number(sulut.locator("td").nth(1).inner_text()) == expected_for([MANADO]).people
    assert_charts_drawn(page)
    # The trend table: the people registered this month are all of them (built just now).
    page.get_by_text("Tabel 12 bulan").click()
    last = page.get_by_test_id("trend-row").last
    assert number(last.locator("td").nth(1).inner_text()) == expected_for(None).people
    assert not problems, problems
