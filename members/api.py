"""The registry API (/api/v1/members/): the same operations and rules as the pages, scoped the same way.

Writes are validated by the registry's own form (members/forms.py), so the browser and the API can never
disagree about what is valid. NIKs are shown masked; the full NIK is only sent to the `reveal_nik`
action (POST, audited).

The enrollment API (/api/v1/enrollments/) calls the enrollment services (members/enrollments.py) for
every write, so its rules (maker-checker, the serving branch, the checks before submitting) are the
pages' rules; a refused transition answers 400 with the service's message, a decision or an edit
overtaken by someone else's answers 409.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contributions.models import SponsorProgramme
from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.accounts.permissions import SignedIn, role_permission

from . import enrollments, selectors, services
from .forms import MemberForm
from .models import (
    Bank,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Member,
    ParticipantKind,
    Payer,
    RiskClass,
    Sex,
)

READ_FIELDS = [
    "id",
    "nik_masked",
    "kk_masked",
    *services.EDITABLE_FIELDS,
    "kpj_number",
    "office",
    "version",
    "created_at",
    "updated_at",
]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = READ_FIELDS
        read_only_fields = READ_FIELDS


class MemberWriteSerializer(serializers.Serializer):
    """Input of create and update: the form's fields, plus `nik` and (update) the `version` read."""

    nik = serializers.CharField(write_only=True)
    kk = serializers.CharField(write_only=True, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False)
    full_name = serializers.CharField()
    birth_place = serializers.CharField()
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    address = serializers.CharField()
    province = serializers.CharField()
    regency = serializers.CharField()
    district = serializers.CharField()
    village = serializers.CharField()
    phone = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    occupation = serializers.CharField()
    business_name = serializers.CharField(required=False, allow_blank=True)
    nib = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ParticipantKind.choices)
    monthly_income = serializers.IntegerField(required=False, allow_null=True)
    monthly_wage = serializers.IntegerField(required=False, allow_null=True)
    cooperative = serializers.IntegerField(required=False, allow_null=True)
    employer_member = serializers.IntegerField(required=False, allow_null=True)
    employer_cooperative = serializers.IntegerField(required=False, allow_null=True)
    aid_bpum = serializers.BooleanField(required=False)
    aid_kur = serializers.BooleanField(required=False)
    heir_name = serializers.CharField(required=False, allow_blank=True)
    heir_relation = serializers.CharField(required=False, allow_blank=True)
    heir_phone = serializers.CharField(required=False, allow_blank=True)


FILTERS = ("province", "regency", "cooperative", "kind", "aid", "enrollment")


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(allow_blank=True, max_length=150)
    province = serializers.CharField(required=False)
    regency = serializers.CharField(required=False)
    cooperative = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=ParticipantKind.choices, required=False)
    aid = serializers.ChoiceField(choices=["bpum", "kur"], required=False)
    enrollment = serializers.ChoiceField(
        choices=[("none", "none"), *EnrollmentStatus.choices], required=False
    )
    sort = serializers.ChoiceField(choices=list(selectors.SORTS), required=False)


def _as_form_data(data: dict[str, Any]) -> QueryDict:
    form_data = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                form_data[key] = "on"
            continue
        form_data[key] = str(value)
    return form_data


