"""New bills are tallied by their writer (the monthly run, in its own statement), not by an AFTER INSERT
trigger whose transition table of a million rows cost the run more than its own checks; a BEFORE INSERT
guard refuses a bill whose transaction has not declared that it tallies it (tally_sql.py)."""

from django.db import migrations

from umkm_enroll.dashboards import tally_sql


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0004_monthly_report")]

    operations = [
        migrations.RunSQL(
            sql=tally_sql.bill_insert_guard_sql(),
            reverse_sql=tally_sql.bill_insert_trigger_sql(),
        )
    ]
