"""What the dashboard counts, once, in SQL: the triggers that keep the tallies and the rebuild share it.

Every source row contributes "facts" to the region and cooperative of its person (the member's current
regency and cooperative): a person counts once when not merged into another record; an enrollment by its
status; a card by its status; a bill by its contribution month and due date. A statement-level trigger
(with transition tables, so a million-row INSERT ... SELECT costs one aggregate, not a million calls) adds
the facts of the new rows and subtracts those of the old ones, grouped by region. When a person moves (their
regency, cooperative, aid flags or merge changes), the facts of their enrollments, cards and bills move
with them. An enrollment never changes person, nor a card or a bill its enrollment: guarded by triggers.

New bills are the exception: their writer tallies them, in the same transaction. The monthly run does it
in its own statement (`run_tally`, contributions/billing.py), from the rows it selected, which already carry
each member's region: cheaper than a transition table of its million new rows joined again with their
enrollments and members. Other writers go through `contributions.billing.bills_insert` (`bills_tally`). A
statement-level BEFORE INSERT trigger on the bill table (no transition table, so nearly free) refuses an
insert unless the transaction has declared that it tallies its bills
(`SELECT set_config('dashboards.bills_tallied', 'on', true)`, `contributions.billing.tallied_bills`).

Migration 0002 installs these functions (`install_sql`: the whole current set, and it can run again over
any earlier one); migration 0005 replaced the bills' INSERT trigger by the guard. Changing what is counted
needs a new migration that installs the new text and rebuilds (`manage.py dashboard_rebuild`).
"""

# ruff: noqa: S608 (SQL assembled from constant fragments of this module; no value is interpolated)
from __future__ import annotations

STOCK = (
    "people",
    "people_aid",
    "submitted",
    "approved",
    "active",
    "lapsed",
    "covered_aid",
    "wait_sum",
    "cards_issued",
    "cards_printed",
    "cards_handed_over",
)
FLOWS = ("registered", "submitted", "bills", "billed", "paid")


def member_key(member: str = "m") -> str:
    """The key the facts are grouped by, from a relation with the member's region and cooperative."""
    return (
        f"{member}.province_id AS province, {member}.regency_id AS regency,"
        f" COALESCE({member}.cooperative_id, 0) AS coop"
    )


MEMBER_KEY = member_key()
AID = "(m.aid_bpum OR m.aid_kur)"


def _stock_columns(**values: str) -> str:
    return ", ".join(f"{values.get(name, '0')} AS {name}" for name in STOCK)


def _flow_columns(**values: str) -> str:
    return ", ".join(f"{values.get(name, '0')} AS {name}" for name in FLOWS)


# Facts over a FROM clause that names the member `m` (and `e`, `c`, `b`), each row signed by `sign`.
def member_stock(source: str, sign: str) -> str:
    return (
        f"SELECT {sign} AS sign, {MEMBER_KEY}, "
        + _stock_columns(
            people="(m.merged_into_id IS NULL)::int",
            people_aid=f"(m.merged_into_id IS NULL AND {AID})::int",
        )
        + f" FROM {source}"
    )


def member_flows(source: str, sign: str) -> str:
    return (
        f"SELECT {sign} AS sign, {MEMBER_KEY}, dashboards_month(m.created_at) AS month,"
        " NULL::date AS due_date, "
        + _flow_columns(registered="1")
        + f" FROM {source} WHERE m.merged_into_id IS NULL"
    )


def enrollment_stock(source: str, sign: str) -> str:
    return (
        f"SELECT {sign} AS sign, {MEMBER_KEY}, "
        + _stock_columns(
            submitted="(e.status = 'submitted')::int",
            approved="(e.status = 'approved')::int",
            active="(e.status = 'active')::int",
            lapsed="(e.status = 'lapsed')::int",
            covered_aid=f"(e.status IN ('approved', 'active') AND {AID})::int",
            wait_sum=(
                "CASE WHEN e.status = 'submitted'"
                " THEN COALESCE(floor(extract(epoch FROM e.submitted_at))::bigint, 0) ELSE 0 END"
            ),
        )
        + f" FROM {source} WHERE e.status IN ('submitted', 'approved', 'active', 'lapsed')"
    )


