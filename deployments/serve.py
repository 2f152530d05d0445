"""The deployments, declared once: collection on the configured interval, the sweep (escalate
lapsed deadlines, dispatch the outbox) every `sweep.interval_seconds`, and the manual re-run of
a stuck case (no schedule; started from the Prefect UI with a `case_id`).
`serve_forever` migrates the database, checks every channel URL, starts the web app (console
and action links, on `web.host:web.port`) in a thread, and serves the schedules until Ctrl-C."""

from __future__ import annotations

import logging
from typing import Any

from deployments.local_server import prefect_api
from yuqing.runtime import prepare
from yuqing.settings import SettingsError

log = logging.getLogger(__name__)


def deployments(config: str | None) -> list[Any]:
    """The RunnerDeployments `yuqing serve` runs; parameters carry the config path, no secrets."""
    from deployments.rerun import rerun_deployment
    from flows.collect import collect
    from flows.sweep import sweep

    settings = prepare(config).settings
    parameters = {"config": config}
    return [
        collect.to_deployment(
            name="scheduled", interval=settings.collect.interval_seconds, parameters=parameters
        ),
        sweep.to_deployment(
            name="scheduled", interval=settings.sweep.interval_seconds, parameters=parameters
        ),
        rerun_deployment(config),  # no schedule: started from the Prefect UI with a case_id
    ]


def check_channels(config: str | None) -> None:
    """Refuse to start with a channel URL Apprise cannot use; log URLs in privacy form only."""
    from notifications.channels import is_valid_url, privacy_url

    settings = prepare(config).settings
    problems = []
    for channel_id, secret in settings.secrets.channels.items():
        url = secret.get_secret_value()
        if not is_valid_url(url):
            problems.append(f"secrets.channels.{channel_id}: Apprise 无法识别 {privacy_url(url)}")
        else:
            log.info("channel %s: %s", channel_id, privacy_url(url))
    if problems:
        raise SettingsError(problems)


def serve_forever(config: str | None) -> None:
    """Check channels, start the wake-up loop (escalations at their due time, see
    `deployments.wakeup`; the scheduled sweep is its backstop), then serve the schedules."""
    from deployments.wakeup import start_wake_thread
    from yuqing.web.server import start_web_thread

    check_channels(config)
    _, stop_waking = start_wake_thread(prepare(config))
    web = start_web_thread(config)
    with prefect_api(prepare(config).settings.general.data_dir):
        # Imported only now: Prefect reads PREFECT_API_URL when it is first imported.
        from prefect import serve

        try:
            serve(*deployments(config), print_starting_message=True)
        except KeyboardInterrupt:
            log.info("stopped by Ctrl-C")
        finally:
            stop_waking.set()
            if web is not None:
                web.stop()
