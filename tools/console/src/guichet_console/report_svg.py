"""The report's charts as inline SVG strings, drawn in Python so the page needs no script, font or network.

Every text that comes from data goes through `esc`: a reason code or a programme name is data, not markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from guichet_console.report_format import count

INK, BAR, MUTED, FONT = "#1f2937", "#2563eb", "#6b7280", "font-family:sans-serif;font-size:12px"


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="{FONT}"><title>{esc(title)}</title>{"".join(body)}</svg>'
    )


def _empty(width: int, height: int, title: str) -> str:
    note = f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}">Aucune donnée</text>'
    return _svg(width, height, title, [note])


def column_chart(
    points: Sequence[tuple[str, int]],
    title: str,
    *,
    width: int = 1000,
    height: int = 260,
    label: Callable[[int], str] = count,
) -> str:
    """One bar per (category, value), categories left to right (e.g. claims per day)."""
    if not points:
        return _empty(width, height, title)
    left, bottom, top = 60, 40, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(value for _, value in points) or 1
    step = plot_w / len(points)
    every = max(1, len(points) // 8)  # about eight axis labels, whatever the number of days
    body = [_y_axis(left, top, plot_h, plot_w, peak, label)]
    for i, (name, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * step
        body.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{max(step * 0.8, 1):.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{esc(name)} : {esc(label(value))}</title></rect>'
        )
        last = i == len(points) - 1
        # the last day always gets its label; a regular one too close before it would overlap it
        if last or (i % every == 0 and len(points) - 1 - i >= every):
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="{"end" if last else "middle"}" '
                f'fill="{INK}">{esc(name)}</text>'
            )
    return _svg(width, height, title, body)


def line_chart(
    points: Sequence[tuple[str, int]],
    title: str,
    *,
    start: int,
    width: int = 1000,
    height: int = 260,
    label: Callable[[int], str] = count,
) -> str:
    """A level over time from `start` (e.g. the envelope left, day after day), as a polyline with its dots."""
    if not points:
        return _empty(width, height, title)
    left, bottom, top = 110, 40, 20
    plot_w, plot_h = width - left - 20, height - bottom - top
    peak = max(start, *(value for _, value in points)) or 1
    step = plot_w / len(points)

    def y(value: int) -> float:
        return top + plot_h - plot_h * max(value, 0) / peak

    coords = [(left, y(start))] + [(left + (i + 1) * step, y(value)) for i, (_, value) in enumerate(points)]
    body = [
        _y_axis(left, top, plot_h, plot_w, peak, label),
        f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
        f'points="{" ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)}"/>',
    ]
    for (x, yy), (name, value) in zip(coords[1:], points):
        body.append(
            f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="{BAR}"><title>{esc(name)} : {esc(label(value))}'
            "</title></circle>"
        )
    ends = [(coords[1][0], points[0][0], "start")] if len(points) > 1 else []
    for x, name, anchor in [*ends, (coords[-1][0], points[-1][0], "end")]:
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" fill="{INK}">{esc(name)}</text>'
        )
    return _svg(width, height, title, body)


def bar_list(
    items: Sequence[tuple[str, int]], title: str, *, width: int = 1000, label: Callable[[int], str] = count
) -> str:
    """Horizontal bars, one per (name, value), in the order given (e.g. rejection reasons)."""
    if not items:
        return _empty(width, 60, title)
    row, label_w, value_w = 24, 300, 90
    height = len(items) * row + 10
    peak = max(value for _, value in items) or 1
    plot_w = width - label_w - value_w
    body = []
    for i, (name, value) in enumerate(items):
        y, w = 5 + i * row, plot_w * value / peak
        body += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">{esc(name)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" fill="{BAR}">'
            f"<title>{esc(name)} : {esc(label(value))}</title></rect>",
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" fill="{INK}">{esc(label(value))}</text>',
        ]
    return _svg(width, height, title, body)


def _y_axis(left: int, top: int, plot_h: float, plot_w: float, peak: int, label: Callable[[int], str]) -> str:
    baseline = top + plot_h
    return (
        f'<line x1="{left}" y1="{baseline}" x2="{left + plot_w}" y2="{baseline}" stroke="{MUTED}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{baseline}" stroke="{MUTED}"/>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{esc(label(peak))}</text>'
        f'<text x="{left - 6}" y="{baseline}" text-anchor="end" fill="{MUTED}">{esc(label(0))}</text>'
    )
