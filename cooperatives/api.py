"""The cooperatives API: `/api/v1/cooperatives/`. Reads for every role with a region, writes for the
editors; every query starts from the caller's scope. Edits are PATCH only and carry the `version` they
read: a stale version answers 409 and changes nothing."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.models import User
from umkm_enroll.accounts.permissions import role_permission
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.regions.models import Regency
from umkm_enroll.web.phone import normalize_phone

from . import services
from .forms import OUTSIDE_SCOPE_MESSAGE, scope_label
from .identifiers import normalize_ahu_number, normalize_nik_koperasi
from .models import (
    AHU_NUMBER_MESSAGE,
    EDITOR_ROLES,
    NIK_KOPERASI_MESSAGE,
    PHONE_MESSAGE,
    VIEWER_ROLES,
    Cooperative,
)
from .selectors import SORTS, cooperatives_for

CanRead = role_permission(*VIEWER_ROLES)
CanEdit = role_permission(*EDITOR_ROLES)


class CooperativeSerializer(serializers.ModelSerializer):
    # Wider than the stored values: spaces and dashes are taken out before they are stored.
    nik_koperasi = serializers.CharField(max_length=40, required=False, allow_blank=True)
    ahu_number = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="Stored as E.164: +6281234567890."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version read; required when editing, ignored when creating.",
    )

    class Meta:
        model = Cooperative
        fields = ["id", *services.COOPERATIVE_FIELDS, "office", "created_at", "updated_at", "version"]
        read_only_fields = ["id", "office", "created_at", "updated_at"]
        extra_kwargs = {
            "district": {"required": True, "allow_null": False},
            "village": {"required": True, "allow_null": False},
        }
        # The model checks uniqueness of the NIK koperasi (a partial constraint) when the service saves.
        validators: list[Any] = []

    def validate_nik_koperasi(self, value: str) -> str:
        try:
            return normalize_nik_koperasi(value)
        except ValueError:
            raise serializers.ValidationError(str(NIK_KOPERASI_MESSAGE)) from None

    def validate_ahu_number(self, value: str) -> str:
        try:
            return normalize_ahu_number(value)
        except ValueError:
            raise serializers.ValidationError(str(AHU_NUMBER_MESSAGE)) from None

    def validate_phone(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return normalize_phone(value)
        except ValueError:
            raise serializers.ValidationError(str(PHONE_MESSAGE)) from None

    def validate_regency(self, regency: Regency) -> Regency:
        user = self.context["request"].user
        if not scope_of(user).covers_regency(regency.pk):
            raise serializers.ValidationError(str(OUTSIDE_SCOPE_MESSAGE % {"regions": scope_label(user)}))
        return regency


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()


LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name, NIK koperasi or AHU number"),
    OpenApiParameter("province", OpenApiTypes.STR, description="Province code, e.g. 52"),
    OpenApiParameter("regency", OpenApiTypes.STR, description="Regency or city code, e.g. 52.71"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=Cooperative.Kind.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Cooperative.Status.values),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=sorted(SORTS)),
]


@scoped(Cooperative)
@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS),
    partial_update=extend_schema(
        responses={
            200: CooperativeSerializer,
            409: OpenApiResponse(
                response=ConflictSerializer,
                description="Someone else saved the cooperative since `version`: nothing was changed.",
            ),
        }
    ),
)
class CooperativeViewSet(viewsets.ModelViewSet):
    """Cooperatives within the caller's scope."""

    serializer_class = CooperativeSerializer
    queryset = Cooperative.objects.none()
    # No PUT (an edit names what it changes) and no DELETE (a cooperative is dissolved, not deleted).
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def actor(self) -> User:
        # The permission classes admit signed-in users only.
        return cast(User, self.request.user)

    def get_permissions(self) -> list[BasePermission]:
        return [CanRead() if self.request.method in SAFE_METHODS else CanEdit()]

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return Cooperative.objects.visible_to(user).select_related("province", "regency")
        params = self.request.query_params
        return cooperatives_for(
            user,
            q=params.get("search", ""),
            province=params.get("province", "").strip(),
            regency=params.get("regency", "").strip(),
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            sort=params.get("ordering", "name"),
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("version", None)
        try:
            serializer.instance = services.cooperative_create(data=data, actor=self.actor)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        except services.CooperativeError as error:
            raise serializers.ValidationError({"detail": str(error.message)}) from None

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().update(request, *args, **kwargs)
        except services.StaleVersion as error:
            return Response(
                {"detail": str(error.message), "current_version": error.current.version},
                status=status.HTTP_409_CONFLICT,
            )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        if expected_version is None:
            raise serializers.ValidationError({"version": [str(_("Send the version you read."))]})
        try:
            serializer.instance = services.cooperative_update(
                cooperative=cast(Cooperative, serializer.instance),
                data=data,
                expected_version=expected_version,
                actor=self.actor,
            )
        except services.StaleVersion:
            raise  # answered 409 by update()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        except services.CooperativeError as error:
            raise serializers.ValidationError({"detail": str(error.message)}) from None
