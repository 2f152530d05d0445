"""Pure tests: no database, no server."""
