"""Charts as inline SVG, drawn on the server: horizontal bars, stacked bars, a heat map
and lines. No Flask, no JavaScript, no ``style`` attributes (the Content-Security-Policy
allows none): only SVG presentation attributes, which the policy does not govern.

Every chart has a ``viewBox`` and no fixed size, so it scales to the width of its box
(390 px phones included; the page's CSS caps it on wide screens); ``role="img"`` with a
``<title>`` and a ``<desc>`` for screen readers, and the same figures in a table beside
it on the page. Labels are escaped; numbers are shown the locale's way
(:mod:`inspect_app.i18n.formatting`: 88,95% in Vietnamese). Colours are of different
lightness and every bar and cell carries its figure as text, so a chart still reads
printed in black and white.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from ..i18n import formatting

#: The width every chart is drawn at (user units; the SVG scales to its box).
WIDTH = 360
FONT = 11
ROW = 22  # height of a bar row
LABEL = 128  # width of the label column
#: Series colours (dark blue, orange, green, grey, purple, red…): distinct in lightness too.
PALETTE = ("#1f4e79", "#e08214", "#4d9221", "#8c8c8c", "#762a83", "#b2182b", "#35978f",
           "#bf812d")
#: Colours of remediation item statuses (open → verified), each also named in the legend.
STATUS_COLOURS = {"open": "#b2182b", "in_progress": "#f4a582", "done": "#92c5de",
                  "verified": "#2166ac", "cannot_do": "#4d4d4d", "no_action": "#d9d9d9"}
_ids = itertools.count(1)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def _fit(shown: str, width: float) -> str:
    """The attributes that keep a long label inside its ``width`` (a letter is about
    0,6 em wide; beyond, the glyphs are narrowed, never cut at the chart's edge)."""
    if len(shown) * FONT * 0.6 <= width:
        return ""
    return f' textLength="{width:g}" lengthAdjust="spacingAndGlyphs"'


def _open(height: float, title: str, desc: str, css: str = "chart") -> tuple[str, str]:
    """The opening of a chart and its id (for ``aria-labelledby``)."""
    key = f"chart{next(_ids)}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {WIDTH} '
            f'{height:g}" role="img" aria-labelledby="{key}t {key}d" font-size="{FONT}" '
            f'font-family="sans-serif"><title id="{key}t">{_text(title)}</title>'
            f'<desc id="{key}d">{_text(desc)}</desc>'), key


def _empty(title: str, message: str) -> Markup:
    """Nothing to draw: the reason as a paragraph (it wraps, unlike SVG text)."""
    return Markup(f'<p class="meta chart-empty">{_text(message)}</p>')


