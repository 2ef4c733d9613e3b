import pytest

from umkm_enroll.accounts.models import User

pytestmark = pytest.mark.e2e


def test_a_user_logs_in_and_sees_the_home_page_in_indonesian(page, live_server, transactional_db):
    User.objects.create_user("operator1", password="kata-sandi-panjang-1", first_name="Siti")

    page.goto("/")
    assert "/akun/login/" in page.url
    page.get_by_label("Nama pengguna").fill("operator1")
    page.get_by_label("Kata sandi").fill("kata-sandi-panjang-1")
    page.get_by_role("button", name="Masuk").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Selamat datang, Siti").is_visible()
    assert page.get_by_test_id("current-user").inner_text() == "Siti"


def test_a_wrong_password_is_refused_with_a_message(page, live_server, transactional_db):
    User.objects.create_user("operator2", password="kata-sandi-panjang-2")

    page.goto("/akun/login/")
    page.get_by_label("Nama pengguna").fill("operator2")
    page.get_by_label("Kata sandi").fill("salah-sama-sekali")
    page.get_by_role("button", name="Masuk").click()

    assert page.get_by_role("alert").first.is_visible()
    assert "/akun/login/" in page.url
