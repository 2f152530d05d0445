"""What `yuqing serve` runs to escalate and alert, without Prefect or the console: the wake-up
loop (sweep at each due time) and the dispatch service (`deployments.dispatcher`), until
SIGTERM. `bench/crash.py` kills it with SIGKILL at random moments.

    python bench/crash_worker.py CONFIG     # prints "ready" once it runs"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deployments.dispatcher import DispatchService
from deployments.wakeup import Waker, wake_loop
from tasks.runtime import prepare


def main(config: str) -> None:
    waker = Waker()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        waker.halt()

    signal.signal(signal.SIGTERM, stopping)
    runtime = prepare(config)
    service = DispatchService(runtime, config, say=lambda _text: None)
    service.start()
    print("ready", flush=True)
    try:
        wake_loop(runtime, config, waker, kick=service.kick)
    finally:
        service.stop()


if __name__ == "__main__":
    main(sys.argv[1])
