"""Charts drawn as SVG on the server, so a PDF (which runs no JavaScript) and an e-mailed report
show the same figures as the page.

Words (the title, the dates under the axis) are HTML around the SVG, not SVG text: WeasyPrint
draws SVG text glyph by glyph, which breaks Bengali, Devanagari and Gujarati into unjoined
letters, while its HTML text is shaped by HarfBuzz. Only digits are drawn inside the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 8, 8
BAR = "#2563eb"
LINE = "#16a34a"


def _scale_top(largest: float) -> float:
    """A round number at or above `largest`, so the axis reads 0, 25, 50… rather than 0, 23.7…"""
    if largest <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= largest:
            return step * magnitude
    return 10 * magnitude


def _frame(title: str, top: float, base: float = 0.0) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        'class="chart">',
    ]
    for n in range(5):
        value = base + (top - base) * n / 4
        y = TOP + plot_h - plot_h * n / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#d4d4d8" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" fill="#18181b" font-size="10" '
            f'text-anchor="end">{escape(number_format(value, 0, force_grouping=True))}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#3f3f46"/>')
    return parts


def _figure(title: str, svg: list[str], labels: Sequence[str]) -> SafeString:
    """The SVG with its title above and at most about eight date labels below, evenly spread
    (so they never overlap), each centred under its bar or point."""
    plot_w = WIDTH - LEFT - RIGHT
    every = max(1, math.ceil(len(labels) / 8))
    placed = [
        ((LEFT + plot_w * (index + 0.5) / len(labels)) * 100 / WIDTH - 8, label)
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    ticks = format_html_join(
        "",
        '<span class="tick" style="left: {}%">{}</span>',
        ((f"{x:.2f}", label) for x, label in placed),
    )
    return format_html(
        '<figure class="chart-figure"><figcaption>{}</figcaption>{}'
        '<div class="ticks">{}</div></figure>',
        title,
        mark_safe("".join(svg)),  # built above from numbers and escaped text
        ticks,
    )


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> SafeString:
    top = _scale_top(max(values, default=0))
    parts = _frame(title, top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(values))
    for index, value in enumerate(values):
        height = plot_h * value / top
        parts.append(
            f'<rect x="{LEFT + slot * index + slot * 0.15:.1f}" '
            f'y="{TOP + plot_h - height:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"/>'
        )
    parts.append("</svg>")
    return _figure(title, parts, labels)


def line_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> SafeString:
    """Days without a reading leave a gap rather than a drop to zero."""
    known = [v for v in values if v is not None]
    low = min(known, default=0.0)
    high = max(known, default=0.0)
    base = 0.0
    if low > 0 and high - low < low:
        # Followers change by a few in thousands: an axis from zero would draw a flat line.
        step = 10 ** math.floor(math.log10(max(high - low, 1)))
        base = math.floor(low * 0.98 / step) * step
    top = base + _scale_top(high - base)
    parts = _frame(title, top, base)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(values))
    segments: list[list[str]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            segments.append([])
            continue
        x = LEFT + slot * (index + 0.5)
        y = TOP + plot_h - plot_h * (value - base) / (top - base)
        segments[-1].append(f"{x:.1f},{y:.1f}")
    for points in segments:
        if len(points) == 1:
            cx, cy = points[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{LINE}"/>')
        elif points:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" '
                'stroke-width="2.5"/>'
            )
    parts.append("</svg>")
    return _figure(title, parts, labels)
