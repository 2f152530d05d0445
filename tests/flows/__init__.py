"""Real Prefect flow runs."""
