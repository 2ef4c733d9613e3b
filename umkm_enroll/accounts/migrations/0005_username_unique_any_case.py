"""Usernames unique whatever their case ("ADMIN" beside "admin" would pass for it in the audit log).

A database that already holds two such names stops here with their names, before the constraint is added:
rename one of each pair (`manage.py shell`: `User.objects.filter(username="ADMIN").update(username=...)`)
and migrate again.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def refuse_case_duplicates(apps, schema_editor):
    user_model = apps.get_model("accounts", "User")
    clashes = (
        user_model.objects.annotate(lowered=Lower("username"))
        .values("lowered")
        .annotate(n=models.Count("pk"))
        .filter(n__gt=1)
        .values_list("lowered", flat=True)
    )
    names = sorted(
        user_model.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=list(clashes))
        .values_list("username", flat=True)
    )
    if names:
        raise RuntimeError(
            "Usernames that differ only in capital letters: " + ", ".join(names)
            + ". Rename one of each before this migration (see its docstring)."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_submissions_seen_at"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(Lower("username"), name="user_username_unique_any_case"),
        ),
    ]
