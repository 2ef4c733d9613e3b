"""The registry API (/api/v1/members/): the same operations and rules as the pages, scoped the same way.

Writes are validated by the registry's own form (members/forms.py), so the browser and the API can never
disagree about what is valid. NIKs are shown masked; the full NIK is only sent to the `reveal_nik`
action (POST, audited).
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.accounts.permissions import SignedIn, role_permission

from . import selectors, services
from .forms import MemberForm
from .models import EnrollmentStatus, Member, ParticipantKind, Sex

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
