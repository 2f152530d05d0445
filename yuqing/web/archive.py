"""The console's download of a case's file (立卷归档): `GET /cases/{id}/archive` gives the same
zip as `yuqing case archive` — records as CSV/JSON, the documents issued, a SHA-256 manifest —
to the office roles only (the catalogue's page `archive`); the export is noted on the case's
timeline."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from models.repo.cases import CaseError
from tasks.archive import archive_case
from yuqing.web.admit import admit
from yuqing.web.pages import now_of, runtime_of
from yuqing.web.report_common import message
from yuqing.web.security import SignedIn

router = APIRouter(tags=["archive"])


def mount(app: FastAPI) -> None:
    app.include_router(router)


@router.get("/cases/{case_id}/archive")
async def download_archive(request: Request, case_id: int) -> Response:
    user = admit(request, "archive")
    if not isinstance(user, SignedIn):
        return user
    try:
        content, _ = await run_in_threadpool(
            archive_case, runtime_of(request), case_id=case_id, now=now_of(request), by=user.person
        )
    except CaseError as exc:
        return message(request, user, str(exc), 404)
    name = f"case-{case_id}.zip"
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
