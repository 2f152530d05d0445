"""Helpers for yuqing's tests that are not tests themselves, shared by the tests and the
benchmarks (bench/ imports them; nothing here imports bench): the private PostgreSQL server the
database fixtures run on (`postgres`), offices written as config files (`configs`, `web`), cases
driven through their deadlines (`escalation`), the outbox filled straight (`outbox`), the browser
(`browser`), the platforms' stand-ins over TLS (`platforms`, `tls`) and the worlds of the
property tests (`properties`, `webfuzz*`)."""
