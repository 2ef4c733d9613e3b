"""Coverage targets, and the tallies behind the dashboard.

The tally tables hold signed deltas, written by the triggers of `tally_sql.py` and the writers of new bills
(one row per region and cooperative touched by a statement): a region's figure is the SUM of its rows.
Writers only ever INSERT, so two transactions never wait on the same counter row; `tallies_compact` folds
the rows now and then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    UMKM = "umkm", _("UMKM")
    AID = "aid", _("Aid recipients (BPUM, KUR)")


class CoverageTargetQuerySet(models.QuerySet["CoverageTarget"]):
    def visible_to(self, user) -> CoverageTargetQuerySet:
        from umkm_enroll.accounts.scoping import scope_of

        scope = scope_of(user)
        if scope.everything:
            return self
        return self.filter(
            models.Q(regency__in=sorted(scope.regency_codes))
            | models.Q(regency__isnull=True, province__in=sorted(scope.whole_provinces))
        )


class CoverageTarget(models.Model):
    """How many UMKM (or aid recipients) a province or a regency aims to cover in a year, and who says so."""

    province = models.ForeignKey(
        "regions.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    regency = models.ForeignKey(
        "regions.Regency",
        verbose_name=_("regency/city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: a target for the whole province."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("counted"), max_length=4, choices=TargetKind.choices, default=TargetKind.UMKM)
    count = models.PositiveIntegerField(_("target"))
    source = models.CharField(
        _("source"), max_length=300, help_text=_("E.g. Dinas Koperasi dan UKM NTB, pendataan UMKM 2024.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CoverageTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")
        ordering = ["-year", "province", "regency", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year", "kind"],
                condition=models.Q(regency__isnull=True),
                name="target_once_per_province_year_kind",
            ),
            models.UniqueConstraint(
                fields=["regency", "year", "kind"],
                condition=models.Q(regency__isnull=False),
                name="target_once_per_regency_year_kind",
            ),
            models.CheckConstraint(
                name="target_year_range", condition=models.Q(year__gte=2000, year__lte=2100)
            ),
        ]

    def __str__(self) -> str:
        region = self.regency_id or self.province_id
        return f"{region} {self.year} {self.get_kind_display()}: {self.count}"

    @property
    def audit_region_code(self) -> str:
        return self.regency_id or self.province_id


class TallyQuerySet(models.QuerySet):
    def visible_to(self, user) -> TallyQuerySet:
        from umkm_enroll.accounts.scoping import in_scope_of

        return in_scope_of(self, user, "regency_code", "province_code")


class Tally(models.Model):
    """Current figures of the people of a regency who belong to a cooperative (0: none), as deltas."""

    province_code = models.CharField(max_length=2)
    regency_code = models.CharField(max_length=5)
    cooperative_id = models.BigIntegerField(db_default=0)
    people = models.BigIntegerField(db_default=0)
    people_aid = models.BigIntegerField(db_default=0)
    submitted = models.BigIntegerField(db_default=0)
    approved = models.BigIntegerField(db_default=0)
    active = models.BigIntegerField(db_default=0)
    lapsed = models.BigIntegerField(db_default=0)
    covered_aid = models.BigIntegerField(db_default=0)
    # Sum of the submission times (epoch seconds) of the pending enrollments: their mean waiting time is
    # now minus wait_sum / submitted.
    wait_sum = models.BigIntegerField(db_default=0)
    cards_issued = models.BigIntegerField(db_default=0)
    cards_printed = models.BigIntegerField(db_default=0)
    cards_handed_over = models.BigIntegerField(db_default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        indexes = [
            # The dashboard of a province (or of some of its regencies): province-led, as the scope filter.
            models.Index(fields=["province_code", "regency_code", "cooperative_id"], name="tally_region"),
        ]

    def __str__(self) -> str:
        return f"{self.regency_code}/{self.cooperative_id}"


class MonthTally(models.Model):
    """Monthly flows of a regency and cooperative: people registered and enrollments submitted in the month,
    bills of the contribution month (by due date, so that arrears are exact)."""

    province_code = models.CharField(max_length=2)
    regency_code = models.CharField(max_length=5)
    cooperative_id = models.BigIntegerField(db_default=0)
    month = models.DateField()
    due_date = models.DateField(null=True)
    registered = models.BigIntegerField(db_default=0)
    submitted = models.BigIntegerField(db_default=0)
    bills = models.BigIntegerField(db_default=0)
    billed = models.BigIntegerField(db_default=0)
    paid = models.BigIntegerField(db_default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly tally")
        verbose_name_plural = _("monthly tallies")
        indexes = [
            # The trend and the arrears of a province's dashboard.
            models.Index(fields=["province_code", "month"], name="month_tally_province"),
        ]

    def __str__(self) -> str:
        return f"{self.regency_code}/{self.cooperative_id} {self.month:%Y-%m}"


class MonthlyReportQuerySet(models.QuerySet["MonthlyReport"]):
    def visible_to(self, user) -> MonthlyReportQuerySet:
        """National users see every office's reports; everyone else those of their own office."""
        from umkm_enroll.accounts.scoping import scope_of

        if scope_of(user).everything:
            return self
        if user is None or not user.is_authenticated or user.office_id is None:
            return self.none()
        return self.filter(office_id=user.office_id)


def report_file_path(report: MonthlyReport, filename: str) -> str:
    return f"monthly-reports/{report.month:%Y-%m}/{filename}"


class MonthlyReport(models.Model):
    """The figures of an office's area for a month, as a PDF and an XLSX handed to its leaders. Kept: they
    are the record of what was reported (a few dozen kilobytes an office a month)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    # Stock figures (people, enrollments, cards) are as of this day, arrears are bills due before it.
    figures_as_of = models.DateField(_("figures as of"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=report_file_path, max_length=200, blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to=report_file_path, max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "office__name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "month"], name="monthly_report_once_per_office_month"),
            models.CheckConstraint(name="monthly_report_first_of_month", condition=models.Q(month__day=1)),
        ]
        indexes = [
            # The reports list of all offices, filtered by month (national users).
            models.Index(fields=["month"], name="monthly_report_month"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.month:%Y-%m}"
