"""The security headers on every answer of the web app: a Content-Security-Policy that runs only
the app's own script and style files (no inline script; inline style attributes only), lets no
other site frame a page (`frame-ancestors 'none'`, and X-Frame-Options for old browsers) and
posts forms only to the app; `nosniff`; no Referer (a link's token must never leak to a site it
points at); and `Cache-Control: no-store` on everything but the static files, since pages carry
action links, CSRF tokens and case details. A header a route set itself is kept."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
STATIC = "/static/"


def security_headers(path: str) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache" if path.startswith(STATIC) else "no-store",
    }
    return headers


class SecurityHeaders:
    """Pure ASGI middleware (it does not buffer bodies, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.decode("latin-1").lower() for name, _ in raw}
                raw += [
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in extra.items()
                    if name.lower() not in present
                ]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)
