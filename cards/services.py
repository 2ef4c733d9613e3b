"""Card lifecycle: each step locks the card, checks its state, saves and writes an audit entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Enrollment
from umkm_enroll.audit.services import audit_record

from .models import VALID_STATUSES, Card, CardStatus


class CardError(Exception):
    """A refused card step, with a message for the user."""


def _record(card: Card, actor: Any, action: str, before: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=f"cards.card.{action}",
        target=card,
        changes={"status": (before, card.status)},
        reason=reason,
    )


@transaction.atomic
def card_issue(*, enrollment: Enrollment, actor: Any) -> Card:
    """A card for an approved or active enrollment whose person has a KPJ number."""
    enrollment = Enrollment.objects.select_for_update().select_related("member").get(pk=enrollment.pk)
    if not Enrollment.objects.eligible().filter(pk=enrollment.pk).exists():
        raise CardError(_("A card is issued only for an approved or active enrollment."))
    if not enrollment.member.kpj_number:
        raise CardError(_("The person has no KPJ number yet."))
    try:
        with transaction.atomic():
            card = Card.objects.create(enrollment=enrollment, issued_by=actor if actor else None)
    except IntegrityError:
        raise CardError(_("This enrollment already has a valid card: replace it instead.")) from None
    _record(card, actor, "issued", "")
    return card


def _locked(card: Card) -> Card:
    return Card.objects.select_for_update().select_related("enrollment__member").get(pk=card.pk)


@transaction.atomic
def card_mark_printed(*, card: Card, actor: Any) -> Card:
    card = _locked(card)
    if card.status != CardStatus.ISSUED:
        raise CardError(_("Only an issued card can be marked as printed."))
    card.status = CardStatus.PRINTED
    card.printed_at = timezone.now()
    card.version += 1
    card.save(update_fields=["status", "printed_at", "version"])
    _record(card, actor, "printed", CardStatus.ISSUED)
    return card


@transaction.atomic
def card_hand_over(*, card: Card, actor: Any, handed_to: str, on: date) -> Card:
    card = _locked(card)
    if card.status == CardStatus.ISSUED:
        raise CardError(_("This card has not been printed yet: print it (or mark it printed) first."))
    if card.status != CardStatus.PRINTED:
        raise CardError(_("Only a printed card can be handed over."))
    if not handed_to.strip():
        raise CardError(_("Say to whom the card was handed."))
    if on > timezone.localdate():
        raise CardError(_("The hand-over date cannot be in the future."))
    issued_on = timezone.localdate(card.issued_at)
    if on < issued_on:
        raise CardError(
            _("The hand-over date cannot be before the card was issued (%(day)s).")
            % {"day": issued_on.strftime("%d/%m/%Y")}
        )
    before = card.status
    card.status = CardStatus.HANDED_OVER
    card.handed_to = handed_to.strip()[:150]
    card.handed_over_on = on
    card.version += 1
    card.save(update_fields=["status", "handed_to", "handed_over_on", "version"])
    _record(card, actor, "handed_over", before)
    return card


@transaction.atomic
def card_replace(*, card: Card, actor: Any, reason: str) -> Card:
    """A new card for a lost or damaged one; the old card's QR code no longer verifies."""
    if reason not in Card.ReplaceReason.values:
        raise CardError(_("Choose why the card is replaced."))
    card = _locked(card)
    if card.status not in VALID_STATUSES:
        raise CardError(_("This card is no longer valid and cannot be replaced."))
    before = card.status
    card.status = CardStatus.REPLACED
    card.replace_reason = reason
    card.version += 1
    card.save(update_fields=["status", "replace_reason", "version"])
    new = Card.objects.create(enrollment=card.enrollment, issued_by=actor if actor else None)
    card.replaced_by = new
    card.save(update_fields=["replaced_by"])
    _record(card, actor, "replaced", before, reason=reason)
    _record(new, actor, "issued", "", reason=_("Replacement of card #%(id)s") % {"id": card.pk})
    return new


@transaction.atomic
def cards_revoke(*, enrollment: Enrollment, actor: Any, reason: str) -> int:
    """Revoke the valid cards of an enrollment that ended."""
    revoked = 0
    for card in Card.objects.select_for_update().filter(enrollment=enrollment, status__in=VALID_STATUSES):
        before = card.status
        card.status = CardStatus.REVOKED
        card.revoked_reason = reason[:200]
        card.version += 1
        card.save(update_fields=["status", "revoked_reason", "version"])
        _record(card, actor, "revoked", before, reason=reason)
        revoked += 1
    return revoked
