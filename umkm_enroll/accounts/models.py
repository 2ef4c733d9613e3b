"""Offices, users and roles.

Every user belongs to one office. What a user may see follows from the office (its region) and the
roles (national roles see everything): see `scoping.py`.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Diskop operator")
    OFFICER = "officer", _("BPJAMSOSTEK branch officer")
    CARD_ADMIN = "card_admin", _("Card admin")
    FINANCE = "finance", _("Finance officer")
    NATIONAL_VIEWER = "national_viewer", _("National viewer")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles whose holders see every region.
NATIONAL_ROLES = frozenset({Role.NATIONAL_VIEWER, Role.ADMINISTRATOR})
# Roles that must sign in with a second factor (TOTP).
TWO_FACTOR_ROLES = frozenset({Role.OFFICER, Role.CARD_ADMIN, Role.FINANCE, Role.ADMINISTRATOR})


class OfficeQuerySet(models.QuerySet["Office"]):
    def visible_to(self, user) -> OfficeQuerySet:
        from .scoping import scope_of

        scope = scope_of(user)
        if scope.everything:
            return self
        if not scope.regency_codes:
            return self.none()
        codes = scope.regency_codes
        return self.filter(
            models.Q(regency__in=codes)
            | models.Q(province__in={code[:2] for code in codes}, regency__isnull=True)
            | models.Q(served_regencies__in=codes)
            | models.Q(branches__served_regencies__in=codes)
        ).distinct()


class Office(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry (national)")
        DISKOP_PROVINCE = "diskop_province", _("Diskop, province")
        DISKOP_REGENCY = "diskop_regency", _("Diskop, regency or city")
        BPJS_REGIONAL = "bpjs_regional", _("BPJAMSOSTEK regional office")
        BPJS_BRANCH = "bpjs_branch", _("BPJAMSOSTEK branch office")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offices",
    )
    regency = models.ForeignKey(
        "regions.Regency",
        verbose_name=_("regency or city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offices",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("regional office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
        limit_choices_to={"kind": "bpjs_regional"},
    )
    served_regencies = models.ManyToManyField(
        "regions.Regency",
        verbose_name=_("regencies and cities served"),
        blank=True,
        related_name="serving_branches",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="office_region_matches_kind",
                condition=(
                    models.Q(kind="diskop_province", province__isnull=False, regency__isnull=True)
                    | models.Q(kind="diskop_regency", regency__isnull=False)
                    | models.Q(kind__in=["ministry", "bpjs_regional", "bpjs_branch"], regency__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind == self.Kind.BPJS_BRANCH

    @property
    def is_diskop(self) -> bool:
        return self.kind in {self.Kind.DISKOP_PROVINCE, self.Kind.DISKOP_REGENCY}


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user) -> UserQuerySet:
        from .scoping import scope_of

        if scope_of(user).everything:
            return self
        return self.filter(office__in=Office.objects.visible_to(user))

    def with_role(self, role: str) -> UserQuerySet:
        return self.filter(roles__contains=[role])


class AppUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who signs in: one office, one or more roles."""

    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = ArrayField(
        models.CharField(max_length=20, choices=Role.choices),
        verbose_name=_("roles"),
        default=list,
        blank=True,
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # When the user last opened the list of their office's submissions (for the "changed" badge).
    submissions_seen_at = models.DateTimeField(_("submissions last seen"), null=True, blank=True)

    objects: ClassVar[AppUserManager] = AppUserManager()

    AUDIT_PERSONAL_FIELDS = {"email": "email", "phone": "phone"}

    class Meta:
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # "ADMIN" beside "admin": one sign-in name would pass for another in the audit log.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_any_case"),
        ]

    def __str__(self) -> str:
        """The name colleagues know the user by, with the sign-in name that tells namesakes apart (pages
        showing who submitted, decided, recorded or started something)."""
        name = self.get_full_name()
        return f"{name} ({self.username})" if name else self.username

    @property
    def audit_label(self) -> str:
        """Audit entries about a user name the account by its sign-in name, as their actor labels do."""
        return self.username

    def is_verified(self) -> bool:
        """Whether this sign-in passed TOTP. django-otp's middleware replaces it on each request's user;
        outside a request nothing is verified."""
        return False

    def role_codes(self) -> set[str]:
        codes = set(self.roles or [])
        if self.is_superuser:
            codes.add(Role.ADMINISTRATOR)
        return codes

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes() & set(roles))

    def role_labels(self) -> list[str]:
        return [str(Role(code).label) for code in self.roles if code in Role.values]

    @property
    def needs_two_factor(self) -> bool:
        from django.conf import settings

        return bool(getattr(settings, "OTP_REQUIRED_FOR_ALL", False) or self.role_codes() & TWO_FACTOR_ROLES)
