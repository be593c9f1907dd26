"""Date normalization (first simple version; to be replaced by the Ukrainian date chain)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dateparser

KYIV = ZoneInfo("Europe/Kyiv")
DATE_SOURCES = ("jsonld", "meta", "time", "visible", "url", "text")


def parse_date(raw: str, now: datetime | None = None) -> datetime | None:
    settings = {"TIMEZONE": "Europe/Kyiv", "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DATES_FROM": "past"}
    if now is not None:
        settings["RELATIVE_BASE"] = now.astimezone(KYIV).replace(tzinfo=None)
    parsed = dateparser.parse(raw, languages=["uk", "ru", "en"], settings=settings)
    return parsed.astimezone(KYIV) if parsed else None


def resolve_dates(candidates, now: datetime | None = None) -> dict:
    """Pick the most reliable parseable candidate for published and modified dates."""
    result = {}
    for kind in ("published", "modified"):
        result[kind] = result[f"{kind}_raw"] = result[f"{kind}_source"] = None
        ranked = sorted((c for c in candidates if c.kind == kind), key=lambda c: DATE_SOURCES.index(c.source))
        for candidate in ranked:
            parsed = parse_date(candidate.raw, now)
            if parsed is not None:
                result[kind], result[f"{kind}_raw"], result[f"{kind}_source"] = parsed, candidate.raw, candidate.source
                break
    return result
