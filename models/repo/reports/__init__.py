"""The reports wing's repository functions: the queries behind the figures (`queries`) and the
one read-only pass that feeds them (`gather`), the stored reports and where their sending stands
(`store`), a case's quick-report facts and issue numbers (`quick`), and the accountability
ledger (`accountability`: the lapse records the sweep writes, their evidence, people's
judgements). Keyword-only functions over a Session; none queues or sends anything."""
