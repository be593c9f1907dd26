"""``hromada export -o FILE.warc.gz``: the demo archive's raw pages as WARC 1.1, read back with warcio's own
reader and indexed with cdxj-indexer."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db_path = tmp_path_factory.mktemp("warc") / "demo.db"
    result = subprocess.run([str(BIN / "hromada"), "demo", "--db", str(db_path)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return db_path


def export_warc(db_path: Path, output: Path, *options: str) -> dict:
    result = CliRunner().invoke(main, ["export", *options, "--db", str(db_path), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return json.loads(output.with_name(output.name.removesuffix(".warc.gz") + ".manifest.json").read_text("utf-8"))


def read_records(path: Path) -> list[dict]:
    with open(path, "rb") as file:
        return [{"type": record.rec_type, "headers": dict(record.rec_headers.headers),
                 "version": record.rec_headers.protocol,
                 "status": record.http_headers.get_statuscode() if record.http_headers else None,
                 "content_type": record.http_headers.get_header("Content-Type") if record.http_headers else None,
                 "payload": record.content_stream().read()}
                for record in ArchiveIterator(file)]


def stored_pages(db_path: Path) -> dict[int, tuple]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("select article_id, fetched_url, http_status, content_type, html_gz from raw_pages")
        return {article_id: (url, status, content_type, gzip.decompress(html_gz))
                for article_id, url, status, content_type, html_gz in rows}


@pytest.fixture(scope="module")
def demo_warc(demo_db, tmp_path_factory) -> tuple[Path, dict]:
    output = tmp_path_factory.mktemp("warc-out") / "demo.warc.gz"
    return output, export_warc(demo_db, output)


def test_every_article_has_exactly_one_response_whose_payload_is_its_raw_page(demo_db, demo_warc):
    output, manifest = demo_warc
    pages = stored_pages(demo_db)
    responses = [record for record in read_records(output) if record["type"] == "response"]
    assert len(pages) == 37 and len(responses) == len(pages) == manifest["warc"]["response_records"]
    by_url = {url: hashlib.sha256(body).hexdigest() for url, _, _, body in pages.values()}
    assert sorted(record["headers"]["WARC-Target-URI"] for record in responses) == sorted(by_url)
    for record in responses:
        assert hashlib.sha256(record["payload"]).hexdigest() == by_url[record["headers"]["WARC-Target-URI"]]
        assert record["status"] == "200" and record["content_type"].startswith("text/html")


def test_records_are_warc_1_1_and_each_metadata_record_links_a_response_to_its_archive_row(demo_db, demo_warc):
    output, _ = demo_warc
    records = read_records(output)
    assert records[0]["type"] == "warcinfo" and b"hromada-news" in records[0]["payload"]
    assert {record["version"] for record in records} == {"WARC/1.1"}
    responses = {record["headers"]["WARC-Record-ID"]: record for record in records if record["type"] == "response"}
    requests = [record for record in records if record["type"] == "request"]
    assert sorted(record["headers"]["WARC-Concurrent-To"] for record in requests) == sorted(responses)
    pages = stored_pages(demo_db)
    metadata = [record for record in records if record["type"] == "metadata"]
    assert len(metadata) == len(pages)
    for record in metadata:
        article = json.loads(record["payload"])["hromada_article"]
        response = responses[record["headers"]["WARC-Refers-To"]]
        assert response["headers"]["WARC-Target-URI"] == pages[article["id"]][0] == record["headers"]["WARC-Target-URI"]
        assert article["title"] and article["url"]


def test_cdxj_indexer_indexes_every_page(demo_db, demo_warc):
    output, _ = demo_warc
    result = subprocess.run([str(BIN / "cdxj-indexer"), str(output)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line.split(" ", 2)[2]) for line in result.stdout.splitlines()]
    html = [entry for entry in entries if entry.get("mime", "").startswith("text/html")]
    assert sorted(entry["url"] for entry in html) == sorted(url for url, *_ in stored_pages(demo_db).values())
    assert {entry["status"] for entry in html} == {"200"}


def test_the_export_filters_choose_the_pages(demo_db, tmp_path):
    with sqlite3.connect(demo_db) as conn:
        source_id, expected = conn.execute(
            "select source_id, count(*) from articles group by source_id order by count(*) desc limit 1").fetchone()
        urls = {url for (url,) in conn.execute(
            "select r.fetched_url from raw_pages r join articles a on a.id = r.article_id where a.source_id = ?",
            [source_id])}
    output = tmp_path / "one-source.warc.gz"
    manifest = export_warc(demo_db, output, "--source", source_id)
    responses = [record for record in read_records(output) if record["type"] == "response"]
    assert manifest["rows"] == manifest["warc"]["response_records"] == expected
    assert {record["headers"]["WARC-Target-URI"] for record in responses} == urls


def test_an_article_without_a_raw_page_gets_its_metadata_record_only(search_archive, tmp_path):
    output = tmp_path / "no-pages.warc.gz"
    manifest = export_warc(search_archive, output, "--format", "warc")
    records = read_records(output)
    metadata = [record for record in records if record["type"] == "metadata"]
    assert manifest["warc"] == {"version": "WARC/1.1", "response_records": 0, "superseded_revision_records": 0,
                                "articles_without_raw_page": manifest["rows"]}
    assert len(metadata) == manifest["rows"] > 0 and not [r for r in records if r["type"] == "response"]
    assert all("WARC-Refers-To" not in record["headers"] for record in metadata)


def test_a_superseded_revision_is_its_own_capture_before_the_current_one(tmp_path):
    from crawler.archive.store import Archive, content_hash

    url = "https://example.test/news/1"
    pages = {"2025-08-20T08:00:00+00:00": "<p>Засідання тривало три години.</p>",
             "2025-08-22T08:00:00+00:00": "<p>Засідання тривало чотири години.</p>"}
    with Archive(tmp_path / "archive.db") as archive:
        with archive.db.conn:
            archive.db.execute("insert into sources (id, name) values ('s', 'Сільська рада')")
        for fetched_at, html in pages.items():
            text = html.removeprefix("<p>").removesuffix("</p>")
            archive.store_article(
                {"url": url, "source_id": "s", "title": "Сесія ради", "text": text, "fetched_at": fetched_at,
                 "content_hash": content_hash("Сесія ради", text), "extractor_version": "1"},
                {"fetched_url": url, "fetched_at": fetched_at, "http_status": 200,
                 "content_type": "text/html; charset=utf-8", "encoding": "utf-8", "body": html.encode("utf-8")})
    output = tmp_path / "revisions.warc.gz"
    manifest = export_warc(tmp_path / "archive.db", output)
    records = read_records(output)
    responses = [record for record in records if record["type"] == "response"]
    assert [(r["headers"]["WARC-Date"], r["payload"].decode()) for r in responses] == [
        ("2025-08-20T08:00:00Z", pages["2025-08-20T08:00:00+00:00"]),
        ("2025-08-22T08:00:00Z", pages["2025-08-22T08:00:00+00:00"])]
    described = [json.loads(record["payload"]) for record in records if record["type"] == "metadata"]
    assert described[0]["hromada_revision"]["revision"] == 1 and described[1]["hromada_article"]["revision"] == 2
    assert manifest["warc"]["response_records"] == manifest["warc"]["superseded_revision_records"] == 1
