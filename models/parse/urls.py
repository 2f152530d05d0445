"""Links as items carry them: resolving a feed's relative link against its base, refusing a link
that still names no host, and the canonical form under which a page is stored once (scheme and
host lower-cased, `www.`, default ports, fragments and tracking parameters dropped, the query
sorted). A canonical URL always keeps its host, so pages on two hosts never share one. Pure
functions: no I/O."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = ("utm_", "spm", "from", "share", "fbclid", "gclid", "isappinstalled", "scene")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL = 2048
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f\ud800-\udfff]")
URN_PREFIX = "urn:"  # pushed and registered records without a page: their own ids
# An absolute link urljoin returns as it is (no params, fragment or empty query to drop): most.
_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~!$&'()*+,=:@%/-]*)?"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@%/?-]+)?"
)
# A plain http(s) URL in printable ASCII, in pieces: scheme, host, port, path, query.
_SIMPLE = re.compile(
    r"(https?)://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?(?::(\d{1,5}))?"
    r"(/[!-\"$->@-~]*)?(?:\?([!-\"$-~]*))?(?:#[!-~]*)?"
)
# The common case, checked without taking the URL apart: http(s), a plain host, printable ASCII.
_PLAIN = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?(?::(\d{1,5}))?(?:[/?#][!-~]*)?")


def resolve_link(link: str, base: str | None) -> str:
    """The link made absolute against `base` (the element's xml:base or the feed's URL)."""
    link = link.strip()
    if not (base and link) or _ABSOLUTE.fullmatch(link):  # urljoin would return it unchanged
        return link
    return urljoin(base, link)


def link_problem(url: str) -> str | None:
    """Why `url` cannot be an item's page (in Chinese, for the run record), or None."""
    if len(url) > MAX_URL:
        return f"链接过长（超过 {MAX_URL} 个字符）"
    if (plain := _PLAIN.fullmatch(url)) and int(plain.group(1) or 0) <= 65535:
        return None
    if url.startswith(URN_PREFIX):  # a record's own id: spaces allowed, nothing unstorable
        return "链接含控制字符或无效字符" if _UNSTORABLE.search(url) else None
    if _BAD_CHARS.search(url):
        return "链接含空白、控制字符或无效字符"
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        return "链接格式错误"
    if parts.scheme.lower() not in DEFAULT_PORTS:
        return "链接不是 http(s) 地址"
    if not _host(parts.hostname):
        return "链接没有主机名"
    return None


def canonical_url(url: str) -> str:
    """The form a page is stored under; `urn:` ids are kept as they are. Raises ValueError for a
    URL `link_problem` refuses (callers check first)."""
    url = url.strip()
    if (simple := _SIMPLE.fullmatch(url)) and int(simple.group(3) or 0) <= 65535:
        # The common case, taken apart by one match rather than by urlsplit (same pieces).
        scheme, host, port, path, query = simple.groups()
        number = int(port) if port else None
        return _assemble(scheme, host.lower(), number, path or "", query or "")
    problem = link_problem(url)
    if problem is not None:
        raise ValueError(f"{problem}: {url[:200]!r}")
    if url.startswith(URN_PREFIX):
        return url
    parts = urlsplit(url)
    return _assemble(
        parts.scheme.lower(), _host(parts.hostname), parts.port, parts.path, parts.query
    )


def _assemble(scheme: str, host: str, port: int | None, path: str, query: str) -> str:
    host = host.rstrip(".").removeprefix("www.")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    path = path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(kept)) if kept else "", ""))


def _host(hostname: str | None) -> str:
    return (hostname or "").lower().rstrip(".")
