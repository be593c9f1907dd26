"""Source health: a verdict per source per run, and the status line analysts read.

A run's verdict for one source comes from its counts (see
crawler/crawl/runlog.py): unreachable (no page answered), blocked (403/429),
layout changed (pages fetched but no article link found, or article pages
fetched and none extractable), quiet (reachable, nothing new) or ok.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from crawler.archive.store import Archive

BLOCKED_ERRORS = ("http_403", "http_429")
EXTRACTION_DROPS = ("too_short", "no_title", "parse_error")
#: Verdicts that make ``hromada crawl`` exit non-zero.
FAILED_VERDICTS = ("unreachable", "blocked", "layout_changed")
VERDICT_LABELS = {
    "ok": "OK", "quiet": "quiet", "unreachable": "unreachable", "blocked": "blocked",
    "layout_changed": "layout changed", "never_crawled": "never crawled",
}
USUAL_RATE_RUNS = 10  # earlier runs averaged into a source's usual number of new articles per run


def run_verdict(counts: dict) -> str:
    """The verdict for one source's counts in one run."""
    errors, dropped = counts.get("errors", {}), counts.get("dropped", {})
    pages = counts.get("pages", 0)
    blocked_errors = sum(errors.get(kind, 0) for kind in BLOCKED_ERRORS)
    if pages == 0 and not counts.get("pages_unchanged", 0):
        return "blocked" if blocked_errors else "unreachable"
    if blocked_errors and blocked_errors >= pages:
        return "blocked"
    if counts.get("new", 0):
        return "ok"
    archived = counts.get("updated", 0) + counts.get("unchanged", 0)
    extraction_drops = sum(dropped.get(reason, 0) for reason in EXTRACTION_DROPS)
    if counts.get("article_pages", 0) and not archived and extraction_drops:
        return "layout_changed"
    if pages and not counts.get("pages_unchanged", 0) and not counts.get("links_found", 0):
        return "layout_changed"
    return "quiet"


def verdict_detail(verdict: str, row: dict) -> str:
    """Why, in a few words, from one ``run_sources`` row (errors and dropped already decoded)."""
    if verdict in ("unreachable", "blocked"):
        return _top(row["errors"]) or "no page answered"
    if verdict == "layout_changed":
        extraction = {reason: n for reason, n in row["dropped"].items() if reason in EXTRACTION_DROPS}
        if extraction:
            return f"{row.get('article_pages') or 0} article pages, none extracted ({_top(extraction)})"
        return f"{row['pages']} pages fetched, no article links found"
    if verdict == "quiet":
        return "reachable, nothing new"
    return ""


@dataclass
class SourceHealth:
    source_id: str
    name: str
    verdict: str
    label: str
    detail: str = ""
    last_run_id: int | None = None
    last_run_at: str | None = None
    last_run_status: str | None = None
    last_success_at: str | None = None
    new_last_run: int | None = None
    usual_new_per_run: float | None = None
    articles_total: int = 0
    errors: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def source_health(archive: Archive, sources: dict[str, str]) -> list[SourceHealth]:
    """One :class:`SourceHealth` per source id in ``sources`` ({id: name}) and every source with runs."""
    names = dict(sources)
    for row in archive.db.execute("select distinct source_id from run_sources"):
        names.setdefault(row[0], row[0])
    for row in archive.db.execute("select id, name from sources"):
        if row[0] in names and names[row[0]] == row[0]:
            names[row[0]] = row[1]
    return [_health_of(archive, source_id, name) for source_id, name in sorted(names.items())]


def _health_of(archive: Archive, source_id: str, name: str) -> SourceHealth:
    rows = list(archive.db.query(
        """select rs.*, r.started_at, r.finished_at, r.status as run_status
           from run_sources rs join runs r on r.id = rs.run_id
           where rs.source_id = ? order by rs.run_id desc limit ?""", [source_id, USUAL_RATE_RUNS + 1]))
    total = archive.count_articles(source_id)
    if not rows:
        return SourceHealth(source_id, name, "never_crawled", VERDICT_LABELS["never_crawled"], articles_total=total)
    last = rows[0]
    last["errors"] = json.loads(last["errors"] or "{}")
    last["dropped"] = json.loads(last["dropped"] or "{}")
    verdict = last["status"] if last["status"] in VERDICT_LABELS else run_verdict(_counts_of(last))
    earlier = [row["articles_new"] or 0 for row in rows[1:]]
    return SourceHealth(
        source_id=source_id, name=name, verdict=verdict, label=VERDICT_LABELS[verdict],
        detail=verdict_detail(verdict, last),
        last_run_id=last["run_id"], last_run_at=last["finished_at"] or last["started_at"],
        last_run_status=last["run_status"], last_success_at=_last_success(archive, source_id),
        new_last_run=last["articles_new"] or 0,
        usual_new_per_run=round(sum(earlier) / len(earlier), 1) if earlier else None,
        articles_total=total, errors=last["errors"], dropped=last["dropped"],
    )


def _last_success(archive: Archive, source_id: str) -> str | None:
    row = archive.db.execute(
        """select r.finished_at from run_sources rs join runs r on r.id = rs.run_id
           where rs.source_id = ? and rs.status in ('ok', 'quiet') order by rs.run_id desc limit 1""",
        [source_id]).fetchone()
    return row[0] if row else None


def _counts_of(row: dict) -> dict:
    """Counts in the shape :func:`run_verdict` reads, from a ``run_sources`` row of an older schema."""
    return {"pages": row["pages"] or 0, "new": row["articles_new"] or 0, "updated": row["articles_updated"] or 0,
            "unchanged": row["articles_unchanged"] or 0, "errors": row["errors"], "dropped": row["dropped"],
            "pages_unchanged": row.get("pages_unchanged") or 0, "article_pages": row.get("article_pages") or 0,
            "links_found": row.get("links_found") if row.get("links_found") is not None else 1}


def _top(counts: dict, limit: int = 3) -> str:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return ", ".join(f"{key} ×{value}" for key, value in ranked)
