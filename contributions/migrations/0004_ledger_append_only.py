"""Payments and allocations are a ledger: the database refuses UPDATE and DELETE of their rows, whatever
the client; corrections are reversal entries. TRUNCATE is refused too, unless the session sets
`umkm.allow_audit_truncate = on` (only the test databases do: Django's test flush truncates every table)."""

from django.db import migrations

TABLES = ["contributions_payment", "contributions_allocation"]

FORWARD = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the payment ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('umkm.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the payment ledger is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
"""
    for table in TABLES
)

REVERSE = "".join(
    f"""
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
"""
    for table in TABLES
) + """
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("contributions", "0003_billing_and_payments")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
