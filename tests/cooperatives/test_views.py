import re

import pytest
from django.test import Client
from django.urls import reverse

from cooperatives.models import Cooperative
from tests.cooperatives.conftest import cooperative_data
from tests.factories import CooperativeFactory, OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

# Where umkm_enroll/urls.py mounts the app.
LIST = "/koperasi/"
CREATE = "/koperasi/baru/"


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    login_verified(client, user)
    return client


def edit_url(cooperative: Cooperative) -> str:
    return reverse("cooperatives:edit", kwargs={"pk": cooperative.pk})


def names_listed(response) -> list[str]:
    return [cooperative.name for cooperative in response.context["page_obj"]]


def test_the_pages_are_under_koperasi():
    assert reverse("cooperatives:list") == LIST
    assert reverse("cooperatives:create") == CREATE
    assert reverse("cooperatives:detail", kwargs={"pk": 7}) == "/koperasi/7/"
    assert reverse("cooperatives:edit", kwargs={"pk": 7}) == "/koperasi/7/ubah/"


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_list_of_a_mataram_operator_shows_mataram_and_not_manado(mataram_operator):
    CooperativeFactory.create(name="Koperasi Mataram Sejahtera", regency_id="52.71")
    CooperativeFactory.create(name="Koperasi Manado Bersatu", regency_id="71.71")
    response = signed_in(mataram_operator).get(LIST)
    assert response.status_code == 200
    assert names_listed(response) == ["Koperasi Mataram Sejahtera"]
    assert "Koperasi Manado Bersatu" not in response.content.decode()
    assert "1 hasil" in response.content.decode()


def test_the_list_of_a_province_office_shows_its_province(ntb_operator):
    CooperativeFactory.create(name="Koperasi Mataram Sejahtera", regency_id="52.71")
    CooperativeFactory.create(name="Koperasi Bima Makmur", regency_id="52.72")
    CooperativeFactory.create(name="Koperasi Manado Bersatu", regency_id="71.71")
    response = signed_in(ntb_operator).get(LIST)
    assert names_listed(response) == ["Koperasi Bima Makmur", "Koperasi Mataram Sejahtera"]


def test_one_search_box_finds_by_name_nik_koperasi_or_ahu_number(ntb_operator):
    CooperativeFactory.create(name="Koperasi Tani Makmur", nik_koperasi="5271010010001")
    CooperativeFactory.create(name="Koperasi Nelayan Ampenan", ahu_number="AHU-0004321.AH.01.26.TAHUN 2020")
    CooperativeFactory.create(name="Koperasi Pedagang Pasar")
    client = signed_in(ntb_operator)
    assert names_listed(client.get(LIST, {"q": "tani"})) == ["Koperasi Tani Makmur"]
    assert names_listed(client.get(LIST, {"q": "527101001"})) == ["Koperasi Tani Makmur"]
    assert names_listed(client.get(LIST, {"q": "0004321"})) == ["Koperasi Nelayan Ampenan"]


def test_the_list_filters_by_region_kind_and_status_and_sorts_by_column(ntb_operator):
    CooperativeFactory.create(name="A Simpan Pinjam", kind="simpan_pinjam", member_count=300)
    CooperativeFactory.create(name="B Konsumen", kind="konsumen", member_count=10, status="inactive")
    CooperativeFactory.create(name="C Bima", regency_id="52.72", kind="konsumen", member_count=50)
    client = signed_in(ntb_operator)
    assert names_listed(client.get(LIST, {"regency": "52.72"})) == ["C Bima"]
    assert names_listed(client.get(LIST, {"province": "52", "kind": "konsumen"})) == ["B Konsumen", "C Bima"]
    assert names_listed(client.get(LIST, {"status": "inactive"})) == ["B Konsumen"]
    assert names_listed(client.get(LIST, {"sort": "-member_count"})) == [
        "A Simpan Pinjam",
        "C Bima",
        "B Konsumen",
    ]
    assert names_listed(client.get(LIST, {"sort": "regency"}))[0] == "C Bima"  # Kota Bima before Kota Mataram
    response = client.get(LIST, {"kind": "konsumen", "sort": "member_count"})
    # The column link keeps the filters and reverses the direction.
    assert "kind=konsumen&amp;sort=-member_count" in response.content.decode()
    assert "60 anggota" in response.content.decode()


