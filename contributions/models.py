"""Tariffs as data: contribution schemes with validity periods, BPU income brackets, and relief.

The arithmetic is in contributions/tariffs.py (plain Python); these rows are turned into its dataclasses by
`contributions.selectors`. Rates are basis points (0.24% = 24); money is integer rupiah.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import tariffs


def _lower_first(text: str) -> str:
    """A label inside a sentence: "Reported wage (PU)" -> "reported wage (PU)"."""
    return text[:1].lower() + text[1:]


class TariffScheme(models.Model):
    class Method(models.TextChoices):
        FLAT = tariffs.FLAT, _("Flat amount")
        RATES = tariffs.RATES, _("Rates times a base")

    class Base(models.TextChoices):
        INCOME_BRACKET = tariffs.BASE_INCOME_BRACKET, _("Declared income bracket (BPU)")
        WAGE = tariffs.BASE_WAGE, _("Reported wage (PU)")
        MINIMUM_WAGE = tariffs.BASE_MINIMUM_WAGE, _("Provincial minimum wage of the year")

    # The code enrollments name; a code has versions, one row each, for months that do not overlap (a new
    # rate from a month on is a new version: billed months keep the arithmetic they were billed with).
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: valid everywhere."),
    )
    valid_from = models.DateField(_("valid from (month)"))
    valid_to = models.DateField(_("valid to (month)"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    flat_amount = models.PositiveIntegerField(_("flat amount a month (Rp)"), default=0)
    base = models.CharField(_("base"), max_length=20, choices=Base.choices, blank=True)
    # {"": 100} for one rate, or {"very_low": 24, ...} by risk class; basis points.
    jkk_rates = models.JSONField(_("JKK rates (basis points)"), default=dict, blank=True)
    jkm_rate = models.PositiveIntegerField(_("JKM rate (basis points)"), null=True, blank=True)
    jkm_flat = models.PositiveIntegerField(_("JKM amount a month (Rp)"), null=True, blank=True)
    rounding_unit = models.PositiveIntegerField(_("round up to (Rp)"), default=1)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tariff scheme")
        verbose_name_plural = _("tariff schemes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="scheme_version_once"),
            models.CheckConstraint(
                name="scheme_flat_has_amount",
                condition=~models.Q(method=tariffs.FLAT) | models.Q(flat_amount__gt=0),
            ),
            models.CheckConstraint(
                name="scheme_rates_have_base_and_jkm",
                condition=~models.Q(method=tariffs.RATES)
                | (
                    ~models.Q(base="") & (models.Q(jkm_rate__isnull=False) | models.Q(jkm_flat__isnull=False))
                ),
            ),
            models.CheckConstraint(
                name="scheme_months_in_order",
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
            ),
            models.CheckConstraint(name="scheme_rounding_positive", condition=models.Q(rounding_unit__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name

    def summary(self) -> str:
        """The arithmetic in a line: "Rp 11.800 a month" or "JKK 0,24% + JKM 0,3% of ..., rounded up to
        Rp 100"."""
        from umkm_enroll.web.templatetags.formatting import format_percent_points, format_rupiah

        if self.method == tariffs.FLAT:
            return str(_("%(amount)s a month for JKK and JKM together")) % {
                "amount": format_rupiah(self.flat_amount)
            }
        rates = dict(self.jkk_rates or {})
        if "" in rates:
            jkk = f"JKK {format_percent_points(rates[''])}"
        else:
            low, high = min(rates.values(), default=0), max(rates.values(), default=0)
            jkk = str(_("JKK %(low)s to %(high)s by risk class")) % {
                "low": format_percent_points(low),
                "high": format_percent_points(high),
            }
        jkm = (
            f"JKM {format_rupiah(self.jkm_flat)}"
            if self.jkm_flat is not None
            else f"JKM {format_percent_points(self.jkm_rate)}"
        )
        text = str(_("%(jkk)s + %(jkm)s of the %(base)s")) % {
            "jkk": jkk,
            "jkm": jkm,
            "base": _lower_first(str(self.Base(self.base).label)) if self.base in self.Base.values else "—",
        }
        if self.rounding_unit > 1:
            text += str(_(", rounded up to %(unit)s")) % {"unit": format_rupiah(self.rounding_unit)}
        return text

    def as_tariff(self) -> tariffs.Scheme:
        return tariffs.Scheme(
            code=self.code,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            method=self.method,
            flat_amount=self.flat_amount,
            base=self.base,
            jkk_rates=dict(self.jkk_rates),
            jkm_rate=self.jkm_rate,
            jkm_flat=self.jkm_flat,
            rounding_unit=self.rounding_unit,
        )


