"""The console's download of a case's file (立卷归档): `GET /cases/{id}/archive` gives the same
zip as `yuqing case archive` — records as CSV/JSON, the documents issued, a SHA-256 manifest —
to the office (办公室工作人员、办公室负责人) only; the export is noted on the case's timeline."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from models.repo.cases import CaseError
from tasks.archive import archive_case
from yuqing.web.pages import ENV, now_of, redirect, runtime_of
from yuqing.web.report_common import message
from yuqing.web.signin import current_user

router = APIRouter(tags=["archive"])
ARCHIVE_ROLES = frozenset({"office_staff", "office_head"})  # the office files the cases


def may_archive(roles: tuple[str, ...]) -> bool:
    return bool(ARCHIVE_ROLES & set(roles))


def mount(app: FastAPI) -> None:
    """The download, and `may_archive` for the case page's link."""
    app.include_router(router)
    ENV.globals["may_archive"] = may_archive


@router.get("/cases/{case_id}/archive")
async def download_archive(request: Request, case_id: int) -> Response:
    user = current_user(request)
    if user is None:
        return redirect(f"/login?next={quote(request.url.path)}")
    if not may_archive(user.roles):
        return message(request, user, "只有办公室人员可以导出案卷", 403)
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
