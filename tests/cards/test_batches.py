"""Print batches: cards chosen by filter, rendered in parts per regency, every card exactly once, the PDF
read back (text and QR decoded from the rendered page) and the decoded token verified."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.test import Client, override_settings
from django.urls import reverse

from cards.batches import batch_run, batch_start, candidates
from cards.models import Card, CardStatus, PrintBatch
from members.models import Enrollment, Member
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry


def active_people(regency: str, count: int, start: int = 0) -> list[Enrollment]:
    people = []
    for index in range(count):
        member = make_member(regency, full_name=f"Peserta {regency} {start + index:03d}")
        Member.objects.filter(pk=member.pk).update(
            kpj_number=f"{int(regency.replace('.', '')):05d}{start + index:06d}"
        )
        people.append(
            Enrollment.objects.create(
                member=member,
                kind="bpu",
                status="active",
                requested_start=date(2026, 1, 1),
                coverage_start=date(2026, 1, 1),
            )
        )
    return people


@pytest.fixture
def card_admin(db):
    return UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.CARD_ADMIN])


def start(admin, django_capture_on_commit_callbacks, **filters) -> PrintBatch:
    with django_capture_on_commit_callbacks(execute=False):
        batch = batch_start(actor=admin, filters=filters, layout="sheets", split_by="regency")
    assert batch.job is not None
    batch_run(batch.job.pk)
    batch.refresh_from_db()
    return batch


@override_settings(CARD_BATCH_PART=10)
def test_a_batch_renders_every_card_once_in_parts_per_regency(card_admin, django_capture_on_commit_callbacks):
    mataram = active_people("52.71", 13)
    lombok = active_people("52.01", 4)
    batch = start(card_admin, django_capture_on_commit_callbacks, not_printed=True)
    job = batch.job
    assert job is not None
    job.refresh_from_db()
    assert job.status == job.Status.SUCCEEDED
    assert (job.done, job.total) == (17, 17)
    files = job.result["files"]
    # Parts of at most 10 cards, never mixing regencies: 52.01 (4), 52.71 (10 + 3).
    assert [(f["group"], f["cards"]) for f in files] == [("52.01", 4), ("52.71", 10), ("52.71", 3)]
    assert Card.objects.filter(status=CardStatus.PRINTED).count() == 17
    assert AuditEntry.objects.filter(action="cards.card.printed").count() == 17
    assert {c.enrollment_id for c in Card.objects.all()} == {e.pk for e in mataram + lombok}
    # Printed cards are left out of the next "not yet printed" batch.
    assert candidates(card_admin, {"not_printed": True}).count() == 0


@override_settings(CARD_BATCH_PART=10)
def test_the_pdf_reads_back_and_its_qr_codes_verify(card_admin, django_capture_on_commit_callbacks):
    people = active_people("52.71", 10)
    batch = start(card_admin, django_capture_on_commit_callbacks)
    client = Client()
    login_verified(client, card_admin)
    response = client.get(reverse("cards:batch_download", args=[batch.pk]), {"berkas": "zip"})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    (name,) = archive.namelist()
    pdf = pdfium.PdfDocument(archive.read(name))
    text = pdf[0].get_textpage().get_text_range()
    for enrollment in people:
        assert enrollment.member.full_name in text
        assert enrollment.member.nik_masked in text
    image = pdf[0].render(scale=4).to_pil()
    decoded = {barcode.text for barcode in zxingcpp.read_barcodes(image)}
    assert len(decoded) == 10
    verifier = Client()
    for url in decoded:
        path = "/verify/" + url.split("/verify/", 1)[1]
        result = verifier.get(path + "json/").json()
        assert result["genuine"] is True
        assert result["valid"] is True
        assert result["cover_active_today"] is True
    # A replaced card's old QR reads as invalid.
    from cards.services import card_replace

    old = Card.objects.filter(enrollment=people[0]).get()
    card_replace(card=old, actor=card_admin, reason="lost")
    old_url = next(url for url in decoded if url.endswith(f"/{old.token}/"))
    assert verifier.get("/verify/" + old_url.split("/verify/", 1)[1] + "json/").json()["valid"] is False


def test_the_batch_pages_count_then_start_and_others_see_nothing(
    card_admin, django_capture_on_commit_callbacks
):
    active_people("52.71", 3)
    client = Client()
    login_verified(client, card_admin)
    page = client.post(
        reverse("cards:batch_list"), {"layout": "sheets", "split_by": "regency", "not_printed": "on"}
    )
    assert "3 kartu cocok" in page.content.decode()
    assert not PrintBatch.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("cards:batch_list"),
            {"layout": "sheets", "split_by": "regency", "not_printed": "on", "confirmed": "1"},
        )
    batch = PrintBatch.objects.get()
    assert response["Location"] == reverse("cards:batch_detail", args=[batch.pk])
    other = UserFactory.create(office=OfficeFactory.diskop_province("71"), roles=[Role.CARD_ADMIN])
    stranger = Client()
    login_verified(stranger, other)
    assert stranger.get(reverse("cards:batch_detail", args=[batch.pk])).status_code == 404
    # The form offers the places of the user's area only, and refuses a code typed from elsewhere.
    form = client.get(reverse("cards:batch_list")).context["form"]
    assert {province.code for province in form.fields["province"].queryset} == {"52"}
    assert {code[:2] for code, _label in form.fields["regency"].choices if code} == {"52"}
    elsewhere = client.post(
        reverse("cards:batch_list"), {"layout": "sheets", "split_by": "regency", "regency": "71.71"}
    )
    assert "regency" in elsewhere.context["form"].errors
