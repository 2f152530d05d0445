"""End-to-end tests: the CLI, serve, the links and the console in Chromium."""
