"""The web app factory: one FastAPI app per settings file, with the intake router (the console
joins it later). Nothing is built at import time; `create_app` prepares the runtime (database
migrated, sources synced) so a bad configuration fails at start, not at the first request."""

from __future__ import annotations

from fastapi import FastAPI

from yuqing.runtime import prepare
from yuqing.web.intake import router as intake_router


def create_app(config: str | None = None) -> FastAPI:
    prepare(config)
    app = FastAPI(title="yuqing", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.include_router(intake_router)
    return app
