"""A long job is a row the user can see: status, progress counters, timing, result and errors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet["Job"]):
    def visible_to(self, user) -> JobQuerySet:
        """A job is seen by the user who started it, and by national users."""
        from umkm_enroll.accounts.scoping import scope_of

        if scope_of(user).everything:
            return self
        return self.filter(created_by=user)


class Job(models.Model):
    class Kind(models.TextChoices):
        PING = "ping", _("Worker check")
        ENROLLMENT_DECISIONS = "enrollment_decisions", _("Bulk enrollment decisions")
        ARREARS_EXPORT = "arrears_export", _("Arrears export")
        PAYMENT_FILE = "payment_file", _("Payment file import")
        CARD_BATCH = "card_batch", _("Card printing")
        IMPORT_CHECK = "import_check", _("People list check")
        IMPORT_COMMIT = "import_commit", _("People list import")
        LIST_EXPORT = "list_export", _("List export")
        MONTHLY_REPORT = "monthly_report", _("Monthly report")
        SPONSOR_INVOICE = "sponsor_invoice", _("Sponsor invoice")

    # The Celery task that runs each kind (it takes the job id only).
    TASKS: dict[str, str] = {
        Kind.PING: "jobs.ping",
        Kind.ENROLLMENT_DECISIONS: "members.bulk_decisions",
        Kind.ARREARS_EXPORT: "contributions.arrears_export",
        Kind.PAYMENT_FILE: "contributions.payment_file_process",
        Kind.CARD_BATCH: "cards.render_batch",
        Kind.IMPORT_CHECK: "members.import_check",
        Kind.IMPORT_COMMIT: "members.import_commit",
        Kind.LIST_EXPORT: "exports.list_export",
        Kind.MONTHLY_REPORT: "dashboards.monthly_reports_job",
        Kind.SPONSOR_INVOICE: "contributions.sponsor_invoice",
    }

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.PositiveIntegerField(_("items in all"), default=0)
    done = models.PositiveIntegerField(_("items done"), default=0)
    failed = models.PositiveIntegerField(_("items failed"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Set at the start and after each committed chunk: a running job whose heartbeat stops was lost with
    # its worker and is queued again (jobs.services.jobs_requeue_stale).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # What the job works on (ids and options, never personal data): tasks receive only the job's id.
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                name="job_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def rate(self) -> float | None:
        """Items per second since the job started."""
        if not self.started_at or not self.done:
            return None
        end = self.finished_at or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.done / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        rate = self.rate
        if self.is_finished or not rate or not self.total:
            return None
        return int((self.total - self.done) / rate)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else 0
        return min(100, (self.done * 100) // self.total)
