import pytest
from playwright.sync_api import expect

from cooperatives.models import Cooperative
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.e2e


def test_an_operator_registers_a_cooperative_choosing_its_address_region_by_region(
    page, live_server, transactional_db
):
    operator = UserFactory.create(
        username="operator.mataram",
        first_name="Rina",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram"),
    )
    page.goto("/")
    browser_login(page, operator)

    page.goto("/koperasi/")
    page.get_by_role("link", name="Koperasi baru").click()
    page.get_by_label("Nama").fill("Koperasi Nelayan Ampenan Sejahtera")
    page.get_by_label("Jenis").select_option(label="Koperasi Produsen")
    page.get_by_label("Nomor SK AHU").fill("ahu-0004321.ah.01.26.tahun 2020")
    page.get_by_label("Jumlah anggota").fill("85")
    page.get_by_label("Ketua").fill("Lalu Ahmad Zaini")
    page.get_by_label("Telepon").fill("0819 0712 3456")

    # Each choice reloads the options of the next select from the regions lookup (htmx).
    regency = page.get_by_label("Kabupaten/kota")
    district = page.get_by_label("Kecamatan")
    village = page.get_by_label("Desa/kelurahan")
    expect(regency.locator("option")).to_have_count(1)
    page.get_by_label("Provinsi").select_option(label="Nusa Tenggara Barat")
    expect(regency.locator("option", has_text="Kota Mataram")).to_have_count(1)
    regency.select_option(label="Kota Mataram")
    expect(district.locator("option", has_text="Ampenan")).to_have_count(1)
    district.select_option(label="Ampenan")
    expect(village.locator("option", has_text="Ampenan Selatan")).to_have_count(1)
    village.select_option(label="Ampenan Selatan")
    page.get_by_label("Alamat").fill("Jl. Pabean 3, Ampenan")
    page.get_by_role("button", name="Simpan").click()

    expect(page.get_by_role("heading", name="Koperasi Nelayan Ampenan Sejahtera")).to_be_visible()
    expect(page.locator("dd", has_text="Ampenan Selatan")).to_be_visible()
    expect(page.get_by_text("AHU-0004321.AH.01.26.TAHUN 2020", exact=True)).to_be_visible()
    cooperative = Cooperative.objects.get(name="Koperasi Nelayan Ampenan Sejahtera")
    assert (cooperative.regency_id, cooperative.district_id, cooperative.village_id) == (
        "52.71",
        "52.71.01",
        "52.71.01.1004",
    )
    assert cooperative.phone == "+6281907123456"
    assert AuditEntry.objects.filter(
        action="cooperatives.cooperative.created", object_id=str(cooperative.pk), actor=operator
    ).exists()

    # Changing the province again empties the selects below it.
    page.get_by_role("link", name="Ubah").click()
    page.get_by_label("Provinsi").select_option(label="Nusa Tenggara Barat")
    expect(page.get_by_label("Kecamatan").locator("option")).to_have_count(1)
    expect(page.get_by_label("Desa/kelurahan").locator("option")).to_have_count(1)
