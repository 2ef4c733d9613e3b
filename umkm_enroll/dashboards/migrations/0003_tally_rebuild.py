"""Count the rows already there (a database migrated with people, enrollments, cards and bills)."""

from django.db import migrations

from umkm_enroll.dashboards import tally_sql


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_tally_triggers")]

    operations = [
        migrations.RunSQL(
            sql=["DELETE FROM dashboards_tally", "DELETE FROM dashboards_monthtally", *tally_sql.REBUILD_SQL],
            reverse_sql=["DELETE FROM dashboards_tally", "DELETE FROM dashboards_monthtally"],
        )
    ]
