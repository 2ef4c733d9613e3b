import time

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.factories import PASSWORD, OfficeFactory, UserFactory, confirmed_totp, current_token
from umkm_enroll.accounts.middleware import LOGIN_AT
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.django_db

LOGIN = "/akun/login/"


def login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2():
    user = UserFactory.create()
    assert identify_hasher(str(user.password)).algorithm == "argon2"


@pytest.mark.parametrize("password", ["pendek-11ch", "password1234", "123456789012"])
def test_short_common_or_numeric_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_five_wrong_passwords_lock_the_username_but_not_the_rest_of_the_office(client):
    office = OfficeFactory.diskop_regency("52.71")
    victim = UserFactory.create(office=office)
    colleague = UserFactory.create(office=office)
    for _ in range(5):
        login(client, victim.username, "salah-salah-salah")
    response = login(client, victim.username)  # even the right password is refused now
    assert response.status_code == 429
    assert "terkunci" in response.content.decode()
    # Same office, same IP address: the colleague still signs in.
    response = login(client, colleague.username)
    assert response.status_code == 302
    assert response.url == "/"


def test_a_new_password_set_by_an_administrator_lifts_the_lockout(client):
    from umkm_enroll.accounts.services import user_set_password

    victim = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"))
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=[Role.ADMINISTRATOR])
    for _ in range(5):
        login(client, victim.username, "salah-salah-salah")
    assert login(client, victim.username).status_code == 429
    user_set_password(user=victim, password="Sandi-baru-yang-panjang-2026", actor=admin)
    response = login(client, victim.username, "Sandi-baru-yang-panjang-2026")
    assert response.status_code == 302


def test_an_operator_signs_in_without_a_second_factor(client):
    operator = UserFactory.create(roles=[Role.OPERATOR])
    login(client, operator.username)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CARD_ADMIN, Role.FINANCE, Role.ADMINISTRATOR])
def test_roles_handling_decisions_cards_money_or_users_must_pass_totp(client, role):
    user = UserFactory.create(
        roles=[role], office=OfficeFactory.branch(["52.71"]) if role == Role.OFFICER else None
    )
    login(client, user.username)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_verify"))
    # Without a device yet, verification leads to the set-up page.
    assert client.get(response.url).url.startswith(reverse("accounts:otp_setup"))


def test_a_valid_totp_code_opens_the_pages(client):
    officer = UserFactory.create(roles=[Role.OFFICER], office=OfficeFactory.branch(["52.71"]))
    device = confirmed_totp(officer)
    login(client, officer.username)
    wrong = client.post(reverse("accounts:otp_verify"), {"token": "000000", "next": "/"})
    assert wrong.status_code == 200
    assert "salah" in wrong.content.decode()
    too_soon = client.post(reverse("accounts:otp_verify"), {"token": current_token(device), "next": "/"})
    assert "Tunggu" in too_soon.content.decode()
    time.sleep(1.1)  # django-otp's throttle after one wrong code
    right = client.post(reverse("accounts:otp_verify"), {"token": current_token(device), "next": "/"})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


@override_settings(OTP_REQUIRED_FOR_ALL=True)
def test_a_setting_requires_the_second_factor_for_operators_too(client):
    operator = UserFactory.create(roles=[Role.OPERATOR])
    login(client, operator.username)
    assert client.get("/").status_code == 302


def test_the_api_refuses_a_user_who_owes_the_second_factor(client):
    officer = UserFactory.create(roles=[Role.OFFICER], office=OfficeFactory.branch(["52.71"]))
    login(client, officer.username)
    assert client.get("/api/v1/me/").status_code == 403


def test_a_session_ends_12_hours_after_sign_in_even_when_active(client):
    operator = UserFactory.create()
    login(client, operator.username)
    assert client.get("/").status_code == 200
    session = client.session
    session[LOGIN_AT] = time.time() - 12 * 3600 - 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert client.get("/").status_code == 302


def test_the_idle_timeout_is_30_minutes_renewed_on_each_request(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(LOGIN)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_an_api_view_that_names_no_permission_answers_nothing(rf):
    class Forgetful(APIView):
        def get(self, request):
            from rest_framework.response import Response

            return Response({"secret": 1})

    user = UserFactory.create(roles=[Role.NATIONAL_VIEWER])
    request = rf.get("/x")
    request.user = user
    assert Forgetful.as_view()(request).status_code in {401, 403}
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/me/").status_code == 200
