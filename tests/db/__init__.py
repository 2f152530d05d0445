"""Database tests: each runs on SQLite and on PostgreSQL."""
