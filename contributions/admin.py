from django.contrib import admin

from .models import IncomeBracket, Relief, TariffScheme


@admin.register(TariffScheme)
class TariffSchemeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "province",
        "valid_from",
        "valid_to",
        "method",
        "flat_amount",
        "rounding_unit",
    ]
    list_filter = ["method", "province"]
    search_fields = ["code", "name"]


@admin.register(IncomeBracket)
class IncomeBracketAdmin(admin.ModelAdmin):
    list_display = ["amount", "valid_from", "valid_to"]


@admin.register(Relief)
class ReliefAdmin(admin.ModelAdmin):
    list_display = ["name", "percent", "first_month", "last_month", "kinds", "excluded_payers"]
