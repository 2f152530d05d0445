"""Server-rendered SVG charts for the statistics page, read at a glance without any script or
outside library: horizontal bars of a rate (on-time rate by unit, by obligation; red below the
target) and stacked columns of counts over time (cases by grade, by category). Every label is
escaped; the result is safe markup for the templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#c62828", "#ef6c00", "#f9a825", "#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#5d4037")
TARGET = 0.9  # an on-time rate below this is drawn in red
ROW = 26
LABEL_W = 180
BAR_W = 360


def rate_bars(
    title: str, rows: Sequence[tuple[str, float | None, int]], *, chart_id: str
) -> Markup:
    """One bar per (label, rate 0..1 or None, deadlines counted); None draws no bar."""
    height = ROW * max(1, len(rows)) + 30
    width = LABEL_W + BAR_W + 120
    parts = [_open(chart_id, width, height, title)]
    parts.append(f'<text x="0" y="14" class="t">{escape(title)}</text>')
    for n, (label, rate, counted) in enumerate(rows):
        y = 24 + n * ROW
        parts.append(_text(LABEL_W - 6, y + 15, label, anchor="end"))
        if rate is not None:
            colour = "#2e7d32" if rate >= TARGET else "#c62828"
            parts.append(
                f'<rect x="{LABEL_W}" y="{y + 3}" width="{BAR_W * rate:.1f}" height="{ROW - 8}" '
                f'fill="{colour}" data-label="{escape(label)}" data-rate="{rate:.4f}"/>'
            )
        shown = "—" if rate is None else f"{rate * 100:.1f}%"
        parts.append(_text(LABEL_W + BAR_W + 6, y + 15, f"{shown}（{counted}项）"))
    if not rows:
        parts.append(_text(LABEL_W, 40, "本期没有到期的时限"))
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    title: str, buckets: Sequence[str], series: Mapping[str, Sequence[int]], *, chart_id: str
) -> Markup:
    """Columns per bucket, stacked by series (a legend names each colour)."""
    names = list(series)
    totals = [sum(series[name][i] for name in names) for i in range(len(buckets))]
    top = max([1, *totals])
    plot_h, col_w = 160, max(8, min(36, 640 // max(1, len(buckets))))
    width, height = 60 + col_w * len(buckets) + 20, plot_h + 90
    parts = [_open(chart_id, width, height, title)]
    parts.append(f'<text x="0" y="14" class="t">{escape(title)}</text>')
    parts.append(_text(4, 34, f"最多 {top} 件"))
    for i, bucket in enumerate(buckets):
        x, base = 50 + i * col_w, float(30 + plot_h)
        for k, name in enumerate(names):
            count = series[name][i]
            if count:
                h = plot_h * count / top
                base -= h
                parts.append(
                    f'<rect x="{x}" y="{base:.1f}" width="{col_w - 2}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}" data-bucket="{escape(bucket)}" '
                    f'data-series="{escape(name)}" data-count="{count}"/>'
                )
        if len(buckets) <= 16 or i % max(1, len(buckets) // 8) == 0:
            parts.append(_text(x, 30 + plot_h + 14, bucket))
    for k, name in enumerate(names):
        x = 50 + k * 110
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 16, height - 12, name))
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(chart_id: str, width: float, height: float, title: str) -> str:
    return (
        f'<svg id="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-size="12">'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
