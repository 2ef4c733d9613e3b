"""Data: provincial minimum wages 2021-2026 from data/ump.csv (an empty amount is a gap: no row)."""

from django.db import migrations


def load_minimum_wages(apps, schema_editor):
    from umkm_enroll.regions.loading import load_minimum_wages

    load_minimum_wages(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_load_regions"),
    ]

    operations = [
        migrations.RunPython(load_minimum_wages, migrations.RunPython.noop),
    ]
