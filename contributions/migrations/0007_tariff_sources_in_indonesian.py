"""The sources of the seeded tariffs, shown on the tariff pages since they exist, in Indonesian (only where
an administrator has not changed them)."""

from django.db import migrations

SOURCES = {
    "Default flat scheme (brief)": "Skema bawaan (brief)",
    "PP 44/2015 as amended": "PP 44/2015 dan perubahannya",
    "PP 50/2025 (not for APBD/APBN payers)": "PP 50/2025 (tidak untuk pembayar APBD/APBN)",
}


def forwards(apps, schema_editor):
    for name in ("TariffScheme", "Relief"):
        model = apps.get_model("contributions", name)
        for old, new in SOURCES.items():
            model.objects.filter(source=old).update(source=new)


def backwards(apps, schema_editor):
    for name in ("TariffScheme", "Relief"):
        model = apps.get_model("contributions", name)
        for old, new in SOURCES.items():
            model.objects.filter(source=new).update(source=old)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0006_bill_write_speed")]

    operations = [migrations.RunPython(forwards, backwards)]