def test_every_role_with_a_region_may_view_but_only_operators_register():
    officer = UserFactory.create(office=OfficeFactory.branch(["52.71"]), roles=[Role.OFFICER])
    cooperative = CooperativeFactory.create()
    client = signed_in(officer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert CREATE not in response.content.decode()
    assert client.get(reverse("cooperatives:detail", kwargs={"pk": cooperative.pk})).status_code == 200
    assert client.get(CREATE).status_code == 403
    assert client.get(edit_url(cooperative)).status_code == 403
    no_role = UserFactory.create(roles=[])
    assert signed_in(no_role).get(LIST).status_code == 403


def test_an_operator_registers_a_cooperative_and_sees_it_with_its_history(mataram_operator):
    client = signed_in(mataram_operator)
    response = client.post(CREATE, cooperative_data())
    cooperative = Cooperative.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cooperatives:detail", kwargs={"pk": cooperative.pk})
    assert cooperative.ahu_number == "AHU-0001234.AH.01.26.TAHUN 2019"
    assert cooperative.phone == "+6281234567890"
    assert cooperative.village_id == "52.71.01.1004"
    assert cooperative.office == mataram_operator.office
    page = client.get(response["Location"]).content.decode()
    assert "Koperasi Simpan Pinjam Sejahtera Ampenan" in page
    assert "Ampenan Selatan" in page
    assert "Koperasi didaftarkan" in page  # the history names the action in words
    assert "Koperasi Simpan Pinjam" in page  # the kind, in Indonesian


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ahu_number", "0001234.AH.01.26", "Nomor SK AHU diawali “AHU-”"),
        ("phone", "12345", "Isi nomor HP seperti 0812 3456 7890"),
        ("nik_koperasi", "12-34", "Isi 10 sampai 20 karakter"),
        ("village", "52.72.01.1001", "Desa/kelurahan ini tidak berada di kecamatan yang dipilih."),
        ("district", "52.72.01", "Kecamatan ini tidak berada di kabupaten/kota yang dipilih."),
    ],
)
def test_the_form_shows_errors_beside_the_fields_in_indonesian(mataram_operator, field, value, message):
    response = signed_in(mataram_operator).post(CREATE, cooperative_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert not Cooperative.objects.exists()


def test_a_regency_outside_the_scope_of_the_office_is_refused_beside_the_field(mataram_operator):
    response = signed_in(mataram_operator).post(
        CREATE, cooperative_data(regency="52.72", district="52.72.01", village="52.72.01.1001")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["regency"] == [
        "Anda hanya dapat mendaftarkan koperasi di wilayah kantor Anda: Kota Mataram."
    ]
    assert not Cooperative.objects.exists()


def test_district_and_village_are_required_by_the_form(mataram_operator):
    response = signed_in(mataram_operator).post(CREATE, cooperative_data(district="", village=""))
    assert set(response.context["form"].errors) == {"district", "village"}


def test_a_nik_koperasi_already_registered_is_refused_beside_the_field(mataram_operator):
    CooperativeFactory.create(nik_koperasi="5271010010001")
    response = signed_in(mataram_operator).post(CREATE, cooperative_data())
    assert response.context["form"].errors["nik_koperasi"] == [
        "Nomor Induk Koperasi ini sudah dipakai koperasi lain."
    ]


def test_the_region_selects_offer_the_children_of_the_chosen_parent(mataram_operator):
    client = signed_in(mataram_operator)
    form = client.get(CREATE).context["form"]
    # A regency office is offered its own province only, and nothing below it yet.
    assert [code for code, _ in form.fields["province"].widget.choices] == ["", "52"]
    assert form.fields["regency"].widget.choices == [("", "Pilih: Kabupaten/kota")]
    # Without JavaScript, the refresh button reloads the choices below the chosen regions.
    response = client.post(CREATE, {"province": "52", "regency": "52.71", "refresh": "1"})
    form = response.context["form"]
    assert not form.errors
    assert ("52.72", "Kota Bima") in form.fields["regency"].widget.choices
    assert ("52.71.01", "Ampenan") in form.fields["district"].widget.choices
    assert form.fields["village"].widget.choices == [("", "Pilih: Desa/kelurahan")]
    content = response.content.decode()
    assert 'hx-get="/wilayah/cari/?level=district"' in content
    assert 'hx-include="#id_regency"' in content


def test_an_edit_saves_and_is_audited_with_the_changed_fields(mataram_operator):
    cooperative = CooperativeFactory.create(name="Koperasi Lama", member_count=25)
    client = signed_in(mataram_operator)
    form = client.get(edit_url(cooperative)).context["form"]
    data = {**cooperative_data(), **{k: v for k, v in form.initial.items() if v is not None}}
    data.update({"name": "Koperasi Baru", "member_count": "26", "version": "1"})
    data.pop("id", None)
    response = client.post(edit_url(cooperative), data)
    assert response.status_code == 302
    cooperative.refresh_from_db()
    assert (cooperative.name, cooperative.member_count, cooperative.version) == ("Koperasi Baru", 26, 2)
    entry = AuditEntry.objects.get(action="cooperatives.cooperative.updated")
    assert entry.changes["name"] == ["Koperasi Lama", "Koperasi Baru"]
    assert entry.changes["member_count"] == [25, 26]


def hidden_version(content: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', content)
    assert match, "the form carries no version"
    return match.group(1)


def test_of_two_edits_read_at_the_same_version_the_second_is_refused_and_nothing_is_lost(mataram_operator):
    cooperative = CooperativeFactory.create(
        name="Koperasi Sejahtera", nik_koperasi="", ahu_number="", **{"member_count": 25}
    )
    first, second = signed_in(mataram_operator), signed_in(mataram_operator)
    assert hidden_version(first.get(edit_url(cooperative)).content.decode()) == "1"
    assert hidden_version(second.get(edit_url(cooperative)).content.decode()) == "1"
    base = cooperative_data(nik_koperasi="", ahu_number="", version="1", name="Koperasi Sejahtera")

    assert first.post(edit_url(cooperative), {**base, "member_count": "30"}).status_code == 302
    response = second.post(
        edit_url(cooperative), {**base, "member_count": "99", "chairperson": "Ahmad Fauzi"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Pengguna lain menyimpan koperasi ini saat Anda sedang mengubahnya." in content
    # The second user's input is still in the form, beside the value saved meanwhile.
    assert 'value="99"' in content
    assert 'value="Ahmad Fauzi"' in content
    assert "Yang tersimpan sekarang: 30" in content
    assert hidden_version(content) == "2"
    cooperative.refresh_from_db()
    assert (cooperative.member_count, cooperative.version) == (30, 2)
    assert AuditEntry.objects.filter(action="cooperatives.cooperative.updated").count() == 1

    # Saving again, now knowingly, overwrites.
    again = second.post(edit_url(cooperative), {**base, "member_count": "99", "version": "2"})
    assert again.status_code == 302
    cooperative.refresh_from_db()
    assert (cooperative.member_count, cooperative.version) == (99, 3)


def test_a_cooperative_of_another_region_cannot_be_opened_or_edited(mataram_operator):
    manado = CooperativeFactory.create(regency_id="71.71")
    client = signed_in(mataram_operator)
    assert client.get(reverse("cooperatives:detail", kwargs={"pk": manado.pk})).status_code == 404
    assert client.get(edit_url(manado)).status_code == 404
    assert client.post(edit_url(manado), cooperative_data(version="1")).status_code == 404
