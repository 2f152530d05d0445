"""How the web app answers what it cannot serve: a value refused by `yuqing.web.validate`, a
parameter FastAPI could not parse, a path or method it does not have, and (should one slip
through) an unexpected error, each as a page in Chinese with the right status and no traceback
or echo of the input. The intake endpoint (`/intake/...`) keeps FastAPI's own JSON answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from yuqing.web.headers import security_headers
from yuqing.web.pages import ENV
from yuqing.web.validate import Invalid

STATUS_TEXT = {
    400: "请求无效",
    404: "页面不存在",
    405: "不支持此请求方式",
    413: "提交的内容过大",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/intake")


def message_page(message: str, status: int) -> HTMLResponse:
    """A bare message page (no session is read: the request may be the problem)."""
    html = ENV.get_template("message.html").render(message=message, csrf="", flash="")
    return HTMLResponse(html, status_code=status)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Invalid)
    return message_page(exc.message, exc.status)


async def _unparsed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        return await request_validation_exception_handler(request, exc)
    names = sorted({str(e["loc"][-1])[:40] for e in exc.errors() if e.get("loc")})
    return message_page(f"参数无效：{'、'.join(names) or '请求'}", 422)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return await http_exception_handler(request, exc)
    response = message_page(STATUS_TEXT.get(exc.status_code, "无法处理此请求"), exc.status_code)
    response.headers.update(exc.headers or {})
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Starlette logs the error after this answer; this answer is outside the headers middleware.
    response = message_page("系统内部错误，已记录。请稍后再试或联系管理员。", 500)
    response.headers.update(security_headers(request.url.path))
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(Invalid, _invalid)
    app.add_exception_handler(RequestValidationError, _unparsed)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
