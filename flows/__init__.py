"""Prefect flows, each reading like the runbook: collect (scheduled), sweep (lapsed deadlines
to escalations, then dispatch of the outbox), escalate (the distributed setup's wake-up run on
a worker), rerun (a stuck case)."""
