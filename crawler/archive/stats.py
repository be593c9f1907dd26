"""Counts over the archive: articles per source and month, and about each oblast and hromada; a per-oblast plot."""

from __future__ import annotations

from collections import defaultdict
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
