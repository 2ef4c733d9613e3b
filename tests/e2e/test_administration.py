import pytest

from tests.factories import OfficeFactory, UserFactory
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.e2e


def test_an_administrator_creates_a_branch_and_a_user_for_it_in_the_browser(
    page, live_server, transactional_db
):
    admin = UserFactory.create(
        username="admin.pusat",
        first_name="Admin",
        roles=[Role.ADMINISTRATOR],
        office=OfficeFactory.ministry(name="Kementerian Uji"),
    )
    Office.objects.get_or_create(
        name="BPJAMSOSTEK Kantor Wilayah Bali Nusa Tenggara Papua",
        defaults={"kind": Office.Kind.BPJS_REGIONAL},
    )
    page.goto("/")
    browser_login(page, admin)

    page.goto("/")
    page.get_by_role("link", name="Kantor", exact=True).first.click()
    page.get_by_role("link", name="Kantor baru").click()
    page.get_by_label("Jenis").select_option(label="Kantor cabang BPJAMSOSTEK")
    page.get_by_label("Nama").fill("BPJAMSOSTEK Cabang Sumbawa")
    page.get_by_label("Provinsi").select_option(label="Nusa Tenggara Barat")
    # Choosing the province reloads the regency choices (htmx).
    page.get_by_label("Kabupaten Sumbawa", exact=True).check()
    page.get_by_label("Kabupaten Dompu").check()
    page.get_by_label("Kantor wilayah").select_option(
        label="BPJAMSOSTEK Kantor Wilayah Bali Nusa Tenggara Papua"
    )
    page.get_by_role("button", name="Simpan").click()
    assert page.get_by_role("heading", name="BPJAMSOSTEK Cabang Sumbawa").is_visible()
    branch = Office.objects.get(name="BPJAMSOSTEK Cabang Sumbawa")
    assert set(branch.served_regencies.values_list("code", flat=True)) == {"52.04", "52.05"}

    page.get_by_role("link", name="Pengguna baru").click()
    page.get_by_label("Nama pengguna").fill("petugas.sumbawa")
    page.get_by_label("Nama depan").fill("Rina")
    page.get_by_label("Kantor").select_option(label="BPJAMSOSTEK Cabang Sumbawa")
    page.get_by_label("Operator Diskop").check()
    page.get_by_label("Kata sandi awal").fill("pendek")
    page.get_by_role("button", name="Simpan").click()
    # Errors beside the fields, in Indonesian: a short password, and an operator outside a Diskop office.
    assert page.get_by_text("Kata sandi terlalu pendek").is_visible()
    assert page.get_by_text("memerlukan kantor jenis lain").is_visible()

    page.get_by_label("Operator Diskop").uncheck()
    page.get_by_label("Petugas cabang BPJAMSOSTEK").check()
    page.get_by_label("Kata sandi awal").fill("sumbawa-aman-sekali-2026")
    page.get_by_role("button", name="Simpan").click()
    assert page.get_by_role("heading", name="Rina").is_visible()
    created = User.objects.get(username="petugas.sumbawa")
    assert created.roles == [Role.OFFICER]
    assert created.office == branch
    assert AuditEntry.objects.filter(
        action="accounts.user.created", object_id=str(created.pk), actor=admin
    ).exists()


def test_an_administrator_adds_a_contribution_scheme_in_the_browser(page, live_server, transactional_db):
    from contributions.models import TariffScheme

    admin = UserFactory.create(
        username="admin.tarif",
        roles=[Role.ADMINISTRATOR],
        office=OfficeFactory.ministry(name="Kementerian Uji"),
    )
    page.goto("/")
    browser_login(page, admin)
    page.goto("/")
    page.get_by_role("link", name="Tarif", exact=True).first.click()
    page.get_by_role("link", name="Skema baru").click()
    page.get_by_label("Kode").fill("ntb-2027")
    page.get_by_label("Nama").fill("NTB 2027: 0,54% UMP")
    page.get_by_label("Provinsi").select_option(label="Nusa Tenggara Barat")
    page.get_by_label("Bulan pertama").fill("2027-01")
    page.get_by_label("Metode").select_option(label="Tarif dikali dasar")
    page.get_by_label("Dasar", exact=True).select_option(index=3)
    page.get_by_label("Tarif JKK (%)").fill("0,24")
    page.get_by_label("Tarif JKM (%)").fill("30")  # a typo for 0,30
    page.get_by_label("Dibulatkan ke atas ke (Rp)").fill("100")
    page.get_by_role("button", name="Simpan").click()
    assert page.get_by_text("Tarif harus lebih dari 0% dan paling tinggi 10%").is_visible()
    assert not TariffScheme.objects.filter(code="ntb-2027").exists()

    page.get_by_label("Tarif JKM (%)").fill("0,30")
    page.get_by_role("button", name="Simpan").click()
    facts = page.get_by_test_id("scheme-facts")
    assert "JKK 0,24% + JKM 0,3% dari upah minimum provinsi tahun berjalan" in facts.inner_text()
    scheme = TariffScheme.objects.get(code="ntb-2027")
    assert (scheme.province_id, scheme.jkk_rates, scheme.jkm_rate, scheme.rounding_unit) == (
        "52",
        {"": 24},
        30,
        100,
    )
    assert AuditEntry.objects.filter(action="contributions.scheme.created", object_id=str(scheme.pk)).exists()
    page.get_by_role("link", name="Tarif").first.click()
    assert page.get_by_test_id("schemes").get_by_role("link", name="ntb-2027").is_visible()