@scoped(Member)
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People in the caller's regions."""

    serializer_class = MemberSerializer
    queryset = Member.objects.none()

    def get_permissions(self):
        if self.action in {"create", "partial_update", "update"}:
            return [role_permission(Role.OPERATOR)()]
        if self.action == "reveal_nik":
            return [role_permission(Role.OPERATOR, Role.OFFICER, Role.ADMINISTRATOR)()]
        return [SignedIn()]

    def get_queryset(self):
        if self.action in {"list", "search"}:
            source = self.request.data if self.action == "search" else self.request.query_params
            filters = {key: source.get(key) for key in FILTERS}
            return selectors.members_search(
                user=self.request.user,
                q=str(source.get("q", "")),
                filters={k: v for k, v in filters.items() if v},
                sort=str(source.get("sort", "")),
            )
        return Member.objects.visible_to(self.request.user).current()

    @extend_schema(
        parameters=[
            OpenApiParameter("province", OpenApiTypes.STR),
            OpenApiParameter("regency", OpenApiTypes.STR),
            OpenApiParameter("cooperative", OpenApiTypes.INT),
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("aid", OpenApiTypes.STR, enum=["bpum", "kur"]),
            OpenApiParameter(
                "enrollment",
                OpenApiTypes.STR,
                enum=["none", *EnrollmentStatus.values],
                description="Enrollment status, or none for people never enrolled",
            ),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.SORTS)),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """People in the caller's regions, filtered. To search by name, NIK, phone or KPJ use `search`
        (POST), so that the search text never travels in a URL."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SearchSerializer, responses=MemberSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        """Find people by name (typo-tolerant), full NIK, phone or KPJ number, with the list's filters."""
        SearchSerializer(data=request.data).is_valid(raise_exception=True)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    def _validated_form(self, request: Request, instance: Member | None) -> MemberForm:
        incoming = MemberWriteSerializer(data=request.data, partial=instance is not None)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if instance is not None:
            current = MemberSerializer(instance).data
            merged: dict[str, Any] = {key: current.get(key) for key in services.EDITABLE_FIELDS}
            merged.update(data)
            merged.setdefault("nik", services.nik_reveal_value(instance))
            data = merged
        form = MemberForm(data=_as_form_data(data), instance=instance, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        return form

    @extend_schema(request=MemberWriteSerializer, responses={201: MemberSerializer})
    def create(self, request: Request) -> Response:
        form = self._validated_form(request, None)
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            member = services.member_create(
                data=data, nik=form.cleaned_data["nik"], kk=form.cleaned_data["kk"], actor=request.user
            )
        except services.RegistryError as error:
            raise ValidationError({error.field or "non_field_errors": [str(error)]}) from None
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        member = self.get_object()
        if "version" not in request.data:
            raise ValidationError({"version": ["Send the version you read (optimistic concurrency)."]})
        form = self._validated_form(request, member)
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            member = services.member_update(
                member=member,
                data=data,
                expected_version=int(request.data["version"]),
                actor=request.user,
                nik=form.cleaned_data["nik"],
                kk=form.cleaned_data["kk"] if "kk" in request.data else None,
            )
        except services.StaleEdit as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except services.RegistryError as error:
            raise ValidationError({error.field or "non_field_errors": [str(error)]}) from None
        return Response(MemberSerializer(member).data)

    @extend_schema(request=None, responses=inline_serializer("RevealedNik", {"nik": serializers.CharField()}))
    @action(detail=True, methods=["post"], url_path="reveal-nik")
    def reveal_nik(self, request: Request, pk: str | None = None) -> Response:
        """The full NIK of one person, written to the audit log."""
        member = self.get_object()
        response = Response({"nik": services.member_reveal_nik(member=member, actor=request.user)})
        response["Cache-Control"] = "no-store"
        return response


# --- enrollments ----------------------------------------------------------------------------------------

ENROLLMENT_FIELDS = [
    "id",
    "member",
    "member_nik_masked",
    "member_full_name",
    "kpj_number",
    "kind",
    "jkk",
    "jkm",
    "jht",
    "risk_class",
    "scheme",
    "payer",
    "sponsor_programme",
    "bank",
    "requested_start",
    "status",
    "coverage_start",
    "submitted_office",
    "submitted_by",
    "submitted_at",
    "decided_by",
    "decided_at",
    "rejection_reason",
    "rejection_note",
    "end_reason",
    "ended_on",
    "version",
    "created_at",
]
# Statuses a decision leaves behind: a decision refused on one of them was overtaken (409).
DECIDED = frozenset(EnrollmentStatus) - {EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED}


class EnrollmentSerializer(serializers.ModelSerializer):
    member_nik_masked = serializers.CharField(source="member.nik_masked", read_only=True)
    member_full_name = serializers.CharField(source="member.full_name", read_only=True)
    kpj_number = serializers.CharField(source="member.kpj_number", read_only=True, allow_null=True)
    rejection_reason = serializers.ChoiceField(
        choices=enrollments.RejectionReason.CHOICES, read_only=True, allow_blank=True
    )

    class Meta:
        model = Enrollment
        fields = ENROLLMENT_FIELDS
        read_only_fields = ENROLLMENT_FIELDS


class VisibleProgrammeField(serializers.PrimaryKeyRelatedField):
    """A sponsor programme of the caller's area."""

    def get_queryset(self):
        return SponsorProgramme.objects.visible_to(self.context["request"].user)


class EnrollmentFieldsSerializer(serializers.Serializer):
    """What an operator sets on a draft or corrects on a rejected enrollment (`EDITABLE_FIELDS`)."""

    kind = serializers.ChoiceField(
        choices=ParticipantKind.choices, required=False, help_text="Defaults to the person's kind."
    )
    jht = serializers.BooleanField(
        required=False,
        help_text="JHT (old-age savings), for BPU participants only.",
        error_messages={"invalid": gettext_lazy("Choose yes or no.")},
    )
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices, required=False, allow_blank=True, help_text="Required for PU."
    )
    scheme = serializers.CharField(max_length=40, required=False, allow_blank=True)
    payer = serializers.ChoiceField(choices=Payer.choices, required=False)
    sponsor_programme = VisibleProgrammeField(
        queryset=SponsorProgramme.objects.none(),
        required=False,
        allow_null=True,
        help_text="For payer sponsor: the id of the sponsor programme.",
    )
    bank = serializers.ChoiceField(choices=Bank.choices, required=False, allow_blank=True)
    requested_start = serializers.DateField(required=False)

    def editable_data(self) -> dict[str, Any]:
        return {
            name: value for name, value in self.validated_data.items() if name in enrollments.EDITABLE_FIELDS
        }