def bars(rows: Sequence[tuple[str, float | None]], *, title: str, desc: str, maximum: float = 100,
         percent: bool = True, locale: str = "vi", empty: str = "") -> Markup:
    """One horizontal bar per ``(label, value)`` (None: no bar, a dash), from 0 to
    ``maximum``; the value written after the bar (as a percent, or a number)."""
    if not rows:
        return _empty(title, empty or desc)
    height = ROW * len(rows) + 8
    head, _key = _open(height, title, desc)
    span = WIDTH - LABEL - 52
    parts = [head]
    for n, (label, value) in enumerate(rows):
        y = n * ROW + 4
        parts.append(f'<text x="{LABEL - 4}" y="{y + 14}" text-anchor="end"'
                     f'{_fit(_short(label), LABEL - 8)}><title>'
                     f'{_text(label)}</title>{_text(_short(label))}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL + 2}" y="{y + 14}" fill="#555">–</text>')
            continue
        share = max(0.0, min(1.0, float(value) / maximum)) if maximum else 0.0
        width = round(span * share, 1)
        shown = formatting.percent(value, locale) if percent else formatting.number(value, locale)
        parts.append(f'<rect x="{LABEL}" y="{y + 3}" width="{width:g}" height="{ROW - 7}" '
                     f'fill="{PALETTE[0]}"/>'
                     f'<text x="{LABEL + width + 3:g}" y="{y + 14}">{_text(shown)}</text>')
    parts.append(f'<line x1="{LABEL}" y1="0" x2="{LABEL}" y2="{height - 4}" stroke="#333"/></svg>')
    return Markup("".join(parts))


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]],
                 series: Sequence[tuple[str, str]], *, title: str, desc: str,
                 locale: str = "vi", empty: str = "") -> Markup:
    """One horizontal bar per ``(label, counts)``, a segment per series (``(name,
    colour)``), all bars on the scale of the largest total; the total after the bar and
    each segment's count inside it when it fits; a legend above."""
    if not rows:
        return _empty(title, empty or desc)
    legend_rows = -(-len(series) // 2)
    top = legend_rows * 16 + 6
    height = top + ROW * len(rows) + 8
    head, _key = _open(height, title, desc)
    parts = [head]
    for n, (name, colour) in enumerate(series):
        x, y = (n % 2) * (WIDTH // 2), (n // 2) * 16
        parts.append(f'<rect x="{x}" y="{y + 3}" width="10" height="10" fill="{colour}" '
                     f'stroke="#333" stroke-width=".5"/><text x="{x + 14}" y="{y + 12}">'
                     f'{_text(_short(name, 26))}</text>')
    largest = max((sum(counts) for _label, counts in rows), default=0) or 1
    span = WIDTH - LABEL - 36
    for n, (label, counts) in enumerate(rows):
        y = top + n * ROW
        parts.append(f'<text x="{LABEL - 4}" y="{y + 14}" text-anchor="end"'
                     f'{_fit(_short(label), LABEL - 8)}><title>'
                     f'{_text(label)}</title>{_text(_short(label))}</text>')
        x = float(LABEL)
        for (name, colour), count in zip(series, counts):
            if not count:
                continue
            width = span * count / largest
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW - 7}" '
                         f'fill="{colour}" stroke="#fff" stroke-width=".5"><title>'
                         f'{_text(name)}: {_text(formatting.number(count, locale))}</title></rect>')
            if width >= 14:
                ink = "#fff" if _dark(colour) else "#000"
                parts.append(f'<text x="{x + width / 2:.1f}" y="{y + 14}" text-anchor="middle" '
                             f'fill="{ink}" font-size="9">{count}</text>')
            x += width
        parts.append(f'<text x="{x + 3:.1f}" y="{y + 14}">'
                     f'{_text(formatting.number(sum(counts), locale))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_map(rows: Sequence[tuple[str, Sequence[float | None]]], columns: Sequence[str], *,
             title: str, desc: str, locale: str = "vi", empty: str = "") -> Markup:
    """A grid of percents (0–100): a row per ``(label, values)``, a column per heading
    (short ones: section numbers), each cell shaded from light (low) to dark (high)
    with its figure written in it."""
    if not rows or not columns:
        return _empty(title, empty or desc)
    label = 112
    cell = (WIDTH - label) / len(columns)
    height = 20 + ROW * len(rows)
    head, _key = _open(height, title, desc)
    parts = [head]
    for n, heading in enumerate(columns):
        parts.append(f'<text x="{label + cell * (n + .5):.1f}" y="13" text-anchor="middle" '
                     f'font-weight="bold">{_text(heading)}</text>')
    small = cell < 40
    for r, (name, values) in enumerate(rows):
        y = 18 + r * ROW
        parts.append(f'<text x="{label - 4}" y="{y + 14}" text-anchor="end"'
                     f'{_fit(_short(name, 19), label - 8)}><title>'
                     f'{_text(name)}</title>{_text(_short(name, 19))}</text>')
        for c, value in enumerate(values):
            x = label + c * cell
            if value is None:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{cell:.1f}" height="{ROW - 2}" '
                             f'fill="#fff" stroke="#ccc"/><text x="{x + cell / 2:.1f}" '
                             f'y="{y + 14}" text-anchor="middle" fill="#555">–</text>')
                continue
            colour = shade(value)
            ink = "#fff" if _dark(colour) else "#000"
            shown = formatting.number(value, locale, 0) if small else \
                formatting.percent(value, locale)
            # the figure is written in the cell (and in the table): no tooltip per cell
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{cell:.1f}" height="{ROW - 2}" '
                         f'fill="{colour}" stroke="#fff"/><text x="{x + cell / 2:.1f}" y="{y + 14}" '
                         f'text-anchor="middle" fill="{ink}" font-size="{9 if small else 10}">'
                         f'{_text(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(periods: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
          title: str, desc: str, locale: str = "vi", empty: str = "",
          strong_first: bool = True) -> Markup:
    """A line per ``(name, values)`` over ``periods`` (percents, 0–100 on the y axis),
    the first one thick (the province) when ``strong_first``; a gap where a value is
    None; a legend under the chart."""
    if not periods or not series:
        return _empty(title, empty or desc)
    left, right, top, plot = 30, 12, 8, 150
    legend_rows = -(-len(series) // 2)
    height = top + plot + 20 + legend_rows * 16 + 4
    head, _key = _open(height, title, desc)
    parts = [head]
    span = WIDTH - left - right
    step = span / max(1, len(periods) - 1)

    def x_of(n: int) -> float:
        return left + (span / 2 if len(periods) == 1 else n * step)

    def y_of(value: float) -> float:
        return top + plot * (1 - max(0.0, min(100.0, float(value))) / 100)

    for tick in (0, 25, 50, 75, 100):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 3}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="9">{tick}</text>')
    every = max(1, -(-len(periods) * 46 // span))  # room for a label of about 46 units
    for n, code in enumerate(periods):
        if n % every == 0:
            parts.append(f'<text x="{x_of(n):.1f}" y="{top + plot + 14}" text-anchor="middle" '
                         f'font-size="9">{_text(code)}</text>')
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        width = 3 if s == 0 and strong_first else 1.5
        dash = "" if s < len(PALETTE) else ' stroke-dasharray="4 2"'
        run: list[str] = []
        segments = []
        for n, value in enumerate(values):
            if value is None:
                if run:
                    segments.append(run)
                run = []
                continue
            run.append(f"{x_of(n):.1f},{y_of(value):.1f}")
        if run:
            segments.append(run)
        for segment in segments:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" '
                             f'stroke="{colour}" stroke-width="{width}"{dash}/>')
        for n, value in enumerate(values):
            if value is not None:
                parts.append(f'<circle cx="{x_of(n):.1f}" cy="{y_of(value):.1f}" '
                             f'r="{3 if width > 2 else 2}" fill="{colour}"><title>{_text(name)} · '
                             f'{_text(periods[n])}: {_text(formatting.percent(value, locale))}'
                             f'</title></circle>')
        lx, ly = (s % 2) * (WIDTH // 2), top + plot + 22 + (s // 2) * 16
        parts.append(f'<line x1="{lx}" y1="{ly + 4}" x2="{lx + 14}" y2="{ly + 4}" '
                     f'stroke="{colour}" stroke-width="{width}"{dash}/><text x="{lx + 18}" '
                     f'y="{ly + 8}">{_text(_short(name, 24))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def shade(percent: float) -> str:
    """The heat-map colour of a percent: light yellow (0) to dark blue (100), in five
    steps of clearly different lightness."""
    steps = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#2c7fb8", "#253494")
    index = min(len(steps) - 1, max(0, int(float(percent) // 20)))
    return steps[index]


def _dark(colour: str) -> bool:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 140
