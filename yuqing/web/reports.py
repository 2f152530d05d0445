"""The console's report pages: the accountability ledger (问责台账) with the judgement form and its
export, the stored reports with their downloads and the re-run of stuck ones, the signed
download link that report messages carry, and the failed reports shown on the stuck page.
`mount` adds all of it, and 统计 (`yuqing.web.stats`), to the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from models.policy.permissions import ROLE_LABELS, office_refusal
from models.repo.access import scope_of, sees_case
from models.repo.cases import CaseError
from models.repo.reports.store import get_report, list_reports, sending, stuck_reports
from models.reports.accountability import LedgerFilter, Verdict, verdict_text
from models.reports.formats import MIME
from models.reports.labels import CONSEQUENCE_LABELS
from models.reports.periods import KIND_LABELS, Period, PeriodError, ReportKind
from models.reports.status import DELIVERY_LABELS, Consequence
from models.store.db import session_scope
from models.store.tables import AccountabilityRecord
from tasks.reports.accountability import judge_record, ledger_document, ledger_rows
from tasks.reports.context import download_signer
from tasks.reports.links import DownloadRefused
from tasks.reports.render import render
from tasks.reports.rerun import rerun_reports
from yuqing.web.admit import admit
from yuqing.web.pages import ENV, chrome, csrf_valid, now_of, page, redirect, runtime_of
from yuqing.web.report_common import message, shown_period
from yuqing.web.security import SignedIn
from yuqing.web.stats import router as stats_router
from yuqing.web.validate import read_form, valid_path_ids

router = APIRouter(tags=["reports"], dependencies=[Depends(valid_path_ids)])


def mount(app: FastAPI) -> None:
    """The report pages, and the stuck page's list of failed reports."""
    app.include_router(router)
    app.include_router(stats_router)
    ENV.globals["stuck_report_rows"] = stuck_report_rows


def _ledger_query(request: Request) -> tuple[Period | None, LedgerFilter]:
    params = request.query_params
    month, verdict = params.get("month", ""), params.get("verdict", "")
    if verdict and verdict not in {v.value for v in Verdict}:
        raise PeriodError("verdict 只能是 pending、justified 或 unjustified")
    period = shown_period(request, ReportKind.MONTHLY, month, "") if month else None
    return period, LedgerFilter(verdict=Verdict(verdict) if verdict else None)


@router.get("/accountability", response_class=HTMLResponse)
def ledger_page(request: Request) -> Response:
    user = admit(request, "accountability")
    if not isinstance(user, SignedIn):
        return user
    try:
        period, where = _ledger_query(request)
    except PeriodError as exc:
        return message(request, user, str(exc), 400)
    runtime = runtime_of(request)
    labels = {p.id: p.name for p in runtime.settings.people}
    rows = [
        {
            "r": row,
            "grade": runtime.policy.scheme.level(row.grade).label,
            "role": ROLE_LABELS.get(row.owner_role, row.owner_role),
            "people": "、".join(labels.get(p, p) for p in row.responsible) or "未配置",
            "verdict": verdict_text(row),
            "consequence": CONSEQUENCE_LABELS.get(row.judgement.consequence, "")
            if row.judgement
            else "",
            "judged_by": labels.get(row.judgement.judged_by, row.judgement.judged_by)
            if row.judgement
            else "",
        }
        for row in ledger_rows(
            runtime, period=period, where=where, scope=scope_of(user.standing, runtime.policy)
        )
    ]
    query = {k: v for k, v in request.query_params.items() if k in ("month", "verdict") and v}
    context = {
        "rows": rows,
        "month": request.query_params.get("month", ""),
        "verdict": where.verdict.value if where.verdict else "",
        "can_judge": office_refusal("judge", user.standing) is None,
        "consequences": [(c.value, CONSEQUENCE_LABELS[c.value]) for c in Consequence if c.value],
        "export": urlencode(query),
    }
    return page(request, "accountability.html", {**chrome(request, user), **context})


@router.post("/accountability/{record_id}/judge", response_class=HTMLResponse)
async def judge(request: Request, record_id: int) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(admit, request, "accountability")
    if not isinstance(user, SignedIn):
        return user
    if not csrf_valid(request, form.get("csrf")):
        return message(request, user, "表单已失效，请刷新页面后重试", 403)
    reason = await run_in_threadpool(_may_judge, request, user, record_id)
    if reason is not None:
        return message(request, user, reason, 403)
    back = form.get("back") or "/accountability"
    back = back if back.startswith("/accountability") else "/accountability"
    try:
        if form.get("justified") not in ("yes", "no"):
            raise CaseError("请选择研判结论：理由成立或不成立")
        if form.get("consequence", "") not in {c.value for c in Consequence}:
            raise CaseError("处理建议无法识别")
        await run_in_threadpool(
            judge_record,
            runtime_of(request),
            record_id=record_id,
            justified=form["justified"] == "yes",
            reason=form.get("reason", ""),
            by=user.person,
            at=now_of(request),
            consequence=Consequence(form.get("consequence", "")),
        )
    except CaseError as exc:
        return redirect(back, flash=f"未能记录研判：{exc}", request=request)
    return redirect(back, flash=f"已记录对逾期记录 {record_id} 的研判", request=request)