class IncomeBracket(models.Model):
    """A BPU declared-income bracket (annex of PP 44/2015 as amended, last by PP 49/2023)."""

    amount = models.PositiveIntegerField(_("income bracket (Rp)"))
    valid_from = models.DateField(_("valid from (month)"))
    valid_to = models.DateField(_("valid to (month)"), null=True, blank=True)

    class Meta:
        verbose_name = _("income bracket")
        verbose_name_plural = _("income brackets")
        ordering = ["valid_from", "amount"]
        constraints = [
            models.UniqueConstraint(fields=["amount", "valid_from"], name="bracket_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"Rp {self.amount:,}".replace(",", ".")


class Relief(models.Model):
    """A temporary cut of JKK and JKM (PP 49/2020, PP 50/2025)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    percent = models.PositiveSmallIntegerField(_("cut (%)"))
    first_month = models.DateField(_("first contribution month"))
    last_month = models.DateField(_("last contribution month"))
    kinds = ArrayField(models.CharField(max_length=3), verbose_name=_("participant kinds"))
    excluded_payers = ArrayField(
        models.CharField(max_length=12), verbose_name=_("payers excluded"), default=list, blank=True
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("relief")
        verbose_name_plural = _("reliefs")
        ordering = ["first_month"]
        constraints = [
            models.CheckConstraint(name="relief_percent_range", condition=models.Q(percent__lte=100)),
            models.CheckConstraint(
                name="relief_months_in_order", condition=models.Q(last_month__gte=models.F("first_month"))
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_tariff(self) -> tariffs.Relief:
        return tariffs.Relief(
            name=self.name,
            percent=self.percent,
            first_month=self.first_month,
            last_month=self.last_month,
            kinds=frozenset(self.kinds),
            excluded_payers=frozenset(self.excluded_payers),
        )


class SponsorProgrammeQuerySet(models.QuerySet["SponsorProgramme"]):
    def visible_to(self, user) -> SponsorProgrammeQuerySet:
        from umkm_enroll.accounts.scoping import scope_of

        scope = scope_of(user)
        if scope.everything:
            return self
        return self.filter(
            models.Q(regency__in=sorted(scope.regency_codes))
            | models.Q(regency__isnull=True, province__in=sorted(scope.whole_provinces))
        )


class SponsorProgramme(models.Model):
    """A regional government paying (part of) the contributions of a list of participants from its budget
    (APBD) for a fixed run of months, e.g. Sulawesi Utara, September to December 2021."""

    name = models.CharField(_("name"), max_length=200)
    sponsor = models.CharField(_("sponsor"), max_length=200, help_text=_("E.g. Pemerintah Provinsi NTB."))
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    province = models.ForeignKey("regions.Province", verbose_name=_("province"), on_delete=models.PROTECT)
    regency = models.ForeignKey(
        "regions.Regency",
        verbose_name=_("regency/city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: a programme of the province."),
    )
    first_month = models.DateField(_("first covered month"))
    last_month = models.DateField(_("last covered month"))
    sponsor_percent = models.PositiveSmallIntegerField(
        _("sponsor's share (%)"), default=100, help_text=_("The participant pays the rest.")
    )
    budget = models.BigIntegerField(_("budget (Rp)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SponsorProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("sponsor programme")
        verbose_name_plural = _("sponsor programmes")
        ordering = ["-first_month", "name"]
        constraints = [
            models.CheckConstraint(
                name="programme_months_in_order", condition=models.Q(last_month__gte=models.F("first_month"))
            ),
            models.CheckConstraint(
                name="programme_share_range", condition=models.Q(sponsor_percent__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.regency_id or self.province_id


class BillingRun(models.Model):
    """One run of the monthly billing (by Celery beat on the 1st, or by hand for a month)."""

    month = models.DateField(_("contribution month"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    bills_created = models.PositiveIntegerField(_("bills created"), default=0)
    started_by = models.ForeignKey(
        "accounts.User", verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class BillQuerySet(models.QuerySet["Bill"]):
    def visible_to(self, user) -> BillQuerySet:
        from umkm_enroll.accounts.scoping import in_scope_of

        return in_scope_of(self, user, "enrollment__member__regency", "enrollment__member__province")

    def open(self) -> BillQuerySet:
        return self.filter(paid__lt=models.F("amount"))


class Bill(models.Model):
    """What one payer owes for one enrollment and one contribution month. Created only by the monthly
    run (set-based, idempotent by the unique constraint); `paid` moves only with allocations, in the same
    transaction, and never past the amount."""

    # No single-column indexes on enrollment and programme: the unique (enrollment, month, payer) and the
    # (programme, month) index lead with them (a million-row monthly run writes fewer indexes).
    enrollment = models.ForeignKey(
        "members.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="bills",
        db_index=False,
    )
    month = models.DateField(_("contribution month"))
    payer = models.CharField(_("payer"), max_length=12)
    sponsor_programme = models.ForeignKey(
        SponsorProgramme,
        verbose_name=_("sponsor programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
        db_index=False,
    )
    amount = models.BigIntegerField(_("amount (Rp)"))
    relief = models.BigIntegerField(_("relief (Rp)"), default=0)
    due_date = models.DateField(_("due date"))
    paid = models.BigIntegerField(_("paid (Rp)"), default=0)
    # Not checked by the database: a million identical checks of one run row at commit cost seconds;
    # runs are never deleted, and Django sets the field to NULL if one were.
    run = models.ForeignKey(
        BillingRun,
        verbose_name=_("billing run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = BillQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "month", "payer"], name="bill_once_per_month_and_payer"
            ),
            models.CheckConstraint(name="bill_amount_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(
                name="bill_paid_within_amount",
                condition=models.Q(paid__gte=0) & models.Q(paid__lte=models.F("amount")),
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor_programme", "month"], name="bill_programme_month"),
            models.Index(
                fields=["enrollment", "month"],
                name="bill_open_by_enrollment",
                condition=models.Q(paid__lt=models.F("amount")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · Rp {self.amount:,}".replace(",", ".")

    @property
    def balance(self) -> int:
        return self.amount - self.paid

    @property
    def payer_label(self) -> str:
        from members.models import Payer

        return str(dict(Payer.choices).get(self.payer, self.payer))


class PaymentQuerySet(models.QuerySet["Payment"]):
    def visible_to(self, user) -> PaymentQuerySet:
        """Payments of enrollments of the user's area, and of the sponsor programmes of the area."""
        from umkm_enroll.accounts.scoping import scope_of

        scope = scope_of(user)
        if scope.everything:
            return self
        if not scope.regency_codes:
            return self.none()
        programmes = SponsorProgramme.objects.visible_to(user).values("pk")
        return self.filter(
            scope.filter_for("enrollment__member__regency", province_field="enrollment__member__province")
            | models.Q(sponsor_programme__in=programmes)
        )


class Payment(models.Model):
    """Money received (or, with `reverses`, the reversal of an earlier payment: a negative amount).

    Append-only: the database refuses UPDATE and DELETE. Idempotent by `reference` (the bank's or the
    treasury's transaction reference): the same line posted twice is one payment."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        FILE = "file", _("Bank or treasury file")

    reference = models.CharField(_("reference"), max_length=100, unique=True)
    payer = models.CharField(_("payer"), max_length=12)
    enrollment = models.ForeignKey(
        "members.Enrollment",
        verbose_name=_("enrollment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    sponsor_programme = models.ForeignKey(
        SponsorProgramme,
        verbose_name=_("sponsor programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.BigIntegerField(_("amount (Rp)"))
    received_on = models.DateField(_("received on"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    recorded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="payment_sign",
                condition=(models.Q(reverses__isnull=True) & models.Q(amount__gt=0))
                | (models.Q(reverses__isnull=False) & models.Q(amount__lt=0)),
            ),
            models.CheckConstraint(
                name="payment_has_one_target",
                condition=(models.Q(enrollment__isnull=False) & models.Q(sponsor_programme__isnull=True))
                | (models.Q(enrollment__isnull=True) & models.Q(sponsor_programme__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def payer_label(self) -> str:
        from members.models import Payer

        return str(dict(Payer.choices).get(self.payer, self.payer))


class Allocation(models.Model):
    """A part of a payment applied to a bill (negative for a reversal). Append-only."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField(_("amount (Rp)"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(name="allocation_not_zero", condition=~models.Q(amount=0))]
        indexes = [models.Index(fields=["bill"], name="allocation_bill")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


from .models_files import PaymentFile, PaymentFileLine  # noqa: E402,F401
