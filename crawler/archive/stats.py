"""Counts over the archive: articles per source and month, and about each oblast and hromada; a per-oblast plot."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from crawler.archive.search import connection

GROUPINGS = ("source", "month", "oblast", "hromada")


def per_source(db) -> list[dict]:
    """Articles per source, with how many have no publication date and the dated range."""
    sql = """select s.id, s.name, s.oblast, count(a.id) as articles,
                    sum(a.id is not null and a.published_at is null) as undated,
                    min(a.published_at) as first_published, max(a.published_at) as last_published
             from sources s left join articles a on a.source_id = s.id
             group by s.id order by articles desc, s.id"""
    rows = [dict(zip(("source_id", "name", "oblast", "articles", "undated", "first_published", "last_published"), row))
            for row in connection(db).execute(sql)]
    orphans = connection(db).execute(
        """select a.source_id, count(*), sum(a.published_at is null), min(a.published_at), max(a.published_at)
           from articles a left join sources s on s.id = a.source_id where s.id is null group by a.source_id""").fetchall()
    rows += [{"source_id": row[0], "name": None, "oblast": None, "articles": row[1], "undated": row[2],
              "first_published": row[3], "last_published": row[4]} for row in orphans]
    return rows


def per_month(db) -> list[dict]:
    """Dated articles per publication month (YYYY-MM, the site's local time)."""
    sql = """select substr(published_at, 1, 7) as month, count(*) from articles
             where published_at is not null group by month order by month"""
    return [{"month": month, "articles": count} for month, count in connection(db).execute(sql)]


#: Characters of a KATOTTG code shared by everything inside one unit of the level (see crawler.analysis.places.scope_prefix).
PLACE_PREFIX = {"oblast": 4, "hromada": 9}
NO_PLACE = "(no place)"


def per_place(db, level: str) -> list[dict]:
    """Distinct articles about each oblast or hromada (``article_places``, anything inside the unit included).

    An article about two hromadas counts in both; articles with no place at all come last as ``(no place)``.
    """
    from crawler.analysis.places import enclosing_unit

    sql = f"""select substr(p.katottg, 1, {PLACE_PREFIX[level]}) as prefix, min(p.katottg),
                     count(distinct p.article_id), count(distinct case when a.published_at is null then a.id end)
              from article_places p join articles a on a.id = p.article_id group by prefix"""
    rows = []
    for _, code, articles, undated in connection(db).execute(sql):
        unit = enclosing_unit(code, level)
        if unit is not None:  # codes above the level (an oblast when counting hromadas) have no enclosing unit
            rows.append({level: unit.name, "katottg": unit.code, "articles": articles, "undated": undated})
    rows.sort(key=lambda row: (-row["articles"], row[level]))
    unplaced, unplaced_undated = connection(db).execute(
        """select count(*), coalesce(sum(a.published_at is null), 0) from articles a
           where not exists (select 1 from article_places p where p.article_id = a.id)""").fetchone()
    if unplaced:
        rows.append({level: NO_PLACE, "katottg": None, "articles": unplaced, "undated": unplaced_undated})
    return rows


def per_oblast(db) -> list[dict]:
    return per_place(db, "oblast")


def per_hromada(db) -> list[dict]:
    return per_place(db, "hromada")


def per_month_per_oblast(db) -> dict[str, dict[str, int]]:
    """{oblast: {month: dated articles about it}}."""
    from crawler.analysis.places import enclosing_unit

    sql = f"""select prefix, min(code), month, count(distinct article_id) from (
                select substr(p.katottg, 1, {PLACE_PREFIX['oblast']}) as prefix, p.katottg as code,
                       substr(a.published_at, 1, 7) as month, p.article_id
                from article_places p join articles a on a.id = p.article_id where a.published_at is not null)
              group by prefix, month"""
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for _, code, month, count in connection(db).execute(sql):
        unit = enclosing_unit(code, "oblast")
        if unit is not None:
            table[unit.name][month] = count
    return dict(table)


@dataclass(frozen=True)
class MonthlySeries:
    """Articles per month per oblast over every month from the first dated one to the current one, empty months as 0."""

    months: list[date]
    counts: dict[str, list[int]]  # oblast -> one count per month, the most written-about oblast first
    partial_month: date  # the current month: its count covers the days up to ``today`` only
    today: date


def monthly_series(db, now: datetime) -> MonthlySeries:
    from crawler.web.charts import month_starts

    table = per_month_per_oblast(db)
    today = now.date()
    dated = [date.fromisoformat(f"{month}-01") for counts in table.values() for month in counts]
    months = month_starts(min(dated, default=today), max([*dated, today]))
    ordered = sorted(table, key=lambda name: (-sum(table[name].values()), name))
    counts = {oblast: [table[oblast].get(f"{month:%Y-%m}", 0) for month in months] for oblast in ordered}
    return MonthlySeries(months, counts, today.replace(day=1), today)


def write_series_csv(series: MonthlySeries, path: Path) -> None:
    """The plotted numbers: one row per month, a column per oblast, ``partial`` 1 for the month still running."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["month", "partial", *series.counts])
        for index, month in enumerate(series.months):
            writer.writerow([f"{month:%Y-%m}", int(month == series.partial_month),
                             *(values[index] for values in series.counts.values())])


def series_csv_path(plot: Path) -> Path:
    return plot.with_suffix(".csv")


def plot_per_month_per_oblast(db, path: Path, now: datetime, title: str = "Articles per month per oblast") -> MonthlySeries:
    """Draw one line per oblast over publication months into ``path`` (PNG) on a time axis, the current (partial)
    month shaded, and write the plotted numbers beside it (:func:`series_csv_path`)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates, pyplot
    from matplotlib.ticker import MaxNLocator

    series = monthly_series(db, now)
    edges = [*series.months, month_after(series.months[-1])]  # a month's count spans the month on the axis
    figure, axes = pyplot.subplots(figsize=(13, 6), dpi=100)
    axes.set_prop_cycle(color=pyplot.cm.tab20.colors)  # 20 distinct colours; the default cycle repeats after 10
    try:
        for oblast, values in series.counts.items():
            axes.step(edges, [*values, values[-1]], where="post", label=oblast, linewidth=1.4)
        axes.axvspan(series.partial_month, month_after(series.partial_month), color="0.85", zorder=0,
                     label=f"partial month (to {series.today:%Y-%m-%d})")
        locator = mdates.AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        axes.set_xlim(edges[0], edges[-1])
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("articles per month")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="oblast")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        pyplot.close(figure)
    write_series_csv(series, series_csv_path(path))
    return series


def month_after(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)
