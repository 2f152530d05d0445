"""How yuqing runs: `yuqing serve` (`serve`: the embedded default, its deployments' runs inside
the process, `inprocess`; or the distributed setup's console and wake-ups, `pool`), `yuqing
worker` (`worker`: Prefect's process worker for the pool), the deployments declared once
(`declared`), the Prefect API each process uses (`prefect_api`; a local server started for it,
`local_server`), the wake-up loop (`wakeup`), and the watchdog that lets no started process
outlive its owner (`reaper`; ending processes one way for all, `processes`). `compose.yaml`,
`Dockerfile` and `yuqing.example.toml` describe the distributed setup for Docker Compose."""
