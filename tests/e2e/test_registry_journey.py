"""The registry journey of the issue: a cooperative, a UMKM owner who is its member, a worker employed by
that owner (a wrong NIK corrected from the message shown), and an operator of another province who can
find none of them and is refused the same NIK."""

import pytest
from playwright.sync_api import Page, expect

from members.models import Member
from members.services import nik_reveal_value
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.e2e

OWNER_NIK = "5271014408900002"  # Kota Mataram, Ampenan; a woman born 4 August 1990
WORKER_NIK = "5271011203950003"  # a man born 12 March 1995


def choose_address(page: Page, province: str, regency: str, district: str, village: str) -> None:
    page.get_by_label("Provinsi").select_option(label=province)
    expect(page.get_by_label("Kabupaten/kota").locator("option", has_text=regency)).to_have_count(1)
    page.get_by_label("Kabupaten/kota").select_option(label=regency)
    expect(page.get_by_label("Kecamatan").locator("option", has_text=district)).to_have_count(1)
    page.get_by_label("Kecamatan").select_option(label=district)
    expect(page.get_by_label("Desa/kelurahan").locator("option", has_text=village)).to_have_count(1)
    page.get_by_label("Desa/kelurahan").select_option(label=village)


def fill_person(page: Page, *, nik: str, name: str, birth: str, sex: str, occupation: str) -> None:
    page.locator("#id_nik").fill(nik)
    page.get_by_label("Nama lengkap").fill(name)
    page.get_by_label("Tempat lahir").fill("Mataram")
    page.get_by_label("Tanggal lahir").fill(birth)
    page.get_by_label("Jenis kelamin").select_option(label=sex)
    page.get_by_label("Alamat jalan").fill("Jl. Pabean 3")
    choose_address(page, "Nusa Tenggara Barat", "Kota Mataram", "Ampenan", "Ampenan Selatan")
    page.get_by_label("Nomor ponsel").fill("0819 0712 " + nik[-4:])
    page.get_by_label("Pekerjaan atau jenis usaha").fill(occupation)


def test_an_operator_registers_a_cooperative_its_member_and_her_worker(
    page: Page, live_server, transactional_db
):
    operator = UserFactory.create(
        username="operator.mataram",
        first_name="Rina",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram"),
    )
    page.goto("/")
    browser_login(page, operator)

    # 1. The cooperative.
    page.goto("/koperasi/baru/")
    page.get_by_label("Nama").fill("Koperasi Nelayan Ampenan")
    page.get_by_label("Jenis").select_option(label="Koperasi Produsen")
    page.get_by_label("Ketua").fill("Lalu Ahmad Zaini")
    page.get_by_label("Jumlah anggota").fill("40")
    choose_address(page, "Nusa Tenggara Barat", "Kota Mataram", "Ampenan", "Ampenan Selatan")
    page.get_by_label("Alamat").fill("Jl. Pabean 3, Ampenan")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Koperasi Nelayan Ampenan")).to_be_visible()

    # 2. The UMKM owner, a member of the cooperative.
    page.goto("/orang/baru/")
    fill_person(
        page,
        nik="5271 0144 0890 0002",
        name="Baiq Nurul Aini",
        birth="1990-08-04",
        sex="Perempuan",
        occupation="Pengolahan ikan",
    )
    page.get_by_label("Nama usaha").fill("Ikan Asin Ampenan")
    page.get_by_label("Jenis peserta").select_option(value="bpu")
    page.get_by_label("Penghasilan per bulan yang dilaporkan (Rp)").fill("2000000")
    page.locator("#id_cooperative").select_option(label="Koperasi Nelayan Ampenan")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Baiq Nurul Aini")).to_be_visible()
    expect(page.get_by_test_id("nik")).to_have_text("527101******0002")

    # 3. Her worker, first with a NIK whose date digits are wrong (typed 13 for the 12th).
    page.goto("/orang/baru/")
    fill_person(
        page,
        nik="5271011303950003",
        name="Lalu Hendra",
        birth="1995-03-12",
        sex="Laki-laki",
        occupation="Pekerja pengolahan ikan",
    )
    page.get_by_label("Jenis peserta").select_option(value="pu")
    page.get_by_label("Upah per bulan (Rp)").fill("2600000")
    page.get_by_label("Cari pemberi kerja (pemilik usaha)").fill("Baiq Nurul")
    employer = page.locator("#id_employer_member")
    expect(employer.locator("option", has_text="Baiq Nurul Aini")).to_have_count(1)
    employer.select_option(index=1)
    page.get_by_role("button", name="Simpan").click()
    message = page.locator(".field.has-error .error").first
    expect(message).to_contain_text("seharusnya 120395")
    # Corrected from the message.
    page.locator("#id_nik").fill(WORKER_NIK)
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Lalu Hendra")).to_be_visible()
    expect(page.get_by_role("link", name="Baiq Nurul Aini")).to_be_visible()

    owner = Member.objects.get(full_name="Baiq Nurul Aini")
    worker = Member.objects.get(full_name="Lalu Hendra")
    assert nik_reveal_value(owner) == OWNER_NIK
    assert worker.employer_member == owner
    assert owner.cooperative is not None
    assert owner.cooperative.name == "Koperasi Nelayan Ampenan"

    # 4. An operator in another province finds none of them, and is refused the same NIK.
    other = UserFactory.create(
        username="operator.manado",
        first_name="Yohana",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency("71.71", name="Diskop Kota Manado"),
    )
    page.context.clear_cookies()
    browser_login(page, other)
    page.goto("/orang/")
    for query in ["Baiq Nurul Aini", OWNER_NIK, "Lalu Hendra"]:
        page.locator("#q").fill(query)
        page.locator("#q").press("Enter")
        expect(page.get_by_test_id("result-count").first).to_have_text("0 hasil")
        assert OWNER_NIK not in page.url
    page.goto("/koperasi/")
    expect(page.get_by_text("Koperasi Nelayan Ampenan")).to_have_count(0)

    page.goto("/orang/baru/")
    page.locator("#id_nik").fill(OWNER_NIK)
    page.get_by_label("Nama lengkap").fill("Baiq Nurul Aini")
    page.get_by_label("Tempat lahir").fill("Manado")
    page.get_by_label("Tanggal lahir").fill("1990-08-04")
    page.get_by_label("Jenis kelamin").select_option(label="Perempuan")
    page.get_by_label("Alamat jalan").fill("Jl. Sam Ratulangi 1")
    page.get_by_label("Provinsi").select_option(label="Sulawesi Utara")
    expect(page.get_by_label("Kabupaten/kota").locator("option", has_text="Kota Manado")).to_have_count(1)
    page.get_by_label("Kabupaten/kota").select_option(label="Kota Manado")
    expect(page.get_by_label("Kecamatan").locator("option")).not_to_have_count(1)
    page.get_by_label("Kecamatan").select_option(index=1)
    expect(page.get_by_label("Desa/kelurahan").locator("option")).not_to_have_count(1)
    page.get_by_label("Desa/kelurahan").select_option(index=1)
    page.get_by_label("Pekerjaan atau jenis usaha").fill("Pedagang")
    page.get_by_label("Jenis peserta").select_option(value="bpu")
    page.get_by_label("Penghasilan per bulan yang dilaporkan (Rp)").fill("1000000")
    page.get_by_role("button", name="Simpan").click()
    refusal = page.locator(".field.has-error .error").first
    expect(refusal).to_contain_text("sudah didaftarkan oleh kantor lain: Diskop Kota Mataram")
    expect(page.get_by_text("Ikan Asin Ampenan")).to_have_count(0)
    assert Member.objects.count() == 2