def enrollment_flows(source: str, sign: str) -> str:
    return (
        f"SELECT {sign} AS sign, {MEMBER_KEY}, dashboards_month(e.submitted_at) AS month,"
        " NULL::date AS due_date, "
        + _flow_columns(submitted="1")
        + f" FROM {source} WHERE e.submitted_at IS NOT NULL"
    )


def card_stock(source: str, sign: str) -> str:
    return (
        f"SELECT {sign} AS sign, {MEMBER_KEY}, "
        + _stock_columns(
            cards_issued="(c.status = 'issued')::int",
            cards_printed="(c.status = 'printed')::int",
            cards_handed_over="(c.status = 'handed_over')::int",
        )
        + f" FROM {source} WHERE c.status IN ('issued', 'printed', 'handed_over')"
    )


def bill_flows(source: str, sign: str, member: str = "m") -> str:
    return (
        f"SELECT {sign} AS sign, {member_key(member)}, b.month AS month, b.due_date AS due_date, "
        + _flow_columns(bills="1", billed="b.amount", paid="b.paid")
        + f" FROM {source}"
    )


def stock_insert(facts: list[str]) -> str:
    sums = ", ".join(f"sum(sign * {name})" for name in STOCK)
    nonzero = " OR ".join(f"sum(sign * {name}) <> 0" for name in STOCK)
    union = "\n UNION ALL ".join(facts)
    return (
        f"INSERT INTO dashboards_tally (province_code, regency_code, cooperative_id, {', '.join(STOCK)})\n"
        f"SELECT province, regency, coop, {sums}\n  FROM ({union}) facts\n"
        f" GROUP BY province, regency, coop HAVING {nonzero}"
    )


def flow_insert(facts: list[str]) -> str:
    sums = ", ".join(f"sum(sign * {name})" for name in FLOWS)
    nonzero = " OR ".join(f"sum(sign * {name}) <> 0" for name in FLOWS)
    union = "\n UNION ALL ".join(facts)
    return (
        "INSERT INTO dashboards_monthtally"
        f" (province_code, regency_code, cooperative_id, month, due_date, {', '.join(FLOWS)})\n"
        f"SELECT province, regency, coop, month, due_date, {sums}\n  FROM ({union}) facts\n"
        f" GROUP BY province, regency, coop, month, due_date HAVING {nonzero}"
    )


# The FROM clauses: from a source relation (a transition table, or the moved people's sides) to the member.
E_TO_M = "JOIN members_member m ON m.id = e.member_id"
C_TO_M = "JOIN members_enrollment e ON e.id = c.enrollment_id JOIN members_member m ON m.id = e.member_id"
B_TO_M = "JOIN members_enrollment e ON e.id = b.enrollment_id JOIN members_member m ON m.id = e.member_id"

# A changed row counts as its old side taken away and its new side added; unchanged rows are skipped.
CHANGED = (
    "(SELECT -1 AS sign, o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ({cols}) IS DISTINCT FROM"
    " ({ncols}) UNION ALL SELECT 1 AS sign, n.* FROM new_rows n JOIN old_rows o ON o.id = n.id"
    " WHERE ({cols}) IS DISTINCT FROM ({ncols}))"
)


def changed(columns: tuple[str, ...], alias: str) -> str:
    cols = ", ".join(f"o.{c}" for c in columns)
    ncols = ", ".join(f"n.{c}" for c in columns)
    return CHANGED.format(cols=cols, ncols=ncols) + f" {alias}"


