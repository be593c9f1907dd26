"""Small charts drawn server-side as inline SVG: no JavaScript, nothing fetched."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

BAR_GAP = 2


def month_starts(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(first: date, last: date) -> list[date]:
    weeks, current = [], week_start(first)
    while current <= last:
        weeks.append(current)
        current += timedelta(days=7)
    return weeks


def bar_chart(series: list[tuple[str, int]], *, width: int = 820, height: int = 130, label: str = "") -> Markup:
    """Bars of (period label, count), every period shown (empty ones as zero), first and last period named."""
    if not series:
        return Markup("")
    top = max(count for _, count in series) or 1
    plot_top, plot_bottom = 16, height - 18
    step = width / len(series)
    bars = [f'<line x1="0" y1="{plot_bottom + 0.5}" x2="{width}" y2="{plot_bottom + 0.5}" class="baseline"/>']
    for index, (period, count) in enumerate(series):
        bar_height = round((plot_bottom - plot_top) * count / top, 1)
        bars.append(f'<rect x="{index * step + BAR_GAP / 2:.1f}" y="{plot_bottom - bar_height:.1f}" '
                    f'width="{max(step - BAR_GAP, 1):.1f}" height="{bar_height}" data-period="{escape(period)}" '
                    f'data-count="{count}"><title>{escape(period)}: {count}</title></rect>')
    axis = (f'<text x="0" y="{height - 4}" class="axis">{escape(series[0][0])}</text>'
            f'<text x="{width}" y="{height - 4}" class="axis" text-anchor="end">{escape(series[-1][0])}</text>'
            f'<text x="0" y="11" class="axis">{top}</text>')
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}">'
                  f'{"".join(bars)}{axis}</svg>')


def sparkline(counts: list[int], *, width: int = 120, height: int = 24, label: str = "") -> Markup:
    """A line of counts (articles per week), the last point marked."""
    if not counts:
        return Markup("")
    top = max(counts) or 1
    step = width / max(len(counts) - 1, 1)
    points = [(index * step, height - 2 - (height - 4) * count / top) for index, count in enumerate(counts)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    return Markup(f'<svg class="sparkline" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" data-points="{len(counts)}" data-total="{sum(counts)}">'
                  f'<title>{escape(label)}</title><polyline points="{path}" fill="none" stroke="currentColor" '
                  f'stroke-width="1.5"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2"/></svg>')
