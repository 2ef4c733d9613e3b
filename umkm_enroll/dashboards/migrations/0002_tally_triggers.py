"""The triggers that keep the dashboard tallies (umkm_enroll/dashboards/tally_sql.py)."""

from django.conf import settings
from django.db import migrations

from umkm_enroll.dashboards import tally_sql


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_tallies_and_targets"),
        ("members", "0008_enrollment_payer_details"),
        ("cards", "0002_print_batches"),
        ("contributions", "0006_bill_write_speed"),
    ]

    operations = [
        migrations.RunSQL(
            sql=tally_sql.install_sql(settings.TIME_ZONE),
            reverse_sql=tally_sql.uninstall_sql(),
        )
    ]
