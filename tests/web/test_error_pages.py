"""Refusals and missing pages in the app's own layout and language; the menu offers only pages the user's
roles open."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.factories import OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.web.navigation import items_for

pytestmark = pytest.mark.django_db


def signed_in(*roles: str, **fields) -> Client:
    client = Client()
    login_verified(
        client, UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=list(roles), **fields)
    )
    return client


def test_a_refused_page_says_why_in_indonesian_with_the_menu():
    response = signed_in(Role.OPERATOR).get("/kelola/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-403"' in page
    assert "Tidak diizinkan" in page
    assert 'class="mainnav"' in page


def test_a_missing_page_is_in_the_apps_layout():
    response = signed_in(Role.OPERATOR).get("/orang/999999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="error-404"' in page
    assert "Halaman tidak ditemukan" in page


def test_a_server_error_page_stands_alone():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Terjadi kesalahan di server" in response.content.decode()


def test_the_menu_of_a_superuser_offers_only_what_the_administrator_opens():
    admin = UserFactory.create(office=None, roles=[], is_superuser=True, is_staff=True)
    names = {item["name"] for item in items_for(admin)}
    assert "members:imports" not in names  # an operator's page: 403 for an administrator
    assert "contributions:bill_list" in names
    client = Client()
    login_verified(client, admin)
    assert client.get("/orang/impor/").status_code == 403


def test_a_stale_form_gets_the_apps_page_saying_nothing_was_saved():
    client = Client(enforce_csrf_checks=True)
    login_verified(
        client, UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    )
    response = client.post("/orang/", {"q": "Baiq"})  # no CSRF token, as after signing in again elsewhere
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-csrf"' in page
    assert "Formulir sudah kedaluwarsa" in page
    assert "Tidak ada yang disimpan" in page
    assert 'class="mainnav"' in page
