"""The process the crash test kills: escalation cycles (sweep + dispatch, plain functions, no
Prefect) in a loop on the real clock. `python -m tests.support.crash_worker DB_URL URLS_JSON`;
prints "ready" once imported, so the test kills it while it works, not while it starts."""

from __future__ import annotations

import json
import sys
import time

from models.policy.clocks import utc_now
from models.store.db import make_engine
from models.store.presets import default_policy
from notifications.outbox.context import DeliveryContext
from settings import Dispatch
from tests.support.escalation import cycle


def main(database_url: str, urls_json: str) -> None:
    urls: dict[str, str] = json.loads(urls_json)
    engine = make_engine(database_url)
    ctx = DeliveryContext(policy=default_policy())
    options = Dispatch(heartbeat_seconds=0.25, claimer_timeout_seconds=1.0)
    print("ready", flush=True)
    while True:
        cycle(engine, utc_now(), urls, ctx=ctx, options=options, batch_size=5)
        time.sleep(0.005)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