@router.get("/accountability/export")
def ledger_export(request: Request, format: str = "xlsx") -> Response:
    user = admit(request, "accountability")
    if not isinstance(user, SignedIn):
        return user
    if format not in ("xlsx", "csv"):
        return message(request, user, "导出格式只能是 xlsx 或 csv", 400)
    try:
        period, where = _ledger_query(request)
    except PeriodError as exc:
        return message(request, user, str(exc), 400)
    runtime = runtime_of(request)
    scope = scope_of(user.standing, runtime.policy)
    document = ledger_document(
        runtime, now=now_of(request), period=period, where=where, scope=scope
    )
    name = f"accountability-{period.label if period else 'all'}.{format}"
    return _file(render(document, format), name, format)


def _may_judge(request: Request, user: SignedIn, record_id: int) -> str | None:
    """Why the person may not judge this record (their roles, or a case outside their scope)."""
    reason = office_refusal("judge", user.standing)
    if reason is not None:
        return reason
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        record = session.get(AccountabilityRecord, record_id)
        if record is None:
            return None  # the judgement names the unknown record
        if not sees_case(session, user.standing, record.case_id, runtime.policy):
            return f"问责记录 {record_id} 所属案件不在您的职责范围内，无权研判"
    return None


def _file(content: bytes, filename: str, format: str) -> Response:
    disposition = f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content,
        media_type=MIME.get(format, "application/octet-stream"),
        headers={"Content-Disposition": disposition},
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> Response:
    user = admit(request, "reports")
    if not isinstance(user, SignedIn):
        return user
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        reports = list(list_reports(session))
        states = sending(session, reports)
        stuck = {s.report.id: s.reason for s in stuck_reports(session, now=now_of(request))}
    rows = [
        {
            "r": r,
            "kind": KIND_LABELS[r.kind],
            "delivery": DELIVERY_LABELS[states[r.id or 0].state],
            "stuck": stuck.get(r.id),
        }
        for r in reports
    ]
    context = {"rows": rows, "can_rerun": office_refusal("rerun_report", user.standing) is None}
    return page(request, "reports.html", {**chrome(request, user), **context})


@router.get("/reports/{report_id}/file")
def report_file(request: Request, report_id: int) -> Response:
    user = admit(request, "reports")
    if not isinstance(user, SignedIn):
        return user
    return _stored(request, report_id) or message(request, user, "报告尚未生成成功", 404)


def _stored(request: Request, report_id: int) -> Response | None:
    try:
        with session_scope(runtime_of(request).engine) as session:
            report = get_report(session, report_id)
            if report.content is None:
                return None
            return _file(report.content, report.filename, report.format)
    except CaseError:
        return None


@router.get("/reports/{report_id}/download", response_class=HTMLResponse)
def signed_download(
    request: Request, report_id: int, r: str = "", e: str = "", s: str = ""
) -> Response:
    """The link a report message carries: works without signing in until it expires."""
    signer = download_signer(runtime_of(request).settings)
    try:
        if signer is None:
            raise DownloadRefused("本系统未配置下载链接")
        signer.check(report_id=report_id, recipient=r, expires=e, tag=s, now=now_of(request))
    except DownloadRefused as exc:
        return page(request, "message.html", {"message": str(exc)}, status=403)
    found = _stored(request, report_id)
    return found or page(request, "message.html", {"message": "报告尚未生成成功"}, status=404)


@router.post("/reports/{report_id}/rerun", response_class=HTMLResponse)
async def rerun(request: Request, report_id: int) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(admit, request, "reports")
    if not isinstance(user, SignedIn):
        return user
    if not csrf_valid(request, form.get("csrf")):
        return message(request, user, "表单已失效，请刷新页面后重试", 403)
    reason = office_refusal("rerun_report", user.standing)
    if reason is not None:
        return message(request, user, reason, 403)
    try:
        await run_in_threadpool(
            rerun_reports, runtime_of(request), now=now_of(request), report_ids=[report_id]
        )
    except CaseError as exc:
        return redirect("/reports", flash=f"未能重跑：{exc}", request=request)
    return redirect("/reports", flash=f"报告 {report_id} 已重跑", request=request)


def stuck_report_rows(request: Request) -> list[Mapping[str, Any]]:
    """The failed reports the stuck page lists (called from its template)."""
    with session_scope(runtime_of(request).engine) as session:
        found = stuck_reports(session, now=now_of(request))
        return [
            {
                "id": s.report.id,
                "kind": KIND_LABELS[s.report.kind],
                "label": s.report.label,
                "reason": s.reason,
            }
            for s in found
        ]