MEMBER_MOVES = (
    "province_id",
    "regency_id",
    "cooperative_id",
    "aid_bpum",
    "aid_kur",
    "merged_into_id",
    "created_at",
)


def _member_bodies() -> dict[str, list[str]]:
    sides = changed(MEMBER_MOVES, "m")
    moved_e = f"{sides} JOIN members_enrollment e ON e.member_id = m.id"
    moved_c = f"{moved_e} JOIN cards_card c ON c.enrollment_id = e.id"
    moved_b = f"{moved_e} JOIN contributions_bill b ON b.enrollment_id = e.id"
    return {
        "INSERT": [
            stock_insert([member_stock("new_rows m", "1")]),
            flow_insert([member_flows("new_rows m", "1")]),
        ],
        "DELETE": [
            stock_insert([member_stock("old_rows m", "-1")]),
            flow_insert([member_flows("old_rows m", "-1")]),
        ],
        "UPDATE": [
            stock_insert(
                [
                    member_stock(sides, "m.sign"),
                    enrollment_stock(moved_e, "m.sign"),
                    card_stock(moved_c, "m.sign"),
                ]
            ),
            flow_insert(
                [
                    member_flows(sides, "m.sign"),
                    enrollment_flows(moved_e, "m.sign"),
                    bill_flows(moved_b, "m.sign"),
                ]
            ),
        ],
    }


def _enrollment_bodies() -> dict[str, list[str]]:
    sides = changed(("status", "submitted_at"), "e")
    return {
        "INSERT": [
            stock_insert([enrollment_stock(f"new_rows e {E_TO_M}", "1")]),
            flow_insert([enrollment_flows(f"new_rows e {E_TO_M}", "1")]),
        ],
        "DELETE": [
            stock_insert([enrollment_stock(f"old_rows e {E_TO_M}", "-1")]),
            flow_insert([enrollment_flows(f"old_rows e {E_TO_M}", "-1")]),
        ],
        "UPDATE": [
            stock_insert([enrollment_stock(f"{sides} {E_TO_M}", "e.sign")]),
            flow_insert([enrollment_flows(f"{sides} {E_TO_M}", "e.sign")]),
        ],
    }


def _card_bodies() -> dict[str, list[str]]:
    sides = changed(("status",), "c")
    return {
        "INSERT": [stock_insert([card_stock(f"new_rows c {C_TO_M}", "1")])],
        "DELETE": [stock_insert([card_stock(f"old_rows c {C_TO_M}", "-1")])],
        "UPDATE": [stock_insert([card_stock(f"{sides} {C_TO_M}", "c.sign")])],
    }


def bills_tally(bills: str, where: str = "") -> str:
    """Add new bills to the tallies: `bills` is a relation of bill rows named `b` (an INSERT's RETURNING rows,
    or the bill table with `where` choosing the new ones: contributions.billing.bills_insert)."""
    return flow_insert([bill_flows(f"{bills} {B_TO_M}" + (f" WHERE {where}" if where else ""), "1")])


def run_tally(selected: str, created: str, everything: str) -> str:
    """Add the monthly run's new bills to the tallies (contributions/billing.py). When every bill the run
    selected was created (`everything`, an SQL condition: a month's first run), they are counted from the
    selected rows, which carry their member's province_id, regency_id and cooperative_id (no second join
    of a million bills with their enrollments and members); otherwise only the created rows (the INSERT's
    RETURNING) are counted, through their enrollment."""
    return flow_insert(
        [
            bill_flows(f"{selected} b WHERE {everything}", "1", member="b"),
            bill_flows(f"{created} b {B_TO_M} WHERE NOT {everything}", "1"),
        ]
    )


# No INSERT: new bills are tallied by their writer (bills_tally, run_tally), under BILL_INSERT_GUARD.
def _bill_bodies() -> dict[str, list[str]]:
    sides = changed(("month", "due_date", "amount", "paid"), "b")
    return {
        "DELETE": [flow_insert([bill_flows(f"old_rows b {B_TO_M}", "-1")])],
        "UPDATE": [flow_insert([bill_flows(f"{sides} {B_TO_M}", "b.sign")])],
    }


