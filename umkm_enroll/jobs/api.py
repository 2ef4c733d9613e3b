"""Long jobs (/api/v1/jobs/): read-only, so a client that started one (a bulk decision) can follow it.

A job is seen by the user who started it and by national users (`Job.objects.visible_to`). Its
`result` holds counters and refusal messages keyed by ids, never personal data; its `params` are not
shown.
"""

from __future__ import annotations

from rest_framework import serializers, viewsets

from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.permissions import SignedIn

from .models import Job


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, help_text="Items done, 0 to 100.")
    rate = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Items per second since the job started."
    )
    seconds_left = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Estimated seconds until the job finishes."
    )
    result = serializers.JSONField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "total",
            "done",
            "failed",
            "percent",
            "rate",
            "seconds_left",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "result",
        ]
        read_only_fields = fields


@scoped(Job)
class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Jobs the caller started (national users: every job), newest first."""

    serializer_class = JobSerializer
    permission_classes = [SignedIn]
    queryset = Job.objects.none()

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user).order_by("-created_at", "-id")
