"""Counts over the archive: articles per source, month and oblast, and a per-oblast plot."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from crawler.search import connection

GROUPINGS = ("source", "month", "oblast")
UNKNOWN_OBLAST = "(no oblast)"


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


def per_oblast(db) -> list[dict]:
    sql = """select coalesce(s.oblast, ?) as oblast, count(*) as articles, sum(a.published_at is null)
             from articles a left join sources s on s.id = a.source_id group by 1 order by articles desc"""
    return [{"oblast": oblast, "articles": count, "undated": undated}
            for oblast, count, undated in connection(db).execute(sql, [UNKNOWN_OBLAST])]


def per_month_per_oblast(db) -> dict[str, dict[str, int]]:
    """{oblast: {month: dated articles}}."""
    sql = """select coalesce(s.oblast, ?), substr(a.published_at, 1, 7), count(*)
             from articles a left join sources s on s.id = a.source_id
             where a.published_at is not null group by 1, 2"""
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for oblast, month, count in connection(db).execute(sql, [UNKNOWN_OBLAST]):
        table[oblast][month] = count
    return dict(table)


def plot_per_month_per_oblast(db, path: Path, title: str = "Articles per month per oblast") -> int:
    """Draw one line per oblast over publication months into ``path`` (PNG); returns the number of lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    table = per_month_per_oblast(db)
    months = sorted({month for counts in table.values() for month in counts})
    figure, axes = pyplot.subplots(figsize=(13, 6), dpi=100)
    axes.set_prop_cycle(color=pyplot.cm.tab20.colors)  # 20 distinct colours; the default cycle repeats after 10
    try:
        for oblast in sorted(table, key=lambda name: -sum(table[name].values())):
            axes.plot(range(len(months)), [table[oblast].get(month, 0) for month in months], label=oblast, linewidth=1.4)
        step = max(1, len(months) // 24)
        axes.set_xticks(range(0, len(months), step), months[::step], rotation=60, ha="right", fontsize=8)
        axes.set_ylabel("articles")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        if table:
            axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="oblast")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        pyplot.close(figure)
    return len(table)
