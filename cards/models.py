"""Membership cards and their lifecycle: issued, printed, handed over, replaced (lost or damaged), revoked
(enrollment ended). At most one valid card per enrollment; a replacement makes the old card's QR code
invalid. Every step is audited (cards/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CardStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PRINTED = "printed", _("Printed")
    HANDED_OVER = "handed_over", _("Handed over")
    REPLACED = "replaced", _("Replaced")
    REVOKED = "revoked", _("Revoked")


VALID_STATUSES = [CardStatus.ISSUED, CardStatus.PRINTED, CardStatus.HANDED_OVER]


class CardQuerySet(models.QuerySet["Card"]):
    def visible_to(self, user) -> CardQuerySet:
        from umkm_enroll.accounts.scoping import in_scope_of

        return in_scope_of(self, user, "enrollment__member__regency", "enrollment__member__province")

    def valid(self) -> CardQuerySet:
        return self.filter(status__in=VALID_STATUSES)


class Card(models.Model):
    class ReplaceReason(models.TextChoices):
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        DATA_CHANGED = "data_changed", _("Data on the card changed")

    enrollment = models.ForeignKey(
        "members.Enrollment", verbose_name=_("enrollment"), on_delete=models.PROTECT, related_name="cards"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CardStatus.choices, default=CardStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    printed_at = models.DateTimeField(_("printed"), null=True, blank=True)
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    handed_to = models.CharField(_("handed to"), max_length=150, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
    )
    replace_reason = models.CharField(
        _("replacement reason"), max_length=14, choices=ReplaceReason.choices, blank=True
    )
    revoked_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = CardQuerySet.as_manager()

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(status__in=["issued", "printed", "handed_over"]),
                name="card_one_valid_per_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Card')} #{self.pk}"

    @property
    def is_valid(self) -> bool:
        return self.status in VALID_STATUSES

    @property
    def token(self) -> str:
        from .signing import card_token

        return card_token(self.pk)

    @property
    def audit_region_code(self) -> str:
        return self.enrollment.member.regency_id


class PrintBatchQuerySet(models.QuerySet["PrintBatch"]):
    def visible_to(self, user) -> PrintBatchQuerySet:
        """A batch is seen by its office's users (whose area it was chosen from) and by national users."""
        from umkm_enroll.accounts.scoping import scope_of

        if scope_of(user).everything:
            return self
        if getattr(user, "office_id", None) is None:
            return self.none()
        return self.filter(office_id=user.office_id)


class PrintBatch(models.Model):
    """Cards chosen by a filter and rendered to PDF by a Celery job, in parts (one PDF per regency or
    cooperative, at most CARD_BATCH_PART cards each, so memory is bounded) plus one ZIP of them all."""

    class Layout(models.TextChoices):
        SHEETS = "sheets", _("A4 sheets, 10 cards a page, with cut marks")
        SINGLES = "singles", _("One card a page, for card printers")

    class SplitBy(models.TextChoices):
        REGENCY = "regency", _("One file per regency/city")
        COOPERATIVE = "cooperative", _("One file per cooperative")

    office = models.ForeignKey("accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The filter as chosen (codes, ids and dates only: no personal data) and a readable description.
    filters = models.JSONField(_("filters"), default=dict)
    description = models.CharField(_("selection"), max_length=300, blank=True)
    layout = models.CharField(_("layout"), max_length=10, choices=Layout.choices, default=Layout.SHEETS)
    split_by = models.CharField(
        _("split by"), max_length=12, choices=SplitBy.choices, default=SplitBy.REGENCY
    )
    total = models.PositiveIntegerField(_("cards"), default=0)
    job = models.OneToOneField(
        "jobs.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("files kept until"), null=True, blank=True)
    expired = models.BooleanField(_("files deleted"), default=False)

    objects = PrintBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{_('Print batch')} #{self.pk}"
