"""Cards: signed tokens (plain), the lifecycle with audit, and the public verification page."""

from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cards import tokens
from cards.models import Card, CardStatus
from cards.services import CardError, card_hand_over, card_issue, card_mark_printed, card_replace
from members.enrollments import enrollment_end
from members.models import Enrollment
from members.services import nik_reveal_value
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry


def test_a_token_verifies_with_the_public_key_and_nothing_else():
    key = Ed25519PrivateKey.generate()
    token = tokens.sign(123456, key)
    assert len(token) == tokens.TOKEN_LENGTH
    assert tokens.verify(token, key.public_key()) == 123456
    assert tokens.verify(token, Ed25519PrivateKey.generate().public_key()) is None
    tampered = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    assert tokens.verify(tampered, key.public_key()) is None
    assert tokens.verify("not-a-token", key.public_key()) is None


@pytest.fixture
def approved(db):
    member = make_member("52.71", full_name="Baiq Nurul Aini", kpj_number="12345678901")
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        status="active",
        requested_start=date(2026, 1, 1),
        coverage_start=date(2026, 1, 1),
    )
    admin = UserFactory.create(office=OfficeFactory.branch(["52.71"]), roles=[Role.CARD_ADMIN, Role.OFFICER])
    return enrollment, admin


def test_the_lifecycle_is_audited_and_a_replacement_invalidates_the_old_card(approved):
    enrollment, admin = approved
    card = card_issue(enrollment=enrollment, actor=admin)
    with pytest.raises(CardError):
        card_issue(enrollment=enrollment, actor=admin)
    with pytest.raises(CardError, match="belum dicetak"):  # not printed: nothing to hand over yet
        card_hand_over(card=card, actor=admin, handed_to="Baiq Nurul Aini", on=timezone.localdate())
    card = card_mark_printed(card=card, actor=admin)
    with pytest.raises(CardError):  # before the card existed: a slip
        card_hand_over(card=card, actor=admin, handed_to="Baiq Nurul Aini", on=date(2001, 1, 1))
    card = card_hand_over(card=card, actor=admin, handed_to="Baiq Nurul Aini", on=timezone.localdate())
    assert card.status == CardStatus.HANDED_OVER
    new = card_replace(card=card, actor=admin, reason="lost")
    card.refresh_from_db()
    assert card.status == CardStatus.REPLACED
    assert card.replaced_by == new
    actions = list(
        AuditEntry.objects.filter(object_type="cards.card").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "cards.card.issued",
        "cards.card.printed",
        "cards.card.handed_over",
        "cards.card.replaced",
        "cards.card.issued",
    ]
    client = Client()
    old = client.get(reverse("verify:page", args=[card.token]))
    assert old.status_code == 200
    assert 'data-testid="verdict">Kartu ini sudah tidak berlaku' in old.content.decode()
    assert client.get(reverse("verify:json", args=[card.token])).json() == {
        "genuine": True,
        "valid": False,
        "status": "replaced",
    }
    current = client.get(reverse("verify:json", args=[new.token])).json()
    assert current["valid"] is True


def test_the_verification_page_shows_cover_and_never_the_nik_or_address(approved):
    enrollment, admin = approved
    card = card_issue(enrollment=enrollment, actor=admin)
    page = Client().get(reverse("verify:page", args=[card.token])).content.decode()
    member = enrollment.member
    assert "Baiq N*** A***" in page
    assert 'data-testid="cover"><span class="badge good">' in page
    for secret in (nik_reveal_value(member), member.nik_masked, member.address, member.kpj_number):
        assert secret not in page
    # A lapsed enrollment: the card is genuine, cover is not active today.
    Enrollment.objects.filter(pk=enrollment.pk).update(status="lapsed")
    result = Client().get(reverse("verify:json", args=[card.token])).json()
    assert result["genuine"] is True
    assert result["cover_active_today"] is False


def test_a_forged_token_reads_as_not_genuine_and_the_public_key_is_published(db):
    forged = tokens.sign(1, Ed25519PrivateKey.generate())
    response = Client().get(reverse("verify:page", args=[forged]))
    assert response.status_code == 404
    assert "Bukan kartu asli" in response.content.decode()
    key = Client().get(reverse("verify:public_key")).json()
    assert key["algorithm"] == "Ed25519"
    assert len(key["public_key"]) == 43


@override_settings(VERIFY_RATE_LIMIT_PER_MINUTE=3)
def test_verification_is_rate_limited(db):
    cache.clear()
    client = Client()
    codes = [client.get(reverse("verify:json", args=["x" * 94])).status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_ending_the_enrollment_revokes_its_card(approved):
    enrollment, admin = approved
    card = card_issue(enrollment=enrollment, actor=admin)
    enrollment_end(enrollment=enrollment, actor=admin, reason="death", ended_on=timezone.localdate())
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED
    assert Client().get(reverse("verify:json", args=[card.token])).json()["valid"] is False


def test_the_card_admin_issues_from_the_enrollment_page(approved):
    enrollment, admin = approved
    client = Client()
    login_verified(client, admin)
    page = client.get(reverse("enrollments:detail", args=[enrollment.pk])).content.decode()
    assert reverse("cards:issue", args=[enrollment.pk]) in page
    response = client.post(reverse("cards:issue", args=[enrollment.pk]))
    card = Card.objects.get()
    assert response["Location"] == reverse("cards:detail", args=[card.pk])
    detail = client.get(reverse("cards:detail", args=[card.pk])).content.decode()
    assert "<svg" in detail
    assert card.token in detail
    assert timedelta(0) <= timezone.now() - card.issued_at < timedelta(minutes=1)


def test_the_card_list_filters_by_status(approved):
    enrollment, admin = approved
    card = card_issue(enrollment=enrollment, actor=admin)
    client = Client()
    login_verified(client, admin)
    assert f"Kartu #{card.pk}" in client.get(reverse("cards:list"), {"status": "issued"}).content.decode()
    assert (
        f"Kartu #{card.pk}" not in client.get(reverse("cards:list"), {"status": "printed"}).content.decode()
    )
    # The regency is chosen from the card admin's area (the branch serves Kota Mataram only).
    page = client.get(reverse("cards:list"), {"regency": "52.71"}).content.decode()
    assert f"Kartu #{card.pk}" in page
    assert '<option value="52.71" selected>Kota Mataram (52.71)</option>' in page
    assert 'value="52.01"' not in page


def test_the_card_list_searches_by_person_without_the_text_in_the_url(approved):
    enrollment, admin = approved
    card = card_issue(enrollment=enrollment, actor=admin)
    client = Client()
    login_verified(client, admin)
    for typed, found in (("nurul aini", True), (nik_reveal_value(enrollment.member), True), ("zaini", False)):
        posted = client.post(reverse("cards:list"), {"q": typed, "status": "issued"})
        assert typed not in posted["Location"]
        page = client.get(posted["Location"]).content.decode()
        assert (f"Kartu #{card.pk}" in page) is found, typed
