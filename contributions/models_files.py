"""Payment files sent by a bank or a regional treasury, and their lines.

A file is stored as uploaded (the shared file storage) with its SHA-256, so the same file sent twice is
recognised; a Celery job reads it in chunks and keeps one line per data row, whatever became of it:
matched (a payment recorded), duplicate (its reference was already recorded), unmatched (no participant
of the area to pay) or invalid (a value that cannot be read). Unmatched and invalid lines are what
finance staff follow up (the reconciliation page); nothing in a file is dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentFileQuerySet(models.QuerySet["PaymentFile"]):
    def visible_to(self, user) -> PaymentFileQuerySet:
        """A file is seen by its office (the uploader's office at upload) and by national users."""
        from umkm_enroll.accounts.scoping import scope_of

        if scope_of(user).everything:
            return self
        if user is None or not user.is_authenticated:
            return self.none()
        if user.office_id is None:
            return self.filter(office__isnull=True, uploaded_by=user)
        return self.filter(office_id=user.office_id)


class PaymentFile(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="payment_files/%Y/%m/", max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    header_row = models.PositiveIntegerField(_("header row"))
    # Field ("reference", "kpj", "amount", "date", "name") -> the header as written in the file.
    columns = models.JSONField(_("columns"), default=dict)
    row_count = models.PositiveIntegerField(_("data rows"))
    office = models.ForeignKey(
        "accounts.Office",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # The latest processing of the file (a file may be processed again after corrections).
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PaymentFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # The same file uploaded twice by an office is the earlier one.
            models.UniqueConstraint(
                fields=["office", "sha256"],
                condition=models.Q(office__isnull=False),
                name="payment_file_once_per_office",
            ),
        ]
        indexes = [
            # An office's list of files, newest first.
            models.Index(fields=["office", "-uploaded_at"], name="payment_file_office_uploaded"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        if self.office is None:
            return ""
        return self.office.regency_id or self.office.province_id or ""


class PaymentFileLineQuerySet(models.QuerySet["PaymentFileLine"]):
    def visible_to(self, user) -> PaymentFileLineQuerySet:
        return self.filter(file__in=PaymentFile.objects.visible_to(user))

    def to_follow_up(self) -> PaymentFileLineQuerySet:
        return self.filter(status__in=PaymentFileLine.FOLLOW_UP)


class PaymentFileLine(models.Model):
    """One data row of a payment file: its raw values, what was read from them, and the outcome."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched and paid")
        DUPLICATE = "duplicate", _("Already recorded")
        UNMATCHED = "unmatched", _("Not matched")
        INVALID = "invalid", _("Invalid")

    # The statuses finance staff must follow up.
    FOLLOW_UP = (Status.UNMATCHED, Status.INVALID)

    file = models.ForeignKey(
        PaymentFile, verbose_name=_("payment file"), on_delete=models.CASCADE, related_name="lines"
    )
    row_number = models.PositiveIntegerField(_("row"))
    # The cells as written in the file (text), by field.
    raw = models.JSONField(_("values in the file"), default=dict)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    kpj = models.CharField(_("KPJ number"), max_length=40, blank=True)
    amount = models.BigIntegerField(_("amount (Rp)"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    payment = models.ForeignKey(
        "contributions.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="file_lines",
    )
    created_at = models.DateTimeField(_("read"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked"), default=timezone.now)

    objects = PaymentFileLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment file line")
        verbose_name_plural = _("payment file lines")
        ordering = ["file", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "row_number"], name="payment_file_line_once"),
            models.CheckConstraint(
                name="payment_file_line_paid_has_payment",
                condition=~models.Q(status__in=["matched", "duplicate"]) | models.Q(payment__isnull=False),
            ),
        ]
        indexes = [
            # A file's lines filtered by status, in row order; and the counts per status.
            models.Index(fields=["file", "status", "row_number"], name="payment_file_line_status"),
            # The reconciliation page: lines to follow up, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="payment_file_line_follow_up",
                condition=models.Q(status__in=["unmatched", "invalid"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.row_number}"