class VisibleMemberField(serializers.PrimaryKeyRelatedField):
    """A person the caller may see; any other id is answered as not found."""

    def get_queryset(self):
        return Member.objects.visible_to(self.context["request"].user)


class EnrollmentCreateSerializer(EnrollmentFieldsSerializer):
    member = VisibleMemberField(
        queryset=Member.objects.none(),
        error_messages={
            "does_not_exist": gettext_lazy("There is no such person in your office's area."),
            "incorrect_type": gettext_lazy("Send the person's id (a number)."),
        },
    )
    requested_start = serializers.DateField()
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Submit for a decision at once; nothing is created when the submission is refused.",
        error_messages={"invalid": gettext_lazy("Choose yes or no.")},
    )


class EnrollmentUpdateSerializer(EnrollmentFieldsSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version read: an enrollment changed since answers 409."
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


REFUSED = OpenApiResponse(DetailSerializer, description="The transition was refused; `detail` says why.")
OVERTAKEN = OpenApiResponse(
    DetailSerializer, description="Someone else decided or changed the enrollment first: nothing was done."
)


class DecisionFieldsSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.ChoiceField(
        choices=enrollments.RejectionReason.CHOICES,
        required=False,
        allow_blank=True,
        help_text="Required when rejecting.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required with the reason `other`."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["decision"] == "reject" and not attrs.get("reason"):
            raise ValidationError({"reason": [self.fields["reason"].error_messages["required"]]})
        return attrs


class DecisionSerializer(DecisionFieldsSerializer):
    kpj = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Approval: the KPJ number given by BPJAMSOSTEK; empty keeps the person's or makes one.",
    )
    coverage_start = serializers.DateField(
        required=False, allow_null=True, help_text="Approval: defaults to the requested start or today."
    )


class BulkDecisionSerializer(DecisionFieldsSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        error_messages={
            "empty": gettext_lazy("Select at least one enrollment."),
            "not_a_list": gettext_lazy("Send the enrollment ids as a list."),
        },
    )


class EndSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=EndReason.choices)
    ended_on = serializers.DateField(required=False, allow_null=True, help_text="Defaults to today.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EnrollmentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=ParticipantKind.choices, required=False)
    payer = serializers.ChoiceField(choices=Payer.choices, required=False)
    regency = serializers.CharField(
        required=False, max_length=5, help_text="The person's regency, e.g. 52.71"
    )
    submitted_office = serializers.IntegerField(required=False, min_value=1)
    member = serializers.IntegerField(required=False, min_value=1)


ENROLLMENT_FILTERS = {
    "status": "status",
    "kind": "kind",
    "payer": "payer",
    "regency": "member__regency_id",
    "submitted_office": "submitted_office_id",
    "member": "member_id",
}

BulkDecisionStarted = inline_serializer(
    "BulkDecisionStarted",
    {
        "job": serializers.IntegerField(),
        "url": serializers.CharField(help_text="Where to follow the job: /api/v1/jobs/{id}/"),
        "total": serializers.IntegerField(help_text="Enrollments still waiting for a decision, taken."),
    },
)


def _refused(error: enrollments.EnrollmentError, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": str(error)}, status=code)


@scoped(Enrollment)
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enrollments of the people in the caller's regions, newest first."""

    serializer_class = EnrollmentSerializer
    queryset = Enrollment.objects.none()

    def get_permissions(self):
        if self.action in {"create", "partial_update", "update", "submit"}:
            return [role_permission(Role.OPERATOR)()]
        if self.action in {"decide", "end", "bulk_decide"}:
            return [role_permission(Role.OFFICER)()]
        return [SignedIn()]

    def get_queryset(self):
        queryset = Enrollment.objects.visible_to(self.request.user).select_related("member")
        if self.action == "list":
            params = self.request.query_params
            incoming = EnrollmentFilterSerializer(
                data={name: params[name] for name in ENROLLMENT_FILTERS if params.get(name)}
            )
            incoming.is_valid(raise_exception=True)
            queryset = queryset.filter(
                **{ENROLLMENT_FILTERS[name]: value for name, value in incoming.validated_data.items()}
            )
        return queryset

    @extend_schema(parameters=[EnrollmentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EnrollmentCreateSerializer, responses={201: EnrollmentSerializer, 400: REFUSED})
    def create(self, request: Request) -> Response:
        """A new enrollment of a person in the caller's area, as a draft or (`submit`) submitted at once."""
        incoming = EnrollmentCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        try:
            enrollment = enrollments.enrollment_create(
                member=incoming.validated_data["member"],
                data=incoming.editable_data(),
                actor=request.user,
                submit=incoming.validated_data["submit"],
            )
        except enrollments.EnrollmentError as error:
            return _refused(error)
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EnrollmentUpdateSerializer,
        responses={200: EnrollmentSerializer, 400: REFUSED, 409: OVERTAKEN},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Correct a draft or a rejected enrollment; send the `version` read."""
        enrollment = self.get_object()
        incoming = EnrollmentUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        if "version" not in incoming.validated_data:
            raise ValidationError({"version": [incoming.fields["version"].error_messages["required"]]})
        expected = incoming.validated_data["version"]
        try:
            enrollment = enrollments.enrollment_update(
                enrollment=enrollment,
                data=incoming.editable_data(),
                actor=request.user,
                expected_version=expected,
            )
        except enrollments.EnrollmentError as error:
            current = Enrollment.objects.values_list("version", flat=True).get(pk=enrollment.pk)
            return _refused(
                error, status.HTTP_409_CONFLICT if current != expected else status.HTTP_400_BAD_REQUEST
            )
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(request=None, responses={200: EnrollmentSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit a draft (or a corrected rejected enrollment) for a branch officer's decision."""
        try:
            enrollment = enrollments.enrollment_submit(enrollment=self.get_object(), actor=request.user)
        except enrollments.EnrollmentError as error:
            return _refused(error)
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(
        request=DecisionSerializer, responses={200: EnrollmentSerializer, 400: REFUSED, 409: OVERTAKEN}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Approve (a KPJ number is given or kept) or reject (with a reason) a submitted enrollment. The
        submitter cannot decide; only an officer of the branch serving the person's regency can."""
        enrollment = self.get_object()
        incoming = DecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            if data["decision"] == "approve":
                enrollment = enrollments.enrollment_approve(
                    enrollment=enrollment,
                    actor=request.user,
                    kpj=data.get("kpj", ""),
                    coverage_start=data.get("coverage_start"),
                )
            else:
                enrollment = enrollments.enrollment_reject(
                    enrollment=enrollment,
                    actor=request.user,
                    reason=data["reason"],
                    note=data.get("note", ""),
                )
        except enrollments.EnrollmentError as error:
            current = Enrollment.objects.values_list("status", flat=True).get(pk=enrollment.pk)
            return _refused(
                error, status.HTTP_409_CONFLICT if current in DECIDED else status.HTTP_400_BAD_REQUEST
            )
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(request=EndSerializer, responses={200: EnrollmentSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the cover of an approved, active or lapsed enrollment (death, leaving, end of sponsoring)."""
        enrollment = self.get_object()
        incoming = EndSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            enrollment = enrollments.enrollment_end(
                enrollment=enrollment,
                actor=request.user,
                reason=data["reason"],
                ended_on=data.get("ended_on"),
                note=data.get("note", ""),
            )
        except enrollments.EnrollmentError as error:
            return _refused(error)
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(request=BulkDecisionSerializer, responses={202: BulkDecisionStarted, 400: REFUSED})
    @action(detail=False, methods=["post"], url_path="bulk-decide")
    def bulk_decide(self, request: Request) -> Response:
        """Approve or reject many submitted enrollments in the background. Those the caller does not see or
        that are no longer waiting are left out; each is checked again when the worker decides it. Follow
        the job at `url`."""
        incoming = BulkDecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            job = enrollments.bulk_decisions_start(
                actor=request.user,
                ids=data["ids"],
                decision=data["decision"],
                reason=data.get("reason", ""),
                note=data.get("note", ""),
            )
        except enrollments.EnrollmentError as error:
            return _refused(error)
        url = reverse("api:job-detail", args=[job.pk])
        return Response(
            {"job": job.pk, "url": url, "total": job.total},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )
