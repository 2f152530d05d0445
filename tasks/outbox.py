"""Sending the outbox as a Prefect task: one dispatch round of everything due (`dispatch_outbox`,
what the `case` flow does after its steps), and the sending the escalation tasks hand their runs
(`sending`: a round here, beside any running dispatcher)."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from tasks.escalation import Send, dispatching
from tasks.runtime import Runtime, prepare


def sending(runtime: Runtime) -> Send:
    """One dispatch round here, with the runtime's channels, dispatch options and language."""
    return dispatching(
        runtime.engine,
        channel_url=runtime.channel_url,
        options=runtime.settings.dispatch,
        language=runtime.settings.general.language,
    )


@task(retries=2, retry_delay_seconds=[1, 5])
def dispatch_outbox(at: datetime, config: str | None = None) -> dict[str, int]:
    """One dispatch round: send everything due by `at`; failures stay for a later round."""
    return sending(prepare(config))(at)
