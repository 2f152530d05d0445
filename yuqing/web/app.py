"""The web app factory: one FastAPI app per settings file, with the intake endpoint, the pages of
the signed one-click action links, sign-in, the case console and its channel-health page, the static
script and style files, the security headers on every answer (`yuqing.web.headers`) and Chinese
pages for what it cannot serve (`yuqing.web.errors`). Nothing is built at import time; `create_app`
prepares the runtime (database migrated, sources synced) so a bad configuration fails at start, not
at the first request. The app reads the clock from `app.state.now` (default `utc_now`), so tests
move time without sleeping. After an action it calls `app.state.after_change(case_id)`: the
process's runner (`yuqing serve`, `yuqing web`) is woken to carry out the steps at once; without one
(the default) they wait for the next runner to look."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from models.policy.clocks import utc_now
from tasks.runtime import prepare
from yuqing.web import errors
from yuqing.web.archive import mount as mount_archive
from yuqing.web.channels import router as channels_router
from yuqing.web.console import router as console_router
from yuqing.web.headers import SecurityHeaders
from yuqing.web.health import router as health_router
from yuqing.web.intake import router as intake_router
from yuqing.web.link_pages import router as link_router
from yuqing.web.local_act import router as local_act_router
from yuqing.web.mywork import router as mywork_router
from yuqing.web.reports import mount as mount_reports
from yuqing.web.signin import router as signin_router

STATIC = Path(__file__).parent / "static"


def create_app(
    config: str | None = None,
    *,
    now: Callable[[], datetime] = utc_now,
    after_change: Callable[[int], None] = lambda _case_id: None,
    act_token: str | None = None,
) -> FastAPI:
    prepare(config)
    app = FastAPI(title="yuqing", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.now = now
    app.state.after_change = after_change
    app.state.act_token = act_token  # None: no command acts through this app (`local_act`)
    app.state.signin_lock = threading.Lock()  # the throttle's check and its record, together
    app.state.process_key = secrets.token_bytes(32)  # CSRF key when the secrets have none
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(intake_router)
    app.include_router(link_router)
    app.include_router(signin_router)
    app.include_router(console_router)
    app.include_router(mywork_router)
    app.include_router(channels_router)
    app.include_router(health_router)
    app.include_router(local_act_router)
    mount_archive(app)
    mount_reports(app)
    return app
