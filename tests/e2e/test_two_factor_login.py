import base64
import time

import pytest
from django_otp.oath import TOTP

from tests.factories import PASSWORD, OfficeFactory, UserFactory
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.e2e


def code_for(secret: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(page, username: str) -> None:
    page.goto("/akun/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_a_branch_officer_sets_up_totp_then_logs_in_with_it(page, live_server, transactional_db):
    officer = UserFactory.create(
        username="petugas",
        first_name="Budi",
        roles=[Role.OFFICER],
        office=OfficeFactory.branch(["52.71"], name="BPJAMSOSTEK Cabang Mataram"),
    )

    # First sign-in: the role requires a second factor, so the set-up page comes first.
    sign_in(page, "petugas")
    page.wait_for_url("**/akun/2fa/pasang/**")
    assert page.get_by_role("img", name="Kode QR untuk aplikasi autentikator").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Kode 6 digit dari aplikasi autentikator").fill(
        "123456" if code_for(secret) != "123456" else "654321"
    )
    page.get_by_role("button", name="Konfirmasi").click()
    assert page.get_by_role("alert").first.is_visible()
    time.sleep(1.1)  # django-otp throttles the next try for a second after a wrong code
    page.get_by_label("Kode 6 digit dari aplikasi autentikator").fill(code_for(secret))
    page.get_by_role("button", name="Konfirmasi").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Selamat datang, Budi").is_visible()

    # Log out and in again: now the code is asked for, and then the home page opens. A used code is
    # never accepted twice, so this uses the next one (within the allowed clock drift of one step).
    page.get_by_role("button", name="Keluar").click()
    sign_in(page, "petugas")
    page.wait_for_url("**/akun/2fa/**")
    page.get_by_label("Kode 6 digit dari aplikasi autentikator").fill(code_for(secret, steps_ahead=1))
    page.get_by_role("button", name="Verifikasi").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("current-user").inner_text() == "Budi"

    actions = list(AuditEntry.objects.filter(actor=officer).values_list("action", flat=True))
    assert "accounts.two_factor.enrolled" in actions
    assert "accounts.two_factor.verified" in actions
