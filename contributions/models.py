"""Tariffs as data: contribution schemes with validity periods, BPU income brackets, and relief.

The arithmetic is in contributions/tariffs.py (plain Python); these rows are turned into its dataclasses by
`contributions.selectors`. Rates are basis points (0.24% = 24); money is integer rupiah.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import tariffs


class TariffScheme(models.Model):
    class Method(models.TextChoices):
        FLAT = tariffs.FLAT, _("Flat amount")
        RATES = tariffs.RATES, _("Rates times a base")

    class Base(models.TextChoices):
        INCOME_BRACKET = tariffs.BASE_INCOME_BRACKET, _("Declared income bracket (BPU)")
        WAGE = tariffs.BASE_WAGE, _("Reported wage (PU)")
        MINIMUM_WAGE = tariffs.BASE_MINIMUM_WAGE, _("Provincial minimum wage of the year")

    code = models.SlugField(_("code"), max_length=40, unique=True)
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
