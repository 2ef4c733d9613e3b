from django.contrib import admin

from .models import Relief

# Schemes and income brackets are managed on the tariff pages (/iuran/tarif/), which keep billed months
# as billed and audit every change; reliefs, set by regulation, here.


@admin.register(Relief)
class ReliefAdmin(admin.ModelAdmin):
    list_display = ["name", "percent", "first_month", "last_month", "kinds", "excluded_payers"]
