"""Kemendagri administrative regions (codes written with dots: "52.71" is Kota Mataram) and minimum wages.

Regions are never deleted: NIKs and old addresses point at codes that a split retired, so a region that
vanished from a newer edition is only marked inactive.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionBase(models.Model):
    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    edition = models.CharField(
        _("edition"), max_length=60, help_text=_("The source edition that last listed it.")
    )

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Province(RegionBase):
    class Meta(RegionBase.Meta):
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class Regency(RegionBase):
    class Kind(models.TextChoices):
        REGENCY = "kabupaten", _("Regency")
        CITY = "kota", _("City")

    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="regencies"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta(RegionBase.Meta):
        verbose_name = _("regency or city")
        verbose_name_plural = _("regencies and cities")


class District(RegionBase):
    regency = models.ForeignKey(
        Regency, verbose_name=_("regency or city"), on_delete=models.PROTECT, related_name="districts"
    )

    class Meta(RegionBase.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Village(RegionBase):
    class Kind(models.TextChoices):
        URBAN = "kelurahan", _("Urban village (kelurahan)")
        RURAL = "desa", _("Village (desa)")
        CUSTOMARY = "desa_adat", _("Customary village (desa adat)")

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="villages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)

    class Meta(RegionBase.Meta):
        verbose_name = _("village")
        verbose_name_plural = _("villages")


class MinimumWage(models.Model):
    """A provincial minimum wage (UMP) of one year, as decreed by the governor.

    Kept as the decree prints it (some carry fractions of a rupiah); contribution arithmetic rounds.
    A year without a sourced figure has no row: the gap stays visible instead of a guess.
    """

    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="minimum_wages"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (Rp)"), max_digits=14, decimal_places=3)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    source = models.URLField(_("source"), max_length=500, blank=True)
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("Two independent sources agree on the figure.")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("provincial minimum wage")
        verbose_name_plural = _("provincial minimum wages")
        ordering = ["province", "year"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="minimum_wage_one_per_province_year"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="minimum_wage_positive"),
        ]

    def __str__(self) -> str:
        return f"UMP {self.province} {self.year}"
