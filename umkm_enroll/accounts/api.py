from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from .access import no_data, scoped
from .models import Office, User
from .permissions import SignedIn


class OfficeSerializer(serializers.ModelSerializer):
    served_regencies: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Office
        fields = [
            "id",
            "kind",
            "name",
            "province",
            "regency",
            "parent",
            "served_regencies",
            "address",
            "phone",
            "email",
            "active",
        ]


@scoped(Office)
class OfficeViewSet(viewsets.ReadOnlyModelViewSet):
    """Offices within the caller's scope."""

    serializer_class = OfficeSerializer
    permission_classes = [SignedIn]
    queryset = Office.objects.none()

    def get_queryset(self):
        return (
            Office.objects.visible_to(self.request.user)
            .select_related("province", "regency")
            .prefetch_related("served_regencies")
            .order_by("name")
        )


class MeSerializer(serializers.ModelSerializer):
    office = OfficeSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "office", "roles"]


@no_data
@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([SignedIn])
def me(request: Request) -> Response:
    """The signed-in user, their office and roles."""
    return Response(MeSerializer(request.user).data)
