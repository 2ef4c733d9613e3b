"""The enrollment journey of the issue: an operator submits, an officer rejects with a reason, the operator
sees the reason (and the badge), corrects and resubmits, the officer approves with the keyboard and a KPJ
number appears for both."""

import re

import pytest
from playwright.sync_api import Page, expect

from members.models import Enrollment, EnrollmentStatus
from tests.factories import OfficeFactory, UserFactory, make_member, make_programme
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.e2e


def test_submit_reject_correct_resubmit_approve(page: Page, browser, live_server, transactional_db):
    operator = UserFactory.create(
        username="operator.mataram",
        first_name="Rina",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram"),
    )
    officer = UserFactory.create(
        username="petugas.mataram",
        first_name="Made",
        roles=[Role.OFFICER],
        office=OfficeFactory.branch(["52.71"], name="BPJAMSOSTEK Cabang Mataram"),
    )
    make_programme("52", name="Perlindungan UMKM NTB 2026")
    member = make_member(
        "52.71",
        full_name="Baiq Nurul Aini",
        heir_name="Lalu Hamdi",
        heir_relation="spouse",
    )

    # 1. The operator enrolls the person from her page.
    page.goto("/")
    browser_login(page, operator)
    page.goto(f"/orang/{member.pk}/")
    page.get_by_role("link", name="Daftarkan JKK dan JKM").click()
    page.get_by_label("Pembayar").select_option(label="Peserta sendiri")
    page.get_by_role("button", name="Simpan dan ajukan").click()
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Diajukan")
    enrollment_url = page.url

    # 2. The officer finds it in the queue and rejects it with a reason.
    officer_context = browser.new_context(
        base_url=live_server.url, locale="id-ID", viewport={"width": 1366, "height": 768}
    )
    officer_context.set_default_timeout(15_000)
    officer_page = officer_context.new_page()
    officer_page.goto("/")
    browser_login(officer_page, officer)
    officer_page.goto("/kepesertaan/antrean/")
    officer_page.get_by_role("link", name="Baiq Nurul Aini").click()
    officer_page.wait_for_load_state()  # the shortcuts come with the deferred script
    officer_page.keyboard.press("r")
    expect(officer_page.get_by_role("combobox", name="Alasan")).to_be_focused()
    officer_page.get_by_role("combobox", name="Alasan").select_option(label="Data belum lengkap")
    officer_page.get_by_label("Catatan untuk operator").fill("Pembayar harus APBD (program bantuan pemda)")
    officer_page.get_by_role("button", name="Tolak").click()
    expect(officer_page.get_by_text("Ditolak: Baiq Nurul Aini")).to_be_visible()

    # 3. The operator sees the badge and the reason, corrects and resubmits.
    page.goto("/")
    expect(page.get_by_test_id("nav-badge")).to_have_text("1")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("^Kepesertaan")).click()
    row = page.get_by_test_id("enrollment-row").filter(has_text="Baiq Nurul Aini")
    expect(row.get_by_test_id("rejection")).to_have_text(
        "Data belum lengkap: Pembayar harus APBD (program bantuan pemda)"
    )
    row.get_by_role("link", name="Baiq Nurul Aini").click()
    expect(page.get_by_test_id("rejection-reason")).to_contain_text("Pembayar harus APBD")
    page.get_by_role("link", name="Perbaiki kepesertaan").click()
    page.get_by_label("Pembayar").select_option(label="Sponsor anggaran daerah (APBD)")
    page.get_by_label("Program sponsor").select_option(label="Perlindungan UMKM NTB 2026")
    page.get_by_role("button", name="Simpan dan ajukan").click()
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Diajukan")
    assert page.url == enrollment_url

    # 4. The officer approves with the keyboard (a, then Enter); a KPJ number appears.
    officer_page.goto(enrollment_url)
    officer_page.wait_for_load_state()
    officer_page.keyboard.press("a")
    expect(officer_page.get_by_role("button", name="Setujui")).to_be_focused()
    officer_page.keyboard.press("Enter")
    expect(
        officer_page.get_by_text(re.compile(r"Disetujui: Baiq Nurul Aini, nomor KPJ \d{11}"))
    ).to_be_visible()
    officer_context.close()

    enrollment = Enrollment.objects.select_related("member").get(member=member)
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert enrollment.payer == "sponsor"
    kpj = enrollment.member.kpj_number
    assert kpj
    assert re.fullmatch(r"\d{11}", kpj)
    page.goto(enrollment_url)
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Disetujui")
    expect(page.get_by_test_id("kpj")).to_have_text(kpj)
