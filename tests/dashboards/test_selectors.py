"""dashboard_figures against the rows: the figures of a regency, a province, a branch's regencies and the
country equal those counted independently (tests/dashboards/data.py), targets included."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.dashboards.data import LOMBOK_BARAT, MANADO, MATARAM, Expected, build_country, expected_for
from umkm_enroll.accounts.scoping import EVERYTHING, Scope, with_whole_provinces
from umkm_enroll.dashboards.selectors import AreaOutOfScope, Figures, dashboard_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def country():
    build_country()


def figures_of(f: Figures) -> Expected:
    return Expected(
        people=f.people,
        pending=f.submitted,
        approved=f.approved,
        active=f.active,
        lapsed=f.lapsed,
        cards_printed=f.cards_printed_total,
        cards_handed=f.cards_handed_over,
        billed=f.billed,
        paid=f.paid,
        arrears=f.arrears,
        mean_wait_days=f.mean_wait_days,
    )


def assert_same(shown: Figures, expected: Expected) -> None:
    got = figures_of(shown)
    assert got.mean_wait_days == pytest.approx(expected.mean_wait_days, abs=0.01)
    assert {**got.__dict__, "mean_wait_days": 0} == {**expected.__dict__, "mean_wait_days": 0}


def test_the_country_equals_the_rows_with_a_row_per_province(country):
    figures = dashboard_figures(scope=EVERYTHING)
    assert figures.level == "country"
    assert_same(figures.totals, expected_for(None))
    rows = {row.code: row for row in figures.rows}
    assert set(rows) == {"52", "71"}
    assert_same(rows["52"].figures, expected_for([MATARAM, LOMBOK_BARAT]))
    assert_same(rows["71"].figures, expected_for([MANADO]))
    assert figures.totals.billed > 0
    assert figures.totals.arrears > 0
    assert figures.totals.paid > 0
    # NTB has its own target (100); Sulawesi Utara counts its regencies' (Manado 10).
    assert rows["52"].figures.target == 100
    assert rows["71"].figures.target == 10
    assert rows["71"].figures.target_aid == 4
    assert figures.totals.target == 110
    assert figures.totals.coverage == pytest.approx(100 * 4 / 110)
    assert rows["52"].drill == "?province=52"
    assert len(figures.trend) == 12
    assert figures.trend[-1].month == timezone.localdate().replace(day=1)
    assert sum(point.registered for point in figures.trend) == expected_for(None).people


def test_a_province_drills_down_to_its_regencies_and_a_regency_to_its_cooperatives(country):
    province = dashboard_figures(scope=EVERYTHING, province="52")
    assert province.level == "province"
    assert_same(province.totals, expected_for([MATARAM, LOMBOK_BARAT]))
    rows = {row.code: row for row in province.rows}
    assert set(rows) == {MATARAM, LOMBOK_BARAT}
    # Mataram's latest target is of last year: it still counts.
    assert rows[MATARAM].figures.target == 40
    assert rows[LOMBOK_BARAT].figures.target is None
    assert rows[MATARAM].drill == f"?regency={MATARAM}"

    regency = dashboard_figures(scope=EVERYTHING, regency=MATARAM)
    assert regency.level == "regency"
    assert_same(regency.totals, expected_for([MATARAM]))
    assert regency.totals.target == 40
    names = [row.name for row in regency.rows]
    assert names[0] == "Koperasi Nelayan Ampenan"
    assert [row.code for row in regency.rows][1:] == ["0"]
    assert sum(row.figures.people for row in regency.rows) == regency.totals.people


def test_a_branch_sees_only_its_regencies_even_in_a_province_it_partly_serves(country):
    branch = with_whole_provinces(frozenset({MATARAM, MANADO}))
    figures = dashboard_figures(scope=branch)
    assert_same(figures.totals, expected_for([MATARAM, MANADO]))
    rows = {row.code: row for row in figures.rows}
    assert_same(rows["52"].figures, expected_for([MATARAM]))
    # Only the target of the regency served, not NTB's own.
    assert rows["52"].figures.target == 40
    ntb = dashboard_figures(scope=branch, province="52")
    assert [row.code for row in ntb.rows] == [MATARAM]
    with pytest.raises(AreaOutOfScope):
        dashboard_figures(scope=branch, regency=LOMBOK_BARAT)
    with pytest.raises(AreaOutOfScope):
        dashboard_figures(scope=branch, province="35")


def test_a_regency_scope_cannot_reach_another_regency(country):
    mataram = Scope(everything=False, regency_codes=frozenset({MATARAM}))
    assert_same(dashboard_figures(scope=mataram, regency=MATARAM).totals, expected_for([MATARAM]))
    for province, regency in ((None, MANADO), (None, LOMBOK_BARAT), ("71", None)):
        with pytest.raises(AreaOutOfScope):
            dashboard_figures(scope=mataram, province=province, regency=regency)
