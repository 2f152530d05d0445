"""Prefect flows, each reading like the runbook: collect (scheduled), sweep (lapsed deadlines
to escalations, then dispatch of the outbox)."""
