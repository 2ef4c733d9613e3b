"""The administration forms refuse what no office or user has, in plain Indonesian."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import OfficeFactory
from umkm_enroll.accounts.forms import OfficeForm, UserForm

pytestmark = pytest.mark.django_db


def office_data(**overrides):
    return {
        "kind": "ministry",
        "name": "Kementerian Uji",
        "phone": "(021) 5204366",
        "active": "on",
        **overrides,
    }


def test_an_office_phone_is_a_number_with_its_area_code():
    assert OfficeForm(office_data()).is_valid()
    form = OfficeForm(office_data(phone="abc"))
    assert not form.is_valid()
    assert list(form.errors) == ["phone"]


def test_a_second_office_of_the_same_name_is_refused_in_plain_words():
    OfficeFactory.ministry(name="Kementerian Uji")
    with translation.override("id"):
        form = OfficeForm(office_data())
        assert not form.is_valid()
        assert form.errors["name"] == ["Kantor dengan nama ini sudah ada: pilih nama lain."]


def test_a_users_phone_is_a_mobile_stored_as_e164():
    office = OfficeFactory.diskop_regency("52.71")
    data = {"username": "budi", "first_name": "Budi", "office": office.pk, "roles": ["operator"]}
    form = UserForm({**data, "phone": "0812-3456-7890"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+6281234567890"
    assert list(UserForm({**data, "phone": "abc"}).errors) == ["phone"]


def test_a_username_differing_only_in_case_is_refused_by_the_form_and_the_database():
    from django.db import IntegrityError, transaction

    from tests.factories import UserFactory

    office = OfficeFactory.diskop_regency("52.71")
    existing = UserFactory.create(username="admin", office=office)
    data = {"username": "ADMIN", "first_name": "Budi", "office": office.pk, "roles": ["operator"]}
    with translation.override("id"):
        form = UserForm(data)
        assert not form.is_valid()
        assert form.errors["username"] == [
            "Nama pengguna ini sudah dipakai (huruf besar dan kecil dianggap sama): pilih yang lain."
        ]
    assert UserForm({**data, "username": "Admin"}, instance=existing).is_valid()  # its own name
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory.create(username="Admin", office=office)


def test_a_wrong_password_is_said_once_without_repeating_the_field():
    response = Client().post(reverse("accounts:login"), {"username": "tidak-ada", "password": "salah-sekali"})
    page = response.content.decode()
    assert "Nama pengguna atau sandi salah" in page
    assert "nama pengguna nama pengguna" not in page.lower()
