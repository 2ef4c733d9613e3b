"""The people import API (/api/v1/imports/): the pages' steps for programs (upload, confirm the columns,
commit, the error report), calling the same services (members/imports.py).

A list is seen by its office (`ImportBatch.objects.visible_to`) and only operators import. The answers
hold counts, the file's headers and the column choices, never a NIK: the rows themselves are only in the
error report, which is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.accounts.permissions import role_permission
from umkm_enroll.jobs.api import JobSerializer

from . import imports
from .forms_imports import IMPORT_PAYERS
from .import_rules import FIELD_BY_NAME
from .models import Bank, ImportBatch, ParticipantKind, RiskClass

# The payers an import may name (no employer: a list's people are not one employer's workers).
IMPORT_PAYER_CHOICES = [str(payer) for payer in IMPORT_PAYERS]

BATCH_FIELDS = [
    "id",
    "label",
    "status",
    "file_name",
    "file_format",
    "file_size",
    "same_as",
    "created_at",
    "header_row",
    "headers",
    "mapping",
    "defaults",
    "rows_total",
    "rows_valid",
    "rows_invalid",
    "rows_duplicate_file",
    "rows_duplicate_registry",
    "rows_possible_duplicate",
    "rows_created",
    "enrollments_submitted",
    "enrollments_skipped",
    "committed_at",
    "error",
    "report_available",
    "job",
]


class ImportBatchSerializer(serializers.ModelSerializer):
    report_available = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField(
        help_text="The check or commit job of the list, with its progress."
    )

    class Meta:
        model = ImportBatch
        fields = BATCH_FIELDS
        read_only_fields = BATCH_FIELDS

    def get_report_available(self, batch: ImportBatch) -> bool:
        return bool(batch.report_name)

    @extend_schema_field(JobSerializer(allow_null=True))
    def get_job(self, batch: ImportBatch) -> dict[str, Any] | None:
        job = batch.commit_job if batch.commit_job_id else batch.check_job
        return JobSerializer(job).data if job is not None else None


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    # DRF's metaclass turns the attribute into a field (Field.label is only its caption).
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]
    again = serializers.BooleanField(
        required=False, default=False, help_text="Import a file this office already uploaded anyway."
    )


class DefaultsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ParticipantKind.choices, required=False, allow_blank=True)
    monthly_income = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    occupation = serializers.CharField(required=False, allow_blank=True, max_length=100)
    regency = serializers.CharField(required=False, allow_blank=True, max_length=5)


class ConfirmSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text="Field name -> index (from 0) of the file's column in `headers`.",
    )
    defaults = DefaultsSerializer(required=False)

    def validate_mapping(self, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(FIELD_BY_NAME))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}
            )
        return value


@extend_schema_field(OpenApiTypes.INT)
class VisibleProgrammeField(serializers.PrimaryKeyRelatedField):
    """A sponsor programme of the caller's area (its id)."""

    def get_queryset(self) -> Any:
        from contributions.models import SponsorProgramme

        return SponsorProgramme.objects.visible_to(self.context["request"].user)


