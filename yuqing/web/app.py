"""The web app factory: one FastAPI app per settings file, with the intake endpoint, the pages of
the signed one-click action links, the case console and its channel-health page. Nothing is
built at import time; `create_app` prepares the runtime (database migrated, sources synced) so
a bad configuration fails at start, not at the first request. The app reads the clock from
`app.state.now` (default `utc_now`), so tests move time without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from models.policy.clocks import utc_now
from tasks.runtime import prepare
from yuqing.web.channels import router as channels_router
from yuqing.web.console import router as console_router
from yuqing.web.intake import router as intake_router
from yuqing.web.link_pages import router as link_router


def create_app(config: str | None = None, *, now: Callable[[], datetime] = utc_now) -> FastAPI:
    prepare(config)
    app = FastAPI(title="yuqing", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.now = now
    app.include_router(intake_router)
    app.include_router(link_router)
    app.include_router(console_router)
    app.include_router(channels_router)
    return app