# table -> (short name, the bodies by operation, the column that must never change)
SOURCES = {
    "members_member": ("member", _member_bodies, None),
    "members_enrollment": ("enrollment", _enrollment_bodies, "member_id"),
    "cards_card": ("card", _card_bodies, "enrollment_id"),
    "contributions_bill": ("bill", _bill_bodies, "enrollment_id"),
}
OPERATIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
OPERATIONS["UPDATE"] = "OLD TABLE AS old_rows NEW TABLE AS new_rows"


def month_function(time_zone: str) -> str:
    """The month a moment falls in, in the project's time zone (the one the pages show)."""
    zone = time_zone.replace("'", "")
    return (
        "CREATE OR REPLACE FUNCTION dashboards_month(moment timestamptz) RETURNS date"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE"
        f" AS $$ SELECT date_trunc('month', moment AT TIME ZONE '{zone}')::date $$"
    )


def _trigger(table: str, function: str, operation: str, body: list[str]) -> list[str]:
    joined = ";\n".join(body)
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"BEGIN\n{joined};\nRETURN NULL;\nEND\n$body$",
        f"CREATE OR REPLACE TRIGGER {function} AFTER {operation} ON {table}"
        f" REFERENCING {OPERATIONS[operation]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


# The transaction-local setting by which a writer of bills declares that it tallies them (bills_tally).
BILLS_TALLIED = "dashboards.bills_tallied"
BILL_INSERT_GUARD = "dashboards_bill_insert_guard"
BILL_INSERT_TRIGGER = "dashboards_bill_insert"  # until migration 0005


def bill_insert_guard_sql() -> list[str]:
    """The bills' INSERT trigger (a transition table of every new bill) replaced by a guard that refuses an
    INSERT unless its transaction tallies the bills itself. Runs again over itself (install_sql)."""
    return [
        f"DROP TRIGGER IF EXISTS {BILL_INSERT_TRIGGER} ON contributions_bill",
        f"DROP FUNCTION IF EXISTS {BILL_INSERT_TRIGGER}()",
        f"CREATE OR REPLACE FUNCTION {BILL_INSERT_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"BEGIN\nIF current_setting('{BILLS_TALLIED}', true) IS DISTINCT FROM 'on' THEN\n"
        "RAISE EXCEPTION 'contributions_bill: bills inserted without their dashboard tally'"
        " USING HINT = 'Insert bills with contributions.billing (run_month, bills_insert): they add them to"
        f" the dashboard tallies in the same transaction and declare it with"
        f" set_config(''{BILLS_TALLIED}'', ''on'', true).';\n"
        "END IF;\nRETURN NULL;\nEND\n$body$",
        f"CREATE OR REPLACE TRIGGER {BILL_INSERT_GUARD} BEFORE INSERT ON contributions_bill"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {BILL_INSERT_GUARD}()",
    ]


def bill_insert_trigger_sql() -> list[str]:
    """Back to the bills' INSERT trigger (migration 0005 reversed)."""
    return [
        f"DROP TRIGGER IF EXISTS {BILL_INSERT_GUARD} ON contributions_bill",
        f"DROP FUNCTION IF EXISTS {BILL_INSERT_GUARD}()",
        *_trigger("contributions_bill", BILL_INSERT_TRIGGER, "INSERT", [bills_tally("new_rows b")]),
    ]


