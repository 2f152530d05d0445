"""The report engine's pure core: report kinds and periods, the rows the figures are computed
from, the figures as truth tables (deadlines met, times to act, overdue units, counts, regrades,
decisions, referrals), the S0-14 ledger, the accountability ledger, the daily digest, the
quick-report document and the file formats, all as plain values.

Modules here import only the standard library and the pure `models.policy`; never an ORM, a
file format library or Prefect (`tests/unit/test_floors.py`). The rows are gathered by
`models.repo.reports`; files are rendered by `tasks.reports.render`."""
