from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from umkm_enroll.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in() -> Client:
    user = User.objects.create_user("petugas", password="kata-sandi-panjang-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


PAGES = [
    ("regions:index", {}),
    ("regions:detail", {"code": "52"}),
    ("regions:detail", {"code": "52.71"}),
    ("regions:detail", {"code": "52.71.01"}),
    ("regions:minimum_wages", {}),
    ("regions:lookup", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_urls_are_under_wilayah():
    assert reverse("regions:index") == "/wilayah/"
    assert reverse("regions:lookup") == "/wilayah/cari/"
    assert reverse("regions:detail", kwargs={"code": "52.71"}) == "/wilayah/52.71/"


def test_the_region_browser_lists_the_provinces_with_counts(client_in: Client):
    response = client_in.get(reverse("regions:index"))
    assert response.status_code == 200
    assert len(response.context["provinces"]) == 38
    ntb = next(p for p in response.context["provinces"] if p.code == "52")
    assert (ntb.kabupaten_count, ntb.kota_count) == (8, 2)
    assert (ntb.district_count, ntb.village_count) == (117, 1166)
    assert response.context["totals"]["village"] == 83762
    content = response.content.decode()
    assert "Nusa Tenggara Barat" in content
    assert "83,762 villages" in content


def test_the_indonesian_page_groups_thousands_with_dots():
    user = User.objects.create_user("petugas2", password="kata-sandi-panjang-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    assert "83.762" in client.get(reverse("regions:index")).content.decode()


def test_a_province_page_lists_its_regencies(client_in: Client):
    response = client_in.get(reverse("regions:detail", kwargs={"code": "52"}))
    assert response.status_code == 200
    assert [r.code for r in response.context["children"]][-2:] == ["52.71", "52.72"]
    assert "Kota Mataram" in response.content.decode()


def test_a_district_page_lists_its_villages_with_postal_codes_by_page(client_in: Client):
    response = client_in.get(reverse("regions:detail", kwargs={"code": "52.71.01"}))
    assert response.status_code == 200
    page = response.context["page_obj"]
    assert page.paginator.count == 10
    content = response.content.decode()
    assert "Ampenan Selatan" in content
    assert page.object_list[0].postal_code in content
    # The largest district (108 villages) needs three pages.
    response = client_in.get(reverse("regions:detail", kwargs={"code": "95.06.03"}), {"page": 3})
    assert response.context["page_obj"].number == 3
    assert len(response.context["page_obj"].object_list) == 8


def test_an_unknown_code_is_not_found(client_in: Client):
    assert client_in.get(reverse("regions:detail", kwargs={"code": "99"})).status_code == 404
    assert client_in.get("/wilayah/52.71.01.1004/").status_code == 404


def test_the_search_box_finds_villages_and_names_where_they_are(client_in: Client):
    response = client_in.get(reverse("regions:index"), {"q": "ampenan", "level": "village"})
    assert response.status_code == 200
    names = [v.name for v in response.context["page_obj"]]
    assert "Ampenan Selatan" in names
    assert "Kota Mataram" in response.content.decode()


def test_the_search_box_answers_htmx_with_the_results_only(client_in: Client):
    response = client_in.get(
        reverse("regions:index"),
        {"q": "mataram", "level": "regency"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="search-results",
    )
    content = response.content.decode()
    assert "Kota Mataram" in content
    assert "<html" not in content


def test_the_search_within_a_region_stays_inside_it(client_in: Client):
    response = client_in.get(reverse("regions:index"), {"q": "barat", "level": "regency", "parent": "52"})
    assert [r.code for r in response.context["page_obj"]] == ["52.01", "52.07"]


def test_the_lookup_filters_by_parent(client_in: Client):
    response = client_in.get(reverse("regions:lookup"), {"level": "regency", "q": "lombok", "parent": "52"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["code"] for r in results] == ["52.01", "52.02", "52.03", "52.08"]
    everywhere = client_in.get(reverse("regions:lookup"), {"level": "regency", "q": "barat"}).json()[
        "results"
    ]
    assert len(everywhere) > 2
    assert any(not r["code"].startswith("52.") for r in everywhere)


def test_the_lookup_returns_all_children_of_a_parent_without_a_query(client_in: Client):
    results = client_in.get(reverse("regions:lookup"), {"level": "village", "parent": "52.71.01"}).json()[
        "results"
    ]
    assert len(results) == 10
    assert all(r["code"].startswith("52.71.01.") and len(r["postal_code"]) == 5 for r in results)


def test_the_lookup_takes_the_parent_from_a_chained_select(client_in: Client):
    response = client_in.get(reverse("regions:lookup"), {"level": "district", "regency": "52.71"})
    assert len(response.json()["results"]) == 6


def test_the_lookup_answers_htmx_with_options(client_in: Client):
    response = client_in.get(
        reverse("regions:lookup"), {"level": "regency", "parent": "52"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.count("<option") == 11
    assert '<option value="52.71">Kota Mataram</option>' in content


def test_the_lookup_does_not_dump_every_village(client_in: Client):
    assert client_in.get(reverse("regions:lookup"), {"level": "village"}).json()["results"] == []
    results = client_in.get(reverse("regions:lookup"), {"level": "village", "q": "sido"}).json()
    assert len(results["results"]) == 50
    assert results["truncated"] is True


@pytest.mark.parametrize(
    "params",
    [{"level": "country"}, {"level": "regency", "parent": "x"}, {"level": "regency", "parent": "52.71"}],
)
def test_the_lookup_refuses_bad_parameters(client_in: Client, params):
    assert client_in.get(reverse("regions:lookup"), params).status_code == 400


def test_the_minimum_wage_table_shows_rupiah_and_gaps(client_in: Client):
    response = client_in.get(reverse("regions:minimum_wages"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rp\u00a02.183.883" in content
    assert "Kepgub NTB 561-793/2022" in content
    assert content.count("data-gap") == 11
    assert "no data yet" in content
    for year in range(2021, 2027):
        assert f'<th class="num">{year}</th>' in content