def install_sql(time_zone: str) -> list[str]:
    """Every function and trigger of the tallies as they are now. Idempotent (CREATE OR REPLACE, and the
    retired bills' INSERT trigger dropped), so that it converges from any earlier set: migration 0002 runs
    it on a new database, where later migrations then change nothing."""
    statements = [month_function(time_zone)]
    for table, (name, bodies_of, fixed) in SOURCES.items():
        bodies = bodies_of()
        for operation in OPERATIONS:
            if operation in bodies:
                statements += _trigger(
                    table, f"dashboards_{name}_{operation.lower()}", operation, bodies[operation]
                )
        if fixed:
            guard = f"dashboards_{name}_keeps_{fixed}"
            statements.append(
                f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
                f"BEGIN RAISE EXCEPTION '{table}.{fixed} cannot change (the dashboard tallies follow it)';"
                " END\n$body$"
            )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {guard} BEFORE UPDATE OF {fixed} ON {table} FOR EACH ROW"
                f" WHEN (OLD.{fixed} IS DISTINCT FROM NEW.{fixed}) EXECUTE FUNCTION {guard}()"
            )
    statements += bill_insert_guard_sql()
    statements.append(COMPACT_FUNCTION)
    return statements


def uninstall_sql() -> list[str]:
    statements = []
    for table, (name, _bodies, fixed) in SOURCES.items():
        for operation in OPERATIONS:
            function = f"dashboards_{name}_{operation.lower()}"
            statements.append(f"DROP TRIGGER IF EXISTS {function} ON {table}")
            statements.append(f"DROP FUNCTION IF EXISTS {function}()")
        if fixed:
            guard = f"dashboards_{name}_keeps_{fixed}"
            statements.append(f"DROP TRIGGER IF EXISTS {guard} ON {table}")
            statements.append(f"DROP FUNCTION IF EXISTS {guard}()")
    statements += [
        f"DROP TRIGGER IF EXISTS {BILL_INSERT_GUARD} ON contributions_bill",
        f"DROP FUNCTION IF EXISTS {BILL_INSERT_GUARD}()",
        "DROP FUNCTION IF EXISTS dashboards_compact()",
        "DROP FUNCTION IF EXISTS dashboards_month(timestamptz)",
    ]
    return statements


# Everything counted afresh from the rows (the rebuild, and the consistency tests' reference).
REBUILD_SQL = [
    stock_insert(
        [
            member_stock("members_member m", "1"),
            enrollment_stock(f"members_enrollment e {E_TO_M}", "1"),
            card_stock(f"cards_card c {C_TO_M}", "1"),
        ]
    ),
    flow_insert(
        [
            member_flows("members_member m", "1"),
            enrollment_flows(f"members_enrollment e {E_TO_M}", "1"),
            bill_flows(f"contributions_bill b {B_TO_M}", "1"),
        ]
    ),
]

# Fold the delta rows into one per key. Rows that concurrent transactions add meanwhile are not yet
# visible to the DELETE and stay as they are, so the sums never change.
_STOCK_SUMS = ", ".join(f"sum({name})" for name in STOCK)
_FLOW_SUMS = ", ".join(f"sum({name})" for name in FLOWS)
COMPACT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION dashboards_compact() RETURNS void LANGUAGE sql AS $body$
WITH gone AS (DELETE FROM dashboards_tally RETURNING *)
INSERT INTO dashboards_tally (province_code, regency_code, cooperative_id, {", ".join(STOCK)})
SELECT province_code, regency_code, cooperative_id, {_STOCK_SUMS} FROM gone
 GROUP BY province_code, regency_code, cooperative_id
HAVING {" OR ".join(f"sum({name}) <> 0" for name in STOCK)};
WITH gone AS (DELETE FROM dashboards_monthtally RETURNING *)
INSERT INTO dashboards_monthtally
       (province_code, regency_code, cooperative_id, month, due_date, {", ".join(FLOWS)})
SELECT province_code, regency_code, cooperative_id, month, due_date, {_FLOW_SUMS} FROM gone
 GROUP BY province_code, regency_code, cooperative_id, month, due_date
HAVING {" OR ".join(f"sum({name}) <> 0" for name in FLOWS)};
$body$
"""
