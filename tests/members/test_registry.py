"""Registering people: NIK rules, one person per NIK nationwide, encryption, scoping, concurrency."""

import re
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from members import services
from members.models import DuplicateFlag, Member
from tests.factories import OfficeFactory, UserFactory, make_member, nik_for
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def mataram_operator():
    return UserFactory.create(
        office=OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram"), roles=[Role.OPERATOR]
    )


@pytest.fixture
def manado_operator():
    return UserFactory.create(
        office=OfficeFactory.diskop_regency("71.71", name="Diskop Kota Manado"), roles=[Role.OPERATOR]
    )


def form_data(**overrides):
    from umkm_enroll.regions.models import Village

    village = Village.objects.filter(district__regency_id="52.71").order_by("code")[0]
    data = {
        "nik": nik_for("52.71", village.district_id[-2:], date(1990, 8, 4), "P", 1),
        "full_name": "Siti Aminah",
        "birth_place": "Mataram",
        "birth_date": "1990-08-04",
        "sex": "P",
        "address": "Jl. Pejanggik 10",
        "province": "52",
        "regency": "52.71",
        "district": village.district_id,
        "village": village.code,
        "phone": "0812-3456-7890",
        "occupation": "Pedagang",
        "kind": "bpu",
        "monthly_income": "1500000",
        "heir_name": "Budi",
        "heir_relation": "spouse",
    }
    data.update(overrides)
    return data


