"""Server-rendered SVG charts: time series with a target band and shaded periods, bars for statistics.

No JavaScript: the page stays light on a phone and works offline. Every drawn series carries its values in
``data-values`` (``ms,value;…``) and the band its limits in ``data-lo``/``data-hi``, so a test (or a curious
reader) can check what is drawn against what was measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

W, H = 400, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 8, 22
_TICKS_S = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400)


@dataclass
class Line:
    """One series: ``points`` are (epoch ms, value); ``css`` picks its colour (``t``, ``rh``, ``dp``)."""

    field: str
    label: str
    points: Sequence[tuple[int, float]]
    css: str
    gap_ms: int = 0  # a longer gap between points breaks the line (no line drawn across missing data)


@dataclass
class Span:
    """A shaded period (an alert), ``end_ms`` None while still open."""

    start_ms: int
    end_ms: int | None
    css: str = "warning"
    title: str = ""


@dataclass
class Scale:
    since_ms: int
    until_ms: int
    lo: float
    hi: float
    ticks: list[float] = field(default_factory=list)

    def x(self, ms: float) -> float:
        span = max(self.until_ms - self.since_ms, 1)
        return LEFT + (ms - self.since_ms) / span * (W - LEFT - RIGHT)

    def y(self, v: float) -> float:
        return TOP + (self.hi - v) / max(self.hi - self.lo, 1e-9) * (H - TOP - BOTTOM)


def _nice_step(span: float) -> float:
    raw = span / 4
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100):
        if step >= raw:
            return step
    return 100.0


def _scale(lines: Sequence[Line], band: tuple[float, float] | None, since_ms: int, until_ms: int) -> Scale:
    values = [v for line in lines for _, v in line.points]
    if band is not None:
        values += list(band)
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo < 1:
        lo, hi = lo - 0.5, hi + 0.5
    step = _nice_step(hi - lo)
    lo = (lo // step) * step
    hi = -((-hi) // step) * step
    ticks = [round(lo + i * step, 6) for i in range(round((hi - lo) / step) + 1)]
    return Scale(since_ms, until_ms, lo, hi, ticks)


def _time_ticks(since_ms: int, until_ms: int, tz: ZoneInfo) -> list[tuple[int, str]]:
    span_s = (until_ms - since_ms) / 1000
    step = next((s for s in _TICKS_S if span_s / s <= 4), _TICKS_S[-1])
    start = datetime.fromtimestamp(since_ms / 1000, tz)
    if step < 86400:
        first = start.replace(minute=0, second=0, microsecond=0)
        hours = step // 3600
        first += timedelta(hours=(hours - first.hour % hours) % hours)
        if first.timestamp() * 1000 < since_ms:
            first += timedelta(hours=hours)
        fmt = "%H:%M"
    else:
        first = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        fmt = "%d/%m"
    out = []
    t = first
    while t.timestamp() * 1000 <= until_ms:
        out.append((int(t.timestamp() * 1000), t.strftime(fmt)))
        t += timedelta(seconds=step)
    return out


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _segments(points: Sequence[tuple[int, float]], gap_ms: int) -> list[list[tuple[int, float]]]:
    segs: list[list[tuple[int, float]]] = []
    prev: int | None = None
    for ms, v in points:
        if prev is None or (gap_ms and ms - prev > gap_ms):
            segs.append([])
        segs[-1].append((ms, v))
        prev = ms
    return segs


def time_chart(
    lines: Sequence[Line],
    since_ms: int,
    until_ms: int,
    *,
    unit: str,
    tz: ZoneInfo,
    band: tuple[float, float] | None = None,
    spans: Sequence[Span] = (),
    chart_id: str = "",
    title: str = "",
) -> Markup:
    """An SVG line chart of ``lines`` over [since, until] with the target ``band`` and shaded ``spans``."""
    sc = _scale(lines, band, since_ms, until_ms)
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"'
        f' data-since="{since_ms}" data-until="{until_ms}" data-lo="{_fmt(sc.lo)}" data-hi="{_fmt(sc.hi)}"'
        f' data-plot="{LEFT} {TOP} {W - RIGHT} {H - BOTTOM}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for sp in spans:
        x0 = max(sc.x(sp.start_ms), LEFT)
        x1 = min(sc.x(sp.end_ms if sp.end_ms is not None else until_ms), W - RIGHT)
        if x1 > x0:
            out.append(
                f'<rect class="span span-{escape(sp.css)}" x="{x0:.1f}" y="{TOP}" width="{x1 - x0:.1f}"'
                f' height="{H - TOP - BOTTOM}" data-from="{sp.start_ms}" data-to="{sp.end_ms or ""}">'
                f"<title>{escape(sp.title)}</title></rect>"
            )
    if band is not None:
        y_hi, y_lo = sc.y(band[1]), sc.y(band[0])
        out.append(
            f'<rect class="band" x="{LEFT}" y="{y_hi:.1f}" width="{W - LEFT - RIGHT}" height="{y_lo - y_hi:.1f}"'
            f' data-lo="{_fmt(band[0])}" data-hi="{_fmt(band[1])}"/>'
        )
    for v in sc.ticks:
        y = sc.y(v)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="yl" x="{LEFT - 4}" y="{y + 4:.1f}">{_fmt(v)}</text>')
    for ms, label in _time_ticks(since_ms, until_ms, tz):
        x = sc.x(ms)
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{H - BOTTOM}"/>')
        out.append(f'<text class="xl" x="{x:.1f}" y="{H - 5}">{escape(label)}</text>')
    for line in lines:
        data = ";".join(f"{ms},{_fmt(v)}" for ms, v in line.points)
        out.append(f'<g class="series s-{escape(line.css)}" data-field="{escape(line.field)}" data-values="{data}">')
        for seg in _segments(line.points, line.gap_ms):
            pts = " ".join(f"{sc.x(ms):.1f},{sc.y(v):.1f}" for ms, v in seg)
            if len(seg) == 1:
                x, y = sc.x(seg[0][0]), sc.y(seg[0][1])
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>')
            else:
                out.append(f'<polyline points="{pts}"/>')
        out.append("</g>")
    out.append(f'<text class="unit" x="2" y="{H - 5}">{escape(unit)}</text></svg>')
    return Markup("".join(out))


def bar_chart(bars: Sequence[tuple[str, float]], *, unit: str = "", chart_id: str = "", title: str = "") -> Markup:
    """Horizontal bars (label, value), longest first as given; values in ``data-value``."""
    top = max((v for _, v in bars), default=0) or 1
    row = 30
    height = row * len(bars) + 4
    bw = 400
    out = [
        f'<svg class="chart bars" id="{escape(chart_id)}" viewBox="0 0 {bw} {height}" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, v) in enumerate(bars):
        y = 2 + i * row
        width = (bw - 190) * v / top
        out.append(
            f'<g data-label="{escape(label)}" data-value="{_fmt(v)}"><text class="bl" x="0" y="{y + 20}">'
            f"{escape(label[:14])}</text>"
            f'<rect x="120" y="{y + 4}" width="{max(width, 1):.1f}" height="{row - 9}"/>'
            f'<text class="bv" x="{124 + width:.1f}" y="{y + 20}">{_fmt(v)}{escape(unit)}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))


CHART_CSS = (
    ".chart{width:100%;height:auto;display:block;background:#fff}.chart .grid{stroke:#e4e4e4;stroke-width:1}"
    ".chart text{font-size:13px;fill:#555}.chart .yl{text-anchor:end}.chart .xl{text-anchor:middle}"
    ".chart .band{fill:#2e8b57;fill-opacity:.13;stroke:#2e8b57;stroke-opacity:.5;stroke-dasharray:4 3}"
    ".chart .span-warning{fill:#f0a020;fill-opacity:.2}.chart .span-critical{fill:#d02020;fill-opacity:.22}"
    ".chart .series polyline{fill:none;stroke-width:2}.s-t polyline{stroke:#c0392b}.s-t circle{fill:#c0392b}"
    ".s-rh polyline{stroke:#1f6fb5}.s-rh circle{fill:#1f6fb5}.s-dp polyline{stroke:#7d5ba6;stroke-dasharray:5 3}"
    ".s-dp circle{fill:#7d5ba6}.bars rect{fill:#24415c}.chart.bars .bl{font-size:16px;fill:#222}"
    ".chart.bars .bv{font-size:15px}"
)
