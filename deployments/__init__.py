"""How yuqing runs: `yuqing serve` on the embedded default (Prefect's local mode, SQLite), with
the scheduled deployments declared in one place (`deployments.serve`)."""