def test_an_operator_registers_a_person_and_the_nik_is_stored_encrypted(client, mataram_operator):
    login_verified(client, mataram_operator)
    data = form_data()
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get()
    assert member.phone == "+6281234567890"
    assert member.nik_masked == f"{data['nik'][:6]}******{data['nik'][-4:]}"
    assert member.nik_regency_code == "52.71"
    assert services.nik_reveal_value(member) == data["nik"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(m)::text FROM members_member m")
        raw_row = cursor.fetchone()[0]
    assert data["nik"] not in raw_row
    assert AuditEntry.objects.filter(action="members.member.created", object_id=str(member.pk)).exists()
    created = AuditEntry.objects.get(action="members.member.created")
    assert data["nik"] not in str(created.changes)
    assert created.changes["nik_masked"][1] == member.nik_masked
    # Registered through the form, the person is found by a misspelt name at once.
    found = client.post(reverse("members:list"), {"q": "sity aminah"}, follow=True)
    assert list(found.context["page_obj"]) == [member]


def test_a_phone_typed_with_spaces_is_read_whole_not_cut_at_the_stored_length(client, mataram_operator):
    login_verified(client, mataram_operator)
    data = form_data(phone="+62 812 9999 0002", heir_phone="+62 813-2408-8104")
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get()
    assert (member.phone, member.heir_phone) == ("+6281299990002", "+6281324088104")
    page = client.get(reverse("members:create")).content.decode()
    assert 'maxlength="16"' not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_income", "-5000", "An amount cannot be negative."),
        (
            "monthly_income",
            "99999999999999999",
            "That is more than Rp 1 trillion a month: check the number of digits.",
        ),
        ("monthly_income", "1500000.75", "Write whole rupiah without cents or dots, e.g. 1500000."),
        ("full_name", "12345 !!!", "A name is written in letters: type the name as on the e-KTP."),
        ("birth_date", "1900-01-01", "That is more than %(years)s years ago: check the year of birth."),
    ],
)
def test_impossible_values_are_refused_beside_their_field(client, mataram_operator, field, value, message):
    login_verified(client, mataram_operator)
    response = client.post(reverse("members:create"), form_data(**{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    with translation.override("id"):
        expected = translation.gettext(message).replace("%(years)s", "120")
    assert form.errors.get(field) == [expected], form.errors
    assert list(form.errors) == [field]  # one message, beside the field: no second, misleading one
    assert not Member.objects.exists()


def test_the_nik_must_agree_with_the_birth_date_and_sex_and_the_message_says_which_digits(
    client, mataram_operator
):
    login_verified(client, mataram_operator)
    data = form_data(sex="L")  # the NIK carries 44 (a woman born on the 4th)
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Digit 7-8" in text
    assert "040890" in text or "04" in text
    assert not Member.objects.exists()


def test_a_nik_registered_elsewhere_is_refused_naming_only_the_office(
    client, mataram_operator, manado_operator
):
    make_member(
        "52.71",
        nik="5271014408900001",
        birth=date(1990, 8, 4),
        sex="P",
        office=mataram_operator.office,
        full_name="Siti Aminah",
    )
    login_verified(client, manado_operator)
    from umkm_enroll.regions.models import Village

    village = Village.objects.filter(district__regency_id="71.71").order_by("code")[0]
    data = form_data(
        nik="5271014408900001",
        province="71",
        regency="71.71",
        district=village.district_id,
        village=village.code,
        full_name="Orang Lain",
    )
    response = client.post(reverse("members:create"), data)
    text = response.content.decode()
    assert "Diskop Kota Mataram" in text
    assert "Siti Aminah" not in text
    assert Member.objects.count() == 1


def test_a_nik_visible_to_the_user_links_to_the_existing_record(client, mataram_operator):
    existing = make_member("52.71", nik="5271014408900001", birth=date(1990, 8, 4), sex="P")
    login_verified(client, mataram_operator)
    response = client.post(reverse("members:create"), form_data(nik="5271 0144 0890 0001"))
    assert reverse("members:detail", args=[existing.pk]) in response.content.decode()


def test_the_address_form_offers_only_the_operators_regencies(client, mataram_operator):
    login_verified(client, mataram_operator)
    options = client.get(
        reverse("regions:lookup"), {"level": "regency", "province": "52", "mine": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'value="52.71"' in options
    assert 'value="52.01"' not in options  # Lombok Barat: another office's
    everything = client.get(
        reverse("regions:lookup"), {"level": "regency", "province": "52"}, HTTP_HX_REQUEST="true"
    )
    assert 'value="52.01"' in everything.content.decode()  # the reference lookup itself is unchanged
    response = client.post(reverse("members:create"), form_data(regency="52.01"))
    assert "wilayah kantor Anda sendiri" in response.content.decode()


def test_a_region_outside_the_operators_area_is_refused(manado_operator):
    with pytest.raises(services.RegistryError):
        services.member_create(
            data={**_model_data(), "regency_id": "52.71"}, nik=nik_for("52.71", "01"), actor=manado_operator
        )


def _model_data():
    return {
        "full_name": "Ani",
        "birth_place": "Mataram",
        "birth_date": date(1985, 6, 15),
        "sex": "L",
        "address": "Jl. A",
        "province_id": "52",
        "occupation": "Petani",
        "kind": "bpu",
        "monthly_income": 1_000_000,
    }


def test_the_second_of_two_simultaneous_edits_is_refused_and_nothing_is_lost(mataram_operator):
    member = make_member("52.71", full_name="Ahmad")
    services.member_update(
        member=member, data={"occupation": "Penjahit"}, expected_version=1, actor=mataram_operator
    )
    with pytest.raises(services.StaleEdit):
        services.member_update(
            member=member, data={"occupation": "Nelayan"}, expected_version=1, actor=mataram_operator
        )
    member.refresh_from_db()
    assert member.occupation == "Penjahit"
    assert member.version == 2


def test_the_edit_page_shows_the_stale_edit_message_with_the_users_input(client, mataram_operator):
    member = make_member("52.71", full_name="Ahmad", sex="L", birth=date(1980, 1, 2))
    login_verified(client, mataram_operator)
    services.member_update(
        member=member, data={"occupation": "Penjahit"}, expected_version=1, actor=mataram_operator
    )
    data = form_data(
        nik=services.nik_reveal_value(member),
        full_name="Ahmad Baru",
        sex="L",
        birth_date="1980-01-02",
        district=member.district_id,
        village=member.village_id,
        version="1",
    )
    response = client.post(reverse("members:edit", args=[member.pk]), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "orang lain" in text.lower()
    assert "Ahmad Baru" in text  # the user's input is still in the form
    member.refresh_from_db()
    assert member.full_name == "Ahmad"


def test_possible_duplicates_are_flagged_not_blocked(mataram_operator):
    first = make_member("52.71", full_name="Siti Aminah", birth=date(1990, 8, 4), sex="P")
    second = make_member("52.71", full_name="SITI  AMINAH.", birth=date(1990, 8, 4), sex="P")
    flags = services.duplicates_flag(member=second)
    assert len(flags) == 1
    assert {flags[0].first_id, flags[0].second_id} == {first.pk, second.pk}
    services.duplicate_resolve(flag=flags[0], merge=True, actor=mataram_operator)
    second.refresh_from_db()
    assert second.merged_into == first
    assert Member.objects.count() == 2  # nothing deleted
    assert DuplicateFlag.objects.get().status == DuplicateFlag.Status.MERGED


def test_revealing_a_nik_is_audited_and_post_only(client, mataram_operator):
    member = make_member("52.71")
    login_verified(client, mataram_operator)
    url = reverse("members:reveal_nik", args=[member.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert services.nik_reveal_value(member) in response.content.decode()
    assert AuditEntry.objects.filter(action="members.member.nik_revealed", object_id=str(member.pk)).exists()


def test_search_finds_by_typo_full_nik_and_phone_within_scope(client, mataram_operator):
    target = make_member("52.71", full_name="Muhammad Rizki Pratama", phone="+6281234500001")
    make_member("71.71", full_name="Muhammad Rizki Pratama")
    login_verified(client, mataram_operator)
    for q in ["Muhamad Rizky", "muhammad pratama", services.nik_reveal_value(target), "0812-3450-0001"]:
        response = client.post(reverse("members:list"), {"q": q}, follow=True)
        assert response.context["paginator"].count == 1, q
        assert list(response.context["page_obj"]) == [target]
        # What was typed is kept in the session; the URL carries an opaque token only.
        url = response.redirect_chain[-1][0]
        assert q not in url
        assert "Rizk" not in url


def test_the_employer_lookup_is_posted_within_scope_and_never_searched_from_a_url(client, mataram_operator):
    owner = make_member("52.71", full_name="Baiq Nurul Aini")
    make_member("71.71", full_name="Baiq Nurul Aini")
    login_verified(client, mataram_operator)
    url = reverse("members:employer_lookup")
    by_nik = client.post(url, {"employer_q": services.nik_reveal_value(owner)}).content.decode()
    by_name = client.post(url, {"employer_q": "baiq nurul"}).content.decode()
    assert by_nik.count("<option") == by_name.count("<option") == 2  # the empty choice and Baiq, not Manado's
    assert f'value="{owner.pk}"' in by_name
    # A search typed into a URL is not run: the address would be logged with the name or NIK in it.
    assert client.get(url, {"employer_q": "baiq nurul"}).status_code == 405


def test_pages_and_logs_never_carry_a_full_nik(client, mataram_operator, caplog):
    member = make_member("52.71")
    nik = services.nik_reveal_value(member)
    login_verified(client, mataram_operator)
    for url in [reverse("members:list"), reverse("members:detail", args=[member.pk])]:
        assert nik not in client.get(url).content.decode()
    response = client.post(reverse("members:list"), {"q": nik}, follow=True)
    assert response.context["paginator"].count == 1
    assert nik not in response.redirect_chain[-1][0]
    assert nik not in caplog.text


def test_the_edit_page_never_shows_the_full_nik_and_keeps_nik_and_family_card_when_left_empty(
    client, mataram_operator
):
    from members.vault import vault

    member = make_member("52.71", full_name="Ahmad", sex="L", birth=date(1980, 1, 2))
    member.kk_ciphertext, member.kk_key_id = vault().encrypt("5271010101800001", purpose="kk")
    member.kk_masked = "527101******0001"
    member.save()
    nik = services.nik_reveal_value(member)
    login_verified(client, mataram_operator)
    page = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert nik not in page
    assert member.nik_masked in page
    data = form_data(
        nik="",
        kk="",
        full_name="Ahmad Baru",
        sex="L",
        birth_date="1980-01-02",
        district=member.district_id,
        village=member.village_id,
        version="1",
    )
    response = client.post(reverse("members:edit", args=[member.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.full_name == "Ahmad Baru"
    assert services.nik_reveal_value(member) == nik
    assert member.kk_masked == "527101******0001"


def test_a_kept_nik_must_still_agree_with_an_edited_birth_date(mataram_operator):
    member = make_member("52.71", full_name="Ahmad", sex="L", birth=date(1980, 1, 2))
    with pytest.raises(services.NikInvalid):
        services.member_update(
            member=member, data={"birth_date": date(1981, 1, 2)}, expected_version=1, actor=mataram_operator
        )


def test_a_corrected_nik_is_in_the_history_even_when_its_masked_form_reads_the_same(mataram_operator):
    member = make_member("52.71", full_name="Ahmad", sex="L", birth=date(1980, 1, 2))
    old = services.nik_reveal_value(member)
    new = old[:6] + "030180" + old[12:]  # another day of birth: digits the mask hides
    services.member_update(
        member=member,
        data={"birth_date": date(1980, 1, 3)},
        expected_version=1,
        actor=mataram_operator,
        nik=new,
    )
    entry = AuditEntry.objects.get(action="members.member.updated", object_id=str(member.pk))
    assert "nik" in entry.changes
    assert new not in str(entry.changes)
    assert old not in str(entry.changes)


@pytest.mark.parametrize("status", ["approved", "active", "lapsed", "ended"])
def test_the_identity_of_a_person_bpjamsostek_has_approved_is_not_changed_here(
    client, mataram_operator, status
):
    from members.models import Enrollment

    member = make_member("52.71", full_name="Ahmad", sex="L", birth=date(1980, 1, 2))
    nik = services.nik_reveal_value(member)
    Enrollment.objects.create(
        member=member, kind="bpu", payer="self", status=status, requested_start=date(2026, 1, 1)
    )
    login_verified(client, mataram_operator)
    base = form_data(
        nik="",
        full_name="Ahmad",
        sex="L",
        birth_date="1980-01-02",
        district=member.district_id,
        village=member.village_id,
        version="1",
    )
    url = reverse("members:edit", args=[member.pk])
    # Each change agrees with the NIK rules: refused all the same.
    for field, changed in [
        ("nik", {"nik": nik[:12] + "9999"}),
        ("nik", {"nik": nik[:6] + "030180" + nik[12:], "birth_date": "1980-01-03"}),
        ("nik", {"nik": nik[:6] + "420180" + nik[12:], "sex": "P"}),
    ]:
        response = client.post(url, {**base, **changed})
        assert response.status_code == 200, field
        assert "disetujui BPJAMSOSTEK" in " ".join(response.context["form"].errors.get(field, [])), field
    member.refresh_from_db()
    assert (services.nik_reveal_value(member), member.birth_date, member.sex) == (nik, date(1980, 1, 2), "L")
    # Other details still change.
    response = client.post(url, {**base, "full_name": "Ahmad Fauzi"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Ahmad Fauzi"


def test_the_registry_can_show_only_the_people_of_one_imported_list(client, mataram_operator):
    from members.models import ImportBatch

    batch = ImportBatch.objects.create(label="BPUM 2026", office=mataram_operator.office)
    listed = make_member(full_name="Dari Daftar", import_batch=batch)
    make_member(full_name="Didaftar Sendiri")
    login_verified(client, mataram_operator)
    page = client.get(reverse("members:list"), {"import_batch": batch.pk})
    assert [member.pk for member in page.context["page_obj"]] == [listed.pk]
    assert "BPUM 2026" in page.content.decode()


def test_the_column_heads_sort_without_piling_up_earlier_sorts(client, mataram_operator):
    make_member("52.71", full_name="Siti")
    login_verified(client, mataram_operator)
    page = client.get(reverse("members:list"), {"sort": "name", "kind": "bpu"}).content.decode()
    heads = re.findall(r'href="\?([^"]*sort=[^"]*)"', page)
    assert heads
    assert all(head.count("sort=") == 1 for head in heads), heads
    assert all("kind=bpu" in head for head in heads)


def test_after_a_live_search_the_sort_and_page_links_keep_the_search(client, mataram_operator):
    for number in range(30):
        make_member("52.71", full_name=f"Siti Nomor {number}")
    login_verified(client, mataram_operator)
    response = client.post(
        reverse("members:list"), {"q": "siti", "kind": "bpu"}, headers={"HX-Request": "true"}
    )
    pushed = response["HX-Push-Url"]
    found = re.search(r"s=([\w-]+)", pushed)
    assert found, pushed
    token = found.group(1)
    page = response.content.decode()
    links = re.findall(r'href="\?([^"]*(?:sort|page)=[^"]*)"', page)
    assert links
    assert all(f"s={token}" in link and "kind=bpu" in link for link in links), links


@pytest.mark.parametrize("typed", ["'", "%", "!!"])
def test_a_search_of_punctuation_finds_no_one_rather_than_everyone(client, mataram_operator, typed):
    make_member("52.71", full_name="Siti")
    login_verified(client, mataram_operator)
    found = client.post(reverse("members:list"), {"q": typed}, follow=True)
    assert list(found.context["page_obj"]) == []
