"""Coverage dashboards: targets per region and the figures of a user's area.

Why here: the dashboard reads members, enrollments, cards and bills together, so it stands after every
domain app (umkm_enroll <- cooperatives <- members <- contributions <- cards <- dashboards). The top level
of the repository is fixed, so it lives under `umkm_enroll/` beside the other cross-cutting apps; unlike
them it depends on the domain apps, and keeps the one-way rule for Python imports by importing them only
inside functions and naming their tables in SQL. Nothing in the domain apps imports it but `tally_sql.py`
(SQL text, no models), with which the monthly run (contributions/billing.py) tallies its own bills.

The figures come from two tally tables kept by PostgreSQL statement-level triggers (`tally_sql.py`), and
for new bills by their writer: always consistent with the rows, in the same transaction, without a scan of
a million rows per page view.
"""
