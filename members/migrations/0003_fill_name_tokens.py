"""Fill name_tokens and the NameToken vocabulary for people registered before 0002."""

from django.db import migrations

FORWARD = """
UPDATE members_member SET name_tokens = string_to_array(name_search, ' ')
 WHERE name_tokens = '{}' AND name_search <> '';
INSERT INTO members_nametoken (token)
SELECT DISTINCT unnest(name_tokens) FROM members_member
ON CONFLICT DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [("members", "0002_name_tokens")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
