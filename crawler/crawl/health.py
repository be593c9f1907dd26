"""Source health: a verdict per source per run, and the status line analysts read.

A run's verdict for one source comes from its counts (see
crawler/crawl/runlog.py): unreachable (no page answered), blocked (403/429),
layout changed (pages fetched but no article link found, or article pages
fetched and none extractable), degraded (a large share of its fetches failed:
the slow decay of a site whose article URLs die one by one), quiet (reachable,
nothing new) or ok.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Callable

BLOCKED_ERRORS = ("http_403", "http_429")
#: ``extraction_backoff``: pages whose extraction failed before, not fetched this run (crawler/crawl/spider_base.py);
#: they count as failing again, so "layout changed" stays until a page extracts.
EXTRACTION_DROPS = ("too_short", "no_title", "parse_error", "extraction_backoff")
#: Errors of our own pipelines, not of the site: they never count as failed fetches.
PIPELINE_ERRORS = ("archive", "analyse", "parse", "places", "stories")
#: Verdicts that make ``hromada crawl`` exit non-zero.
FAILED_VERDICTS = ("unreachable", "blocked", "layout_changed")
#: Every verdict, worst first: the order of ``hromada status`` and of its summary.
VERDICT_LABELS = {
    "unreachable": "unreachable", "blocked": "blocked", "layout_changed": "layout changed",
    "degraded": "degraded", "quiet": "quiet", "ok": "OK", "never_crawled": "never crawled",
}
SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICT_LABELS)}
USUAL_RATE_RUNS = 10  # earlier runs averaged into a source's usual number of new articles per run
DEGRADED_SHARE = 0.3  # a run whose failed fetches are this share of its article fetches or more is degraded
DEGRADED_MIN_FAILURES = 3  # ... and at least this many, so one dead link in a small run is not


def fetch_failures(errors: dict) -> int:
    """Requests the site failed (HTTP errors, timeouts, refusals), not errors of our own pipelines."""
    return sum(count for kind, count in errors.items() if kind not in PIPELINE_ERRORS)


def is_degraded(counts: dict) -> bool:
    failed = fetch_failures(counts.get("errors", {}))
    attempted = counts.get("article_pages", 0) + failed
    return failed >= DEGRADED_MIN_FAILURES and failed >= DEGRADED_SHARE * attempted


def attempted_article_pages(counts: dict) -> int:
    """Article pages fetched, and those skipped while their extraction backs off (as if fetched again)."""
    return (counts.get("article_pages") or 0) + counts.get("dropped", {}).get("extraction_backoff", 0)


def run_verdict(counts: dict) -> str:
    """The verdict for one source's counts in one run."""
    errors, dropped = counts.get("errors", {}), counts.get("dropped", {})
    pages = counts.get("pages", 0)
    blocked_errors = sum(errors.get(kind, 0) for kind in BLOCKED_ERRORS)
    if pages == 0 and not counts.get("pages_unchanged", 0):
        return "blocked" if blocked_errors else "unreachable"
    if blocked_errors and blocked_errors >= pages:
        return "blocked"
    archived = counts.get("updated", 0) + counts.get("unchanged", 0)
    extraction_drops = sum(dropped.get(reason, 0) for reason in EXTRACTION_DROPS)
    if not counts.get("new", 0):
        if attempted_article_pages(counts) and not archived and extraction_drops:
            return "layout_changed"
        if pages and not counts.get("pages_unchanged", 0) and not counts.get("links_found", 0):
            return "layout_changed"
    if is_degraded(counts):
        return "degraded"
    return "ok" if counts.get("new", 0) else "quiet"


def verdict_detail(verdict: str, row: dict) -> str:
    """Why, in a few words, from one ``run_sources`` row (errors and dropped already decoded)."""
    errors = _top(row["errors"])
    if verdict in ("unreachable", "blocked"):
        return errors or "no page answered"
    if verdict == "layout_changed":
        extraction = {reason: n for reason, n in row["dropped"].items() if reason in EXTRACTION_DROPS}
        if extraction:
            return f"{attempted_article_pages(row)} article pages, none extracted ({_top(extraction)})"
        return f"{row['pages']} pages fetched, no article links found"
    if verdict == "degraded":
        failed = fetch_failures(row["errors"])
        return f"{failed} of {(row.get('article_pages') or 0) + failed} article fetches failed ({errors})"
    if verdict == "quiet":
        return "reachable, nothing new" + (f"; {errors}" if errors else "")
    return errors


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
    faults: dict = field(default_factory=dict)  # content faults of the last run (title_truncated, date_impossible)

    def to_json(self) -> dict:
        return asdict(self)


def source_health(db, sources: dict[str, str], *, crawled_only: bool = False) -> list[SourceHealth]:
    """A :class:`SourceHealth`, worst first, per source of the archive ``db`` (a sqlite_utils.Database)
    that has runs, and, unless ``crawled_only``, per source id in ``sources`` ({id: name}: the registry)."""
    crawled = {row[0] for row in db.execute("select distinct source_id from run_sources")}
    names = {source_id: source_id for source_id in crawled}
    names.update((source_id, name) for source_id, name in sources.items() if not crawled_only or source_id in crawled)
    for source_id, name in db.execute("select id, name from sources"):
        if names.get(source_id) == source_id and name:
            names[source_id] = name
    totals = dict(db.execute("select source_id, count(*) from articles group by source_id").fetchall())
    rows = [_health_of(db, source_id, name, totals.get(source_id, 0)) for source_id, name in names.items()]
    return sorted(rows, key=lambda row: (SEVERITY[row.verdict], row.source_id))


def summary_line(rows: list[SourceHealth], label: Callable[[str], str] = VERDICT_LABELS.__getitem__) -> str:
    """E.g. "34 OK, 2 layout changed, 1 unreachable": most common verdict first, worst first among equals;
    ``label`` names a verdict (the web view's in the reader's language)."""
    counts = Counter(row.verdict for row in rows)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], SEVERITY[item[0]]))
    return ", ".join(f"{count} {label(verdict)}" for verdict, count in ranked)


def _health_of(db, source_id: str, name: str, total: int) -> SourceHealth:
    rows = list(db.query(
        """select rs.*, r.started_at, r.finished_at, r.status as run_status
           from run_sources rs join runs r on r.id = rs.run_id
           where rs.source_id = ? order by rs.run_id desc limit ?""", [source_id, USUAL_RATE_RUNS + 1]))
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
        last_run_status=last["run_status"], last_success_at=_last_success(db, source_id),
        new_last_run=last["articles_new"] or 0,
        usual_new_per_run=round(sum(earlier) / len(earlier), 1) if earlier else None,
        articles_total=total, errors=last["errors"], dropped=last["dropped"],
        faults=json.loads(last.get("faults") or "{}"),
    )


def _last_success(db, source_id: str) -> str | None:
    row = db.execute(
        """select r.finished_at from run_sources rs join runs r on r.id = rs.run_id
           where rs.source_id = ? and rs.status in ('ok', 'quiet', 'degraded') order by rs.run_id desc limit 1""",
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
