"""The dashboard's charts as inline SVG drawn on the server: no script, font or network (after the console's
report_svg, which a service may not import). Each chart is an image with a title; the page puts the same figures
in a table beside it, which is what a screen reader reads (RGAA 1.3: a complex image has its alternative).

Every text that comes from data is escaped here: the SVG goes into the page as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from itertools import count as numbering

from markupsafe import Markup

from guichet_backoffice.web.pages_format import count, outside

INK, BAR, AXIS = "#1b1b1b", "#1d4ed8", "#4a4a4a"
# Attributes, not a style attribute: the pages' Content-Security-Policy allows no inline style.
FONT = 'font-family="system-ui, sans-serif" font-size="13"'
_ids = numbering(1)


def esc(text: object) -> str:
    return escape(outside(text), quote=True)


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    title_id = f"graphique-{next(_ids)}"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT} focusable="false">'
        f'<title id="{title_id}">{esc(title)}</title>{"".join(body)}</svg>'
    )


def bar_list(
    items: Sequence[tuple[str, int]], title: str, *, width: int = 720, label: Callable[[int], str] = count
) -> Markup:
    """Horizontal bars, one per (name, value) in the order given, each with its value written beside it."""
    if not items:
        note = f'<text x="10" y="30" fill="{AXIS}">Aucune donnée</text>'
        return _svg(width, 50, title, [note])
    row, label_w, value_w = 26, 240, 130
    height = len(items) * row + 10
    peak = max(value for _, value in items) or 1
    plot_w = width - label_w - value_w
    body = []
    for i, (name, value) in enumerate(items):
        y, w = 5 + i * row, plot_w * max(value, 0) / peak
        body += [
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{esc(name)}</text>',
            f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" fill="{BAR}"/>',
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" fill="{INK}">{esc(label(value))}</text>',
        ]
    return _svg(width, height, title, body)


def stacked_bar(
    parts: Sequence[tuple[str, int]], title: str, *, width: int = 720, label: Callable[[int], str] = count
) -> Markup:
    """One bar split in parts (e.g. the envelope: paid, reserved, left), each part hatched differently and named
    under the bar with its value, so that no part is told apart by its colour alone."""
    total = sum(max(value, 0) for _, value in parts)
    if total <= 0:
        return bar_list([], title, width=width)
    hatch = f"hachure-{next(_ids)}"
    fills = ("#1d4ed8", f"url(#{hatch})", "#ffffff")
    body = [
        f'<defs><pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{BAR}" stroke-width="4"/></pattern></defs>'
    ]
    x = 10.0
    for i, (_, value) in enumerate(parts):
        w = (width - 20) * max(value, 0) / total
        body.append(f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="30" fill="{fills[i % 3]}" stroke="{INK}"/>')
        x += w
    for i, (name, value) in enumerate(parts):
        y = 56 + i * 22
        body += [
            f'<rect x="10" y="{y}" width="16" height="16" fill="{fills[i % 3]}" stroke="{INK}"/>',
            f'<text x="34" y="{y + 13}" fill="{INK}">{esc(name)} : {esc(label(value))}</text>',
        ]
    return _svg(width, 60 + len(parts) * 22, title, body)
