"""People in the registry: UMKM owners and cooperative members (BPU) and their workers (PU).

The full NIK is never stored readable: `nik_ciphertext` (AES-GCM, key id beside it) and `nik_digest`
(keyed HMAC, unique nationwide). The NIK's region and birth-date parts live in their own columns for
filters; `nik_masked` is what pages, exports and the API show.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantKind(models.TextChoices):
    BPU = "bpu", _("BPU (self-employed, non-wage earner)")
    PU = "pu", _("PU (wage earner)")


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class HeirRelation(models.TextChoices):
    SPOUSE = "spouse", _("Husband or wife")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other")


class MemberQuerySet(models.QuerySet["Member"]):
    def visible_to(self, user) -> MemberQuerySet:
        from umkm_enroll.accounts.scoping import in_scope_of

        return in_scope_of(self, user, "regency", "province")

    def current(self) -> MemberQuerySet:
        """Records not merged into another one."""
        return self.filter(merged_into__isnull=True)


class ImportBatchQuerySet(models.QuerySet["ImportBatch"]):
    def visible_to(self, user) -> ImportBatchQuerySet:
        """A list is seen by its office (national users see all)."""
        from umkm_enroll.accounts.scoping import scope_of

        if scope_of(user).everything:
            return self
        if getattr(user, "office_id", None) is None:
            return self.none()
        return self.filter(office_id=user.office_id)


class ImportBatch(models.Model):
    """A list of people brought in together (an aid programme's list, a survey): the unit an officer can
    filter the queue by. People entered one by one have none.

    A bulk import (members/imports.py) goes uploaded -> mapped -> checking -> checked (the preview) ->
    committing -> committed. Its rows wait in ImportRow between the check and the commit.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Columns to confirm")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: ready to import")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    label = models.CharField(_("name"), max_length=200)
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # --- the file (stored encrypted: it holds full NIKs; deleted after IMPORT_KEEP_DAYS) ---
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.COMMITTED)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_format = models.CharField(_("format"), max_length=4, blank=True)
    file_size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    stored_name = models.CharField(_("stored file"), max_length=100, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("separator"), max_length=1, blank=True)
    same_as = models.ForeignKey(
        "self",
        verbose_name=_("same file as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # --- the columns: the header row, the file's headers, field -> column index, defaults ---
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    # The rows the file declares (XLSX row tags, CSV lines), counted at the upload: the check's progress
    # bar starts from it without reading the file again.
    row_bound = models.PositiveIntegerField(_("rows declared"), default=0)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    defaults = models.JSONField(_("values for missing columns"), default=dict, blank=True)
    # --- counts (set by the check, then by the commit) ---
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_duplicate_file = models.PositiveIntegerField(_("repeated in the file"), default=0)
    rows_duplicate_registry = models.PositiveIntegerField(_("already registered"), default=0)
    rows_possible_duplicate = models.PositiveIntegerField(_("possible duplicates"), default=0)
    rows_created = models.PositiveIntegerField(_("people registered"), default=0)
    enrollments_submitted = models.PositiveIntegerField(_("enrollments submitted"), default=0)
    enrollments_skipped = models.PositiveIntegerField(_("enrollments not submitted"), default=0)
    # --- the work ---
    check_job = models.ForeignKey(
        "jobs.Job",
        verbose_name=_("check job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    commit_job = models.ForeignKey(
        "jobs.Job",
        verbose_name=_("import job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Enrollment options chosen at the commit (payer, programme id, bank, start, risk class, scheme).
    submit_options = models.JSONField(_("enrollment options"), default=dict, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    report_name = models.CharField(_("error report"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def rows_rejected(self) -> int:
        return self.rows_invalid + self.rows_duplicate_file


class ImportMapping(models.Model):
    """A column header an office confirmed for a field: proposed first the next time it appears."""

    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    header = models.CharField(_("header"), max_length=200)
    field = models.CharField(_("field"), max_length=40)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("remembered column")
        verbose_name_plural = _("remembered columns")
        constraints = [models.UniqueConstraint(fields=["office", "header"], name="import_mapping_once")]

    def __str__(self) -> str:
        return f"{self.header} -> {self.field}"


class ImportRow(models.Model):
    """A checked row of an import waiting for the commit: the registry values (NIK encrypted, as in Member),
    or the problems and the cells as written (for the error report). Deleted when the import is committed
    or expires."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Invalid")
        DUPLICATE_FILE = "dup_file", _("Repeated in the file")
        DUPLICATE_REGISTRY = "dup_registry", _("Already registered")

    # Indexed by import_row_once (batch, row_number).
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False)
    row_number = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    cells = models.JSONField(_("cells as written"), null=True, blank=True)
    first_row = models.PositiveIntegerField(_("first row with this NIK"), null=True, blank=True)
    existing_member_id = models.BigIntegerField(_("registered person"), null=True, blank=True)
    existing_visible = models.BooleanField(default=False)
    possible_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    member_id = models.BigIntegerField(_("person created"), null=True, blank=True)
    # The registry values (see Member).
    nik_ciphertext = models.BinaryField(null=True)
    nik_key_id = models.CharField(max_length=16, blank=True)
    nik_digest = models.CharField(max_length=64, blank=True)
    nik_masked = models.CharField(max_length=16, blank=True)
    nik_regency_code = models.CharField(max_length=5, blank=True)
    nik_district_code = models.CharField(max_length=8, blank=True)
    kk_ciphertext = models.BinaryField(null=True)
    kk_key_id = models.CharField(max_length=16, blank=True)
    kk_masked = models.CharField(max_length=16, blank=True)
    full_name = models.CharField(max_length=150, blank=True)
    name_search = models.CharField(max_length=150, blank=True)
    name_tokens = ArrayField(models.CharField(max_length=60), default=list)
    birth_place = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True)
    sex = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=300, blank=True)
    province_id = models.CharField(max_length=13, blank=True)
    regency_id = models.CharField(max_length=13, blank=True)
    district_id = models.CharField(max_length=13, blank=True)
    village_id = models.CharField(max_length=13, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    email = models.CharField(max_length=254, blank=True)
    occupation = models.CharField(max_length=120, blank=True)
    business_name = models.CharField(max_length=150, blank=True)
    nib = models.CharField(max_length=13, blank=True)
    kind = models.CharField(max_length=3, blank=True)
    monthly_income = models.BigIntegerField(null=True)
    monthly_wage = models.BigIntegerField(null=True)
    cooperative_id = models.BigIntegerField(null=True)
    employer_member_id = models.BigIntegerField(null=True)
    employer_cooperative_id = models.BigIntegerField(null=True)
    aid_bpum = models.BooleanField(default=False)
    aid_kur = models.BooleanField(default=False)
    heir_name = models.CharField(max_length=150, blank=True)
    heir_relation = models.CharField(max_length=10, blank=True)
    heir_phone = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_once")]
        indexes = [
            # The preview's samples and counts per status; the commit walks the valid rows in order.
            models.Index(fields=["batch", "status", "row_number"], name="import_row_status"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class Member(models.Model):
    # --- identity ---
    nik_ciphertext = models.BinaryField(_("NIK (encrypted)"))
    nik_key_id = models.CharField(_("NIK key id"), max_length=16)
    nik_digest = models.CharField(_("NIK lookup digest"), max_length=64, unique=True)
    nik_masked = models.CharField(_("NIK"), max_length=16)
    # Not indexed: nothing filters on it, and every index slows the bulk import.
    nik_regency_code = models.CharField(_("NIK regency code"), max_length=5)
    nik_district_code = models.CharField(_("NIK district code"), max_length=8)
    kk_ciphertext = models.BinaryField(_("family card number (encrypted)"), null=True, blank=True)
    kk_key_id = models.CharField(max_length=16, blank=True)
    kk_masked = models.CharField(_("family card number"), max_length=16, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    name_search = models.CharField(_("normalised name"), max_length=150)
    # The words of name_search, for the typo-tolerant search (see NameToken).
    name_tokens = ArrayField(models.CharField(max_length=60), verbose_name=_("name words"), default=list)
    birth_place = models.CharField(_("place of birth"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)

    # --- address ---
    address = models.CharField(_("street address"), max_length=300)
    province = models.ForeignKey(
        "regions.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    regency = models.ForeignKey(
        "regions.Regency", verbose_name=_("regency or city"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "regions.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    village = models.ForeignKey(
        "regions.Village",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    # --- contact ---
    phone = models.CharField(_("mobile phone"), max_length=16, blank=True, help_text=_("Stored as +62…"))
    email = models.EmailField(_("email"), blank=True)

    # --- work ---
    occupation = models.CharField(_("occupation or business type"), max_length=120)
    business_name = models.CharField(_("business name"), max_length=150, blank=True)
    nib = models.CharField(_("NIB"), max_length=13, blank=True)
    kind = models.CharField(_("participant kind"), max_length=3, choices=ParticipantKind.choices)
    monthly_income = models.BigIntegerField(_("declared monthly income (Rp)"), null=True, blank=True)
    monthly_wage = models.BigIntegerField(_("monthly wage (Rp)"), null=True, blank=True)
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        verbose_name=_("cooperative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # a partial index below: most people have none
    )
    employer_member = models.ForeignKey(
        "self",
        verbose_name=_("employer (business owner)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workers",
        db_index=False,  # a partial index below: most people have none
    )
    employer_cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        verbose_name=_("employer (cooperative)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workers",
        db_index=False,  # a partial index below: most people have none
    )
    aid_bpum = models.BooleanField(_("BPUM recipient"), default=False)
    aid_kur = models.BooleanField(_("KUR recipient"), default=False)

    # --- heir (JKM pays the heir) ---
    heir_name = models.CharField(_("heir's name"), max_length=150, blank=True)
    heir_relation = models.CharField(
        _("heir's relation"), max_length=10, choices=HeirRelation.choices, blank=True
    )
    heir_phone = models.CharField(_("heir's phone"), max_length=16, blank=True)

    # --- membership number, given when an enrollment is approved ---
    kpj_number = models.CharField(_("KPJ number"), max_length=20, null=True, blank=True, unique=True)

    # --- bookkeeping ---
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("registering office"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        db_index=False,  # a partial index below: most people have none
    )

    objects = MemberQuerySet.as_manager()

    AUDIT_PERSONAL_FIELDS = {
        "full_name": "name",
        "name_search": "hidden",
        "birth_place": "hidden",
        "birth_date": "hidden",
        "address": "hidden",
        "phone": "phone",
        "email": "email",
        "heir_name": "name",
        "heir_phone": "phone",
        "nik_masked": "nik",
        "kk_masked": "nik",
        "monthly_income": "hidden",
        "monthly_wage": "hidden",
    }
    AUDIT_LABEL_MASK = "name"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]
        constraints = [
            models.CheckConstraint(
                name="member_income_for_bpu_wage_for_pu",
                condition=(
                    models.Q(kind="bpu", monthly_wage__isnull=True)
                    | models.Q(kind="pu", monthly_income__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="member_one_employer",
                condition=models.Q(employer_member__isnull=True)
                | models.Q(employer_cooperative__isnull=True),
            ),
            models.CheckConstraint(
                name="member_amounts_not_negative",
                condition=(models.Q(monthly_income__isnull=True) | models.Q(monthly_income__gte=0))
                & (models.Q(monthly_wage__isnull=True) | models.Q(monthly_wage__gte=0)),
            ),
            models.CheckConstraint(
                name="member_not_own_employer", condition=~models.Q(employer_member=models.F("id"))
            ),
        ]
        indexes = [
            # Typo-tolerant name search: people having, for every typed word, one of the vocabulary words
            # similar to it (name_tokens && ARRAY[...] per word, intersected in this index).
            GinIndex(fields=["name_tokens"], name="member_name_tokens"),
            # The registry list of a province (or its regencies), by name (the default order) ...
            models.Index(fields=["province", "name_search", "id"], name="member_province_name"),
            # ... newest first, and the same for national users.
            models.Index(fields=["province", "-created_at"], name="member_province_created"),
            # Counting a province's people by kind and aid flags without reading the table.
            models.Index(fields=["province", "kind", "aid_bpum", "aid_kur"], name="member_province_filters"),
            models.Index(fields=["-created_at"], name="member_created"),
            # Possible duplicates: the same normalised name and birth date (also the national name order) ...
            models.Index(fields=["name_search", "birth_date"], name="member_name_birth"),
            # ... or the same phone; and search by phone.
            models.Index(fields=["phone"], name="member_phone", condition=~models.Q(phone="")),
            # References most people do not have: indexed only where set (a list of 150,000 people adds
            # no entries to them), which still serves every lookup of a given cooperative or person.
            *(
                models.Index(
                    fields=[name], name=f"member_{name}", condition=models.Q(**{f"{name}__isnull": False})
                )
                for name in ("cooperative", "employer_member", "employer_cooperative", "merged_into")
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def audit_region_code(self) -> str:
        return self.regency_id or ""

    @property
    def employer_label(self) -> str:
        if self.employer_member_id:
            return str(self.employer_member)
        if self.employer_cooperative_id:
            return str(self.employer_cooperative)
        return ""


class NameToken(models.Model):
    """The vocabulary of the words in people's names (a few hundred thousand at most, nationwide).

    A typed word is first matched against this small table by trigram similarity or prefix, so that a
    typo or a partial word finds the words actually used in names; people are then found by those words.
    Matching a million full names by trigrams directly costs ten times more.
    """

    token = models.CharField(_("word"), max_length=60, primary_key=True)

    class Meta:
        verbose_name = _("name word")
        verbose_name_plural = _("name words")
        indexes = [
            # Similar words (token % 'word') and prefixes (token LIKE 'word%').
            GinIndex(OpClass(models.F("token"), name="gin_trgm_ops"), name="name_token_trgm"),
        ]

    def __str__(self) -> str:
        return self.token


class DuplicateFlagQuerySet(models.QuerySet["DuplicateFlag"]):
    def visible_to(self, user) -> DuplicateFlagQuerySet:
        visible = Member.objects.visible_to(user)
        return self.filter(first__in=visible, second__in=visible)

    def open_for(self, member: Member) -> DuplicateFlagQuerySet:
        return self.filter(models.Q(first=member) | models.Q(second=member), status=DuplicateFlag.Status.OPEN)


class DuplicateFlag(models.Model):
    """Two records that may be the same person under different NIKs, for an operator to review."""

    class Reason(models.TextChoices):
        NAME_BIRTH = "name_birth", _("Same name and date of birth")
        PHONE = "phone", _("Same phone number")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISTINCT = "distinct", _("Confirmed different people")

    first = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = DuplicateFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second", "reason"], name="duplicate_flag_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="duplicate_flag_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.first_id} / {self.second_id}"


class EnrollmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ACTIVE = "active", _("Active")
    LAPSED = "lapsed", _("Lapsed (arrears)")
    ENDED = "ended", _("Ended")


class Payer(models.TextChoices):
    SELF = "self", _("The participant")
    EMPLOYER = "employer", _("The employer")
    SPONSOR = "sponsor", _("Regional budget sponsor (APBD)")
    BANK = "bank", _("Bank deduction from aid")
    COOPERATIVE = "cooperative", _("The cooperative")


class Bank(models.TextChoices):
    """Banks that deduct contributions from aid disbursements (BPUM grants, KUR loans)."""

    BRI = "bri", "BRI"
    BNI = "bni", "BNI"
    BTN = "btn", "BTN"
    MANDIRI = "mandiri", "Bank Mandiri"
    BPD = "bpd", _("Regional development bank (BPD)")


class RiskClass(models.TextChoices):
    """JKK risk classes of the work of wage earners (rates in the contributions tariffs)."""

    VERY_LOW = "very_low", _("Very low")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class RejectionReasons(models.TextChoices):
    INCOMPLETE = "incomplete", _("Data incomplete")
    NIK_MISMATCH = "nik_mismatch", _("NIK does not match the e-KTP")
    DUPLICATE = "duplicate", _("Already a participant")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible (age or kind of work)")
    OTHER = "other", _("Other")


class EndReason(models.TextChoices):
    DEATH = "death", _("Death")
    LEFT = "left", _("Left the programme or the work")
    SPONSOR_ENDED = "sponsor_ended", _("End of a sponsored period")
    OTHER = "other", _("Other")


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def visible_to(self, user) -> EnrollmentQuerySet:
        """Enrollments of the people the user may see (the person's regency decides)."""
        from umkm_enroll.accounts.scoping import in_scope_of

        return in_scope_of(self, user, "member__regency", "member__province")

    def pending(self) -> EnrollmentQuerySet:
        return self.filter(status=EnrollmentStatus.SUBMITTED)

    def eligible(self) -> EnrollmentQuerySet:
        """Approved and not ended or lapsed: the person may get a card and is billed (cover itself starts
        on the coverage start date, when the enrollment becomes active)."""
        return self.filter(status__in=[EnrollmentStatus.APPROVED, EnrollmentStatus.ACTIVE])


class Enrollment(models.Model):
    """An enrollment of a registered person in JKK + JKM (JHT optional for BPU).

    The maker (the submitting operator) is never the checker (the deciding officer): enforced by the
    services and by the check constraint below. At most one enrollment per person is not ended.
    """

    # Indexed by enrollment_member_status (member, status).
    member = models.ForeignKey(
        Member,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="enrollments",
        db_index=False,
    )
    kind = models.CharField(_("participant kind"), max_length=3, choices=ParticipantKind.choices)
    jkk = models.BooleanField(_("JKK (work accident)"), default=True)
    jkm = models.BooleanField(_("JKM (death)"), default=True)
    jht = models.BooleanField(_("JHT (old-age savings)"), default=False)
    risk_class = models.CharField(
        _("risk class of the work"), max_length=10, choices=RiskClass.choices, blank=True
    )
    scheme = models.CharField(_("contribution scheme"), max_length=40, blank=True)
    payer = models.CharField(_("payer"), max_length=12, choices=Payer.choices, default=Payer.SELF)
    sponsor_programme = models.ForeignKey(
        "contributions.SponsorProgramme",
        verbose_name=_("sponsor programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollments",
        help_text=_("For the payer “regional budget sponsor”: the programme that pays."),
    )
    bank = models.CharField(
        _("bank"),
        max_length=12,
        choices=Bank.choices,
        blank=True,
        help_text=_("For the payer “bank deduction”: the bank that deducts from the aid."),
    )
    requested_start = models.DateField(_("requested start"))
    status = models.CharField(
        _("status"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.DRAFT
    )
    coverage_start = models.DateField(_("coverage start"), null=True, blank=True)
    created_office = models.ForeignKey(
        "accounts.Office",
        verbose_name=_("created by office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Indexed by enrollment_office_changed (submitted_office, status_changed_at).
    submitted_office = models.ForeignKey(
        "accounts.Office",
        verbose_name=_("submitting office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=40, choices=RejectionReasons.choices, blank=True
    )
    rejection_note = models.TextField(_("rejection note"), blank=True)
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="enrollment_maker_is_not_checker",
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("submitted_by")),
            ),
            models.UniqueConstraint(
                fields=["member"], condition=~models.Q(status="ended"), name="enrollment_one_open_per_member"
            ),
            models.CheckConstraint(
                name="enrollment_pu_has_risk_class",
                condition=models.Q(kind="bpu") | ~models.Q(risk_class=""),
            ),
        ]
        indexes = [
            # The registry filter "enrollment status" (EXISTS per person) and the officers' queues.
            models.Index(fields=["member", "status"], name="enrollment_member_status"),
            models.Index(fields=["status", "submitted_at"], name="enrollment_status_submitted"),
            models.Index(fields=["submitted_office", "status_changed_at"], name="enrollment_office_changed"),
            models.Index(
                fields=["coverage_start"],
                name="enrollment_due_activation",
                condition=models.Q(status="approved"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"

    @property
    def is_open_for_correction(self) -> bool:
        return self.status in {EnrollmentStatus.DRAFT, EnrollmentStatus.REJECTED}

    @property
    def audit_region_code(self) -> str:
        return self.member.regency_id

    @property
    def audit_label(self) -> str:
        """The person's initials and the enrollment number: the log names no one in full."""
        from umkm_enroll.audit.masking import mask_name

        return f"{mask_name(self.member.full_name)} · #{self.pk}"
