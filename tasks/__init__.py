"""Prefect tasks: thin, idempotent wrappers that open a session, call the repository and the
pure functions, and commit; plus the plain HTTP fetch they use. One task per source fetch and
per batch, never one per item."""
