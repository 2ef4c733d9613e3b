"""Cooperatives (koperasi) registered by a Diskop office, scoped by their regency or city."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from umkm_enroll.accounts.models import Role
from umkm_enroll.web.phone import E164_MOBILE

from .identifiers import AHU_MAX_LENGTH, AHU_NUMBER, NIK_KOPERASI

# Who may see cooperatives (every role that has a region), and who registers and edits them: Diskop
# operators, and administrators for corrections.
VIEWER_ROLES = (
    Role.OPERATOR,
    Role.OFFICER,
    Role.CARD_ADMIN,
    Role.FINANCE,
    Role.NATIONAL_VIEWER,
    Role.ADMINISTRATOR,
)
EDITOR_ROLES = (Role.OPERATOR, Role.ADMINISTRATOR)

NIK_KOPERASI_TAKEN = "nik_koperasi_taken"

NIK_KOPERASI_MESSAGE = _("Enter 10 to 20 characters: digits, with dots or dashes between them.")
AHU_NUMBER_MESSAGE = _("An AHU decree number starts with “AHU-”, e.g. AHU-0001234.AH.01.26.TAHUN 2019.")
PHONE_MESSAGE = _("Enter a mobile number such as 0812 3456 7890 or +62 812 3456 7890.")


class CooperativeQuerySet(models.QuerySet["Cooperative"]):
    def visible_to(self, user) -> CooperativeQuerySet:
        from umkm_enroll.accounts.scoping import scope_of

        return self.filter(scope_of(user).filter_for("regency"))


class Cooperative(models.Model):
    class Kind(models.TextChoices):
        SAVINGS_AND_LOAN = "simpan_pinjam", _("Savings and loan cooperative")
        MULTI_PURPOSE = "serba_usaha", _("Multi-purpose cooperative")
        PRODUCER = "produsen", _("Producer cooperative")
        CONSUMER = "konsumen", _("Consumer cooperative")
        SERVICE = "jasa", _("Service cooperative")
        MARKETING = "pemasaran", _("Marketing cooperative")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DISSOLVED = "dissolved", _("Dissolved")

    name = models.CharField(_("name"), max_length=200)
    nik_koperasi = models.CharField(
        _("Nomor Induk Koperasi"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(f"^{NIK_KOPERASI.pattern}$", NIK_KOPERASI_MESSAGE)],
        help_text=_("From the ministry's registry (NIK koperasi), if the cooperative has one."),
    )
    ahu_number = models.CharField(
        _("AHU decree number"),
        max_length=AHU_MAX_LENGTH,
        blank=True,
        validators=[RegexValidator(f"^{AHU_NUMBER.pattern}$", AHU_NUMBER_MESSAGE)],
        help_text=_("The legal-entity decree of the Ministry of Law, e.g. AHU-0001234.AH.01.26.TAHUN 2019."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=300, help_text=_("Street, number, RT/RW."))
    province = models.ForeignKey(
        "regions.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="cooperatives"
    )
    regency = models.ForeignKey(
        "regions.Regency",
        verbose_name=_("regency or city"),
        on_delete=models.PROTECT,
        related_name="cooperatives",
    )
    # Nullable for rows imported without them; the forms require both.
    district = models.ForeignKey(
        "regions.District",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cooperatives",
    )
    village = models.ForeignKey(
        "regions.Village",
        verbose_name=_("village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cooperatives",
    )
    chairperson = models.CharField(_("chairperson"), max_length=150)
    phone = models.CharField(
        _("phone"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(f"^{E164_MOBILE.pattern}$", PHONE_MESSAGE)],
    )
    member_count = models.PositiveIntegerField(_("number of members"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    office = models.ForeignKey(
        "accounts.Office",
        verbose_name=_("registering office"),
        on_delete=models.PROTECT,
        related_name="cooperatives",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic concurrency: an edit carries the version it read, and saves only if it is still current.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = CooperativeQuerySet.as_manager()

    AUDIT_PERSONAL_FIELDS = {"chairperson": "name", "phone": "phone"}

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        ordering = ["name"]
        indexes = [
            # The list of a regency office: its cooperatives by name (the default sort).
            models.Index(fields=["regency", "name"], name="cooperative_regency_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["nik_koperasi"],
                condition=~models.Q(nik_koperasi=""),
                name="cooperative_nik_koperasi_unique",
                violation_error_code=NIK_KOPERASI_TAKEN,
                violation_error_message=_("Another cooperative already has this Nomor Induk Koperasi."),
            ),
            models.CheckConstraint(
                name="cooperative_nik_koperasi_shape",
                condition=models.Q(nik_koperasi="")
                | models.Q(nik_koperasi__regex=f"^{NIK_KOPERASI.pattern}$"),
            ),
            models.CheckConstraint(
                name="cooperative_ahu_number_shape",
                condition=models.Q(ahu_number="") | models.Q(ahu_number__regex=f"^{AHU_NUMBER.pattern}$"),
            ),
            models.CheckConstraint(
                name="cooperative_phone_e164",
                condition=models.Q(phone="") | models.Q(phone__regex=f"^{E164_MOBILE.pattern}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.regency_id or ""

    def clean(self) -> None:
        """The address's regions must nest: village in district, district in regency, regency in
        province."""
        province, regency = self._related("province"), self._related("regency")
        district, village = self._related("district"), self._related("village")
        errors: dict[str, Any] = {}
        if province and regency and regency.province_id != province.pk:
            errors["regency"] = _("This regency or city is not in the chosen province.")
        if regency and district and district.regency_id != regency.pk:
            errors["district"] = _("This district is not in the chosen regency or city.")
        if district and village and village.district_id != district.pk:
            errors["village"] = _("This village is not in the chosen district.")
        if village and not self.district_id:
            errors["district"] = _("Choose the district of the village.")
        if errors:
            raise ValidationError(errors)

    def _related(self, name: str) -> Any:
        # clean() runs even when a field failed validation: an unknown code is reported there.
        try:
            return getattr(self, name)
        except ObjectDoesNotExist:
            return None

    def validate_constraints(self, exclude=None) -> None:
        # A duplicate NIK koperasi is reported beside its field, not above the form.
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            for item in list(errors.get(NON_FIELD_ERRORS, [])):
                if getattr(item, "code", None) == NIK_KOPERASI_TAKEN:
                    errors[NON_FIELD_ERRORS].remove(item)
                    errors.setdefault("nik_koperasi", []).append(item)
            if not errors.get(NON_FIELD_ERRORS):
                errors.pop(NON_FIELD_ERRORS, None)
            raise ValidationError(errors) from error
