from django.db import migrations


class Migration(migrations.Migration):
    """0010 made the enrollment's person key unindexed (enrollment_member_status covers it); Django's
    AlterField then dropped every single-column index on member_id, the partial unique index of the
    constraint enrollment_one_open_per_member among them. It is made again here (a no-op where it exists)."""

    dependencies = [
        ("members", "0010_fewer_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE UNIQUE INDEX IF NOT EXISTS enrollment_one_open_per_member "
                "ON members_enrollment (member_id) WHERE NOT status = 'ended'"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