class CommitSerializer(serializers.Serializer):
    submit_enrollments = serializers.BooleanField(required=False, default=False)
    payer = serializers.ChoiceField(choices=IMPORT_PAYER_CHOICES, required=False, default="self")
    sponsor_programme = VisibleProgrammeField(required=False, allow_null=True)
    bank = serializers.ChoiceField(choices=Bank.choices, required=False, allow_blank=True)
    requested_start = serializers.DateField(required=False, allow_null=True)
    risk_class = serializers.ChoiceField(choices=RiskClass.choices, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("submit_enrollments"):
            if attrs.get("payer") == "sponsor" and not attrs.get("sponsor_programme"):
                raise ValidationError({"sponsor_programme": [_("Choose the sponsor programme that pays.")]})
            if attrs.get("payer") == "bank" and not attrs.get("bank"):
                raise ValidationError({"bank": [_("Choose the bank that deducts the contribution.")]})
        return attrs

    def submit_options(self) -> imports.SubmitOptions | None:
        data = self.validated_data
        if not data.get("submit_enrollments"):
            return None
        programme = data.get("sponsor_programme")
        return imports.SubmitOptions(
            payer=data.get("payer") or "self",
            sponsor_programme=programme.pk
            if programme is not None and data.get("payer") == "sponsor"
            else None,
            bank=data.get("bank") or "" if data.get("payer") == "bank" else "",
            requested_start=data.get("requested_start"),
            risk_class=data.get("risk_class") or "",
        )


SAME_FILE = inline_serializer(
    "ImportSameFile", {"detail": serializers.CharField(), "earlier": serializers.IntegerField()}
)


@scoped(ImportBatch)
class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People lists imported by the caller's office, newest first."""

    serializer_class = ImportBatchSerializer
    permission_classes = [role_permission(Role.OPERATOR)]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = ImportBatch.objects.none()

    def get_queryset(self) -> Any:
        batches = ImportBatch.objects.visible_to(self.request.user).select_related("check_job", "commit_job")
        if self.action == "list":
            search = " ".join(str(self.request.query_params.get("search", "")).split())[:100]
            if search:
                batches = batches.filter(label__icontains=search)
            wanted = self.request.query_params.get("status", "")
            if wanted in ImportBatch.Status.values:
                batches = batches.filter(status=wanted)
        return batches

    @extend_schema(
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Part of the list's name"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ImportBatch.Status.values),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: ImportBatchSerializer,
            400: OpenApiResponse(description="Not a usable list (size, format, no header row…)"),
            409: OpenApiResponse(SAME_FILE, description="The office already uploaded this file"),
        },
    )
    def create(self, request: Request) -> Response:
        """Upload a list: the answer proposes the columns (`mapping`) for `confirm`."""
        incoming = UploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = incoming.validated_data["file"]
        if upload.size > imports.max_bytes():
            raise ValidationError(
                {
                    "file": [
                        _("The file is larger than %(size)s MB: split it into smaller files.")
                        % {"size": imports.max_bytes() // 2**20}
                    ]
                }
            )
        try:
            batch = imports.import_upload(
                actor=request.user,
                name=upload.name,
                content=upload.read(),
                label=incoming.validated_data.get("label", ""),
                again=incoming.validated_data["again"],
            )
        except imports.SameFile as error:
            return Response(
                {"detail": str(error), "earlier": error.earlier.pk}, status=status.HTTP_409_CONFLICT
            )
        except imports.ImportError_ as error:
            raise ValidationError({"file": [str(error)]}) from None
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmSerializer, responses={202: ImportBatchSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm the columns (and values for missing ones): the check of every row starts."""
        batch = self.get_object()
        incoming = ConfirmSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        defaults = dict(incoming.validated_data.get("defaults") or {})
        try:
            imports.import_confirm(
                batch=batch, mapping=incoming.validated_data["mapping"], defaults=defaults, actor=request.user
            )
        except imports.ImportError_ as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=CommitSerializer, responses={202: ImportBatchSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        """Register the valid rows of a checked list (and submit their enrollments when asked)."""
        batch = self.get_object()
        incoming = CommitSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        try:
            imports.import_commit(batch=batch, actor=request.user, submit=incoming.submit_options())
        except imports.ImportError_ as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a list not imported yet: its file and checked rows are deleted."""
        batch = self.get_object()
        try:
            imports.import_cancel(batch=batch, actor=request.user)
        except imports.ImportError_ as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The error report: the rows to fix in the file's own columns, with the problems (audited)."""
        batch = self.get_object()
        if not batch.report_name:
            raise NotFound(_("This list has no error report."))
        content, name = imports.report_file(batch=batch, actor=request.user)
        kind = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if name.endswith(".xlsx")
            else "text/csv; charset=utf-8"
        )
        response = HttpResponse(content, content_type=kind)
        response["Content-Disposition"] = content_disposition_header(True, name) or ""
        response["Cache-Control"] = "no-store"
        return response
