"""Export articles matching a search and filters as a citable dataset.

Formats: CSV (RFC 4180, UTF-8, optional BOM for Excel), JSON Lines, Parquet.
Rows stream from one SQLite cursor in batches, so memory stays flat however
large the archive. Beside the data file go ``NAME.manifest.json`` (what was
asked, what came out, from which archive, with which tool, when) and
``NAME.codebook.csv`` (every column's name, type and description).
"""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

from crawler import __version__
from crawler.search import Filters, connection, compile_query, matching_sql, require_search_index

CODEBOOK_FILE = Path(__file__).resolve().parent / "web" / "codebook.toml"
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
FETCH_BATCH = 5_000
PUBLISHED_AT = "published_at"


class ExportError(ValueError):
    """The export cannot be written as asked (bad format, unwritable path)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    sql: str | None = None


def load_codebook(path: Path = CODEBOOK_FILE) -> tuple[list[Column], list[Column]]:
    """(article columns, extra columns present only when the export has a query)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return ([Column(**entry) for entry in document["column"]],
            [Column(**entry) for entry in document.get("query_column", [])])


def format_for(path: Path, requested: str | None) -> str:
    if requested:
        return requested
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ExportError(f"cannot tell the format from {path.name!r}; name it .csv, .jsonl or .parquet or pass --format") from None


def sidecar_paths(output: Path) -> tuple[Path, Path]:
    """(manifest, codebook) paths beside ``output``: data.csv → data.manifest.json, data.codebook.csv."""
    stem = output.with_suffix("")
    return stem.with_name(stem.name + ".manifest.json"), stem.with_name(stem.name + ".codebook.csv")


# -- writers ---------------------------------------------------------------------
class CsvWriter:
    def __init__(self, path: Path, columns: list[Column], excel: bool):
        self.file = open(path, "w", encoding="utf-8-sig" if excel else "utf-8", newline="")
        self.writer = csv.writer(self.file, lineterminator="\r\n")
        self.writer.writerow([column.name for column in columns])

    def write(self, rows: list[tuple]) -> None:
        self.writer.writerows(["" if value is None else value for value in row] for row in rows)

    def close(self) -> None:
        self.file.close()


class JsonLinesWriter:
    def __init__(self, path: Path, columns: list[Column], excel: bool):
        self.file = open(path, "w", encoding="utf-8", newline="\n")
        self.names = [column.name for column in columns]

    def write(self, rows: list[tuple]) -> None:
        self.file.writelines(json.dumps(dict(zip(self.names, row)), ensure_ascii=False) + "\n" for row in rows)

    def close(self) -> None:
        self.file.close()


class ParquetWriter:
    ARROW_TYPES = {"integer": "int64", "real": "float64", "text": "string"}

    def __init__(self, path: Path, columns: list[Column], excel: bool):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.schema([(column.name, pa.type_for_alias(self.ARROW_TYPES[column.type])) for column in columns])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: list[tuple]) -> None:
        columns = list(zip(*rows))
        arrays = [self.pa.array(values, type=field.type) for values, field in zip(columns, self.schema)]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


WRITERS = {"csv": CsvWriter, "jsonl": JsonLinesWriter, "parquet": ParquetWriter}


# -- export ------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportRequest:
    output: Path
    format: str
    query: str | None = None
    filters: Filters = Filters()
    sort: str = "newest"
    excel: bool = False


def export_sql(request: ExportRequest) -> tuple[str, list, list[Column]]:
    """The SELECT for an export, its parameters and the columns it yields, in order."""
    columns, query_columns = load_codebook()
    compiled = compile_query(request.query) if request.query else None
    sql, params = matching_sql(", ".join(column.sql for column in columns), request.filters, compiled, request.sort)
    if compiled is not None:
        columns = columns + query_columns
    return sql, params, columns


def count_rows(db, request: ExportRequest) -> int:
    sql, params, _ = export_sql(request)
    return connection(db).execute(f"select count(*) from ({sql})", params).fetchone()[0]


def _batches(db, sql: str, params: list, has_score: bool) -> Iterator[list[tuple]]:
    cursor = connection(db).execute(sql, params)
    while rows := cursor.fetchmany(FETCH_BATCH):
        if has_score:
            # bm25() is lower-is-better; researchers expect higher-is-better relevance.
            rows = [(*row[:-1], round(-row[-1], 6)) for row in rows]
        yield rows


class _PublishedRange:
    def __init__(self, index: int):
        self.index, self.first, self.last, self.undated = index, None, None, 0

    def update(self, rows: list[tuple]) -> None:
        for row in rows:
            value = row[self.index]
            if value is None:
                self.undated += 1
                continue
            if self.first is None or value < self.first:
                self.first = value
            if self.last is None or value > self.last:
                self.last = value


def export(db, request: ExportRequest, *, archive_path: Path, schema_version: int, now: datetime,
           on_rows: Callable[[int], None] | None = None) -> dict:
    """Write the dataset, its manifest and codebook; return the manifest.

    Raises crawler.search.SearchQueryError for a bad query, ExportError for a bad format or path.
    """
    if request.format not in WRITERS:
        raise ExportError(f"unknown format {request.format!r}; choose one of {', '.join(WRITERS)}")
    if request.excel and request.format != "csv":
        raise ExportError("--excel only applies to CSV")
    require_search_index(db)
    sql, params, columns = export_sql(request)
    published = _PublishedRange([column.name for column in columns].index(PUBLISHED_AT))
    try:
        writer = WRITERS[request.format](request.output, columns, request.excel)
    except OSError as error:
        raise ExportError(f"cannot write {request.output}: {error.strerror}") from None
    rows_written = 0
    try:
        for rows in _batches(db, sql, params, has_score=request.query is not None):
            writer.write(rows)
            published.update(rows)
            rows_written += len(rows)
            if on_rows is not None:
                on_rows(len(rows))
    finally:
        writer.close()
    manifest = _manifest(db, request, columns, rows_written, published, archive_path, schema_version, now)
    _write_sidecars(request.output, manifest, columns)
    return manifest


def _manifest(db, request: ExportRequest, columns: list[Column], rows: int, published: _PublishedRange,
              archive_path: Path, schema_version: int, now: datetime) -> dict:
    manifest_path, codebook_path = sidecar_paths(request.output)
    return {
        "dataset": request.output.name,
        "format": request.format + (" (UTF-8 with BOM for Excel)" if request.excel else ""),
        "rows": rows,
        "bytes": request.output.stat().st_size,
        "sha256": _sha256(request.output),
        "query": request.query,
        "match_expression": compile_query(request.query).match if request.query else None,
        "sort": request.sort if request.query else "newest",
        "filters": request.filters.as_dict(),
        "published_range": {"first": published.first, "last": published.last, "undated_rows": published.undated},
        "archive": {
            "path": str(archive_path.resolve()),
            "schema_version": schema_version,
            "articles_total": connection(db).execute("select count(*) from articles").fetchone()[0],
        },
        "tool": {
            "name": "hromada-news", "version": __version__,
            "lemmatizer": f"pymorphy3 {_version('pymorphy3')}, pymorphy3-dicts-uk {_version('pymorphy3-dicts-uk')}",
        },
        "exported_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "columns": [column.name for column in columns],
        "codebook": codebook_path.name,
    }


def _write_sidecars(output: Path, manifest: dict, columns: list[Column]) -> None:
    manifest_path, codebook_path = sidecar_paths(output)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with open(codebook_path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["name", "type", "description"])
        writer.writerows([column.name, column.type, column.description] for column in columns)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
