"""Helpers for yuqing's test suite that are not tests themselves: today, the private PostgreSQL
server (`tests.support.postgres`) that the database fixtures in `tests/conftest.py` run on."""
