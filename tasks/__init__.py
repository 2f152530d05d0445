"""Prefect tasks and the plain functions they wrap. The tasks (`act`, `collect`, `steps`,
`sweep`, `rerun`, `calendar_notice`, the reports') are thin, idempotent wrappers that open a
session, call the repository and the pure functions, hand notices on and commit: one per source
fetch and per batch, never one per item. Beside them, plain functions the tasks, the commands
and the console share: the escalation runbook (`escalation`), what run time needs built from the
settings (`runtime`), fetching over HTTP (`http`, `inflate`), building and sending reports, the
per-case archive, the accountability ledger, and a pool run's heartbeat (`run_beat`)."""
