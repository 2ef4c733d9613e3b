from typing import Any

from django.contrib import admin

from .models import CoverageTarget
from .services import target_delete, target_save


@admin.register(CoverageTarget)
class CoverageTargetAdmin(admin.ModelAdmin):
    list_display = ["province", "regency", "year", "kind", "count", "source", "updated_at"]
    list_filter = ["year", "kind", "province"]
    search_fields = ["source", "province__name", "regency__name"]
    raw_id_fields = ["regency"]
    exclude = ["updated_by"]

    def save_model(self, request: Any, obj: CoverageTarget, form: Any, change: bool) -> None:
        target_save(target=obj, actor=request.user)

    def delete_model(self, request: Any, obj: CoverageTarget) -> None:
        target_delete(target=obj, actor=request.user)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for target in queryset:
            target_delete(target=target, actor=request.user)
