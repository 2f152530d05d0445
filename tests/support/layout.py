"""How a console page lays out in a real browser, measured the way a person holding a phone would
notice it: the page's width against the viewport's (anything wider scrolls sideways), and every
piece of text wrapped about one character per line (a column too narrow for its words:
剩/余/1/小/时), with every folded form (<details>) opened first, so forms count too. `measure` runs
one script in the page; `SIZES` are the two screens every page is checked at (a phone held
upright and a small laptop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SIZES = {"phone": (390, 844), "laptop": (1366, 900)}

# Each visible text node of two or more characters: the number of line boxes it occupies (its
# client rects grouped by top). Text wrapped about one character per line has as many lines as
# characters (a ratio under 1.5 characters a line counts).
_SCRIPT = """() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });  // every form shown
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const width = Math.max(root.scrollWidth, document.body.scrollWidth);
  const narrow = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, "");
    const host = node.parentElement;
    if (text.length < 2 || !host || host.closest("script,style,option,noscript")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0);
    const lines = new Set(rects.map(r => Math.round(r.top))).size;
    if (lines >= 2 && text.length / lines < 1.5) narrow.push(text.slice(0, 24));
  }
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > viewport + 1 && wide.length < 8) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
      wide.push(name + " " + Math.round(box.right));
    }
  }
  return {width, viewport, narrow, wide};
}"""


@dataclass(frozen=True)
class Layout:
    """One page at one size: its width, the viewport's, the texts wrapped per character and
    the first elements reaching past the right edge."""

    width: int
    viewport: int
    narrow: tuple[str, ...]
    wide: tuple[str, ...]

    @property
    def overflows(self) -> bool:
        return self.width > self.viewport

    def problems(self) -> list[str]:
        found = []
        if self.overflows:
            found.append(f"宽 {self.width}px，超出屏幕 {self.viewport}px：{', '.join(self.wide)}")
        if self.narrow:
            found.append(f"逐字换行：{'、'.join(self.narrow[:8])}")
        return found


def measure(page: Any) -> Layout:
    """The layout of the page the Playwright `page` shows now."""
    found = page.evaluate(_SCRIPT)
    return Layout(
        width=int(found["width"]),
        viewport=int(found["viewport"]),
        narrow=tuple(found["narrow"]),
        wide=tuple(found["wide"]),
    )
