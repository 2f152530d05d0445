"""Every console page's layout at a phone's size (390×844) and a small laptop's (1366×900) in
Debian's Chromium: each page's width in pixels against the screen's, and the texts wrapped one
character per line. The office is `tests.support.showcase` (a case at every step, overdue
alerts, a reviewed case, a stored report, a link) on a throw-away SQLite database, the console
on uvicorn in a thread, signed in as 王芳 (office staff).

    uv run python bench/pages.py            # one line per page and size, then one JSON object

The final line is one JSON object: {page: {size: {"width": px, "viewport": px, "narrow": n}}}.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests.support import showcase
from tests.support.browser import ARGS, CHROMIUM
from tests.support.layout import SIZES, measure
from tests.support.web import PASSWORD


def run(directory: Path) -> dict[str, dict[str, dict[str, int]]]:
    figures: dict[str, dict[str, dict[str, int]]] = {}
    with showcase.served_showcase(directory) as (base, show, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                viewport={"width": width, "height": height},
            )
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("用户名").fill("wang")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_load_state()
            for name, path in showcase.pages(show).items():
                page.goto(base + path)
                layout = measure(page)
                figures.setdefault(name, {})[size] = {
                    "width": layout.width,
                    "viewport": layout.viewport,
                    "narrow": len(layout.narrow),
                }
                print(
                    f"{name:12} {size:6} {layout.width:5}px / {layout.viewport}px  "
                    f"{'；'.join(layout.problems()) or 'ok'}",
                    flush=True,
                )
            context.close()
        browser.close()
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="yuqing-pages-") as tmp:
        figures = run(Path(tmp))
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
