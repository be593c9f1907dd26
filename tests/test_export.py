"""Exports: the same rows search returns, intact through csv and pandas, with manifest and codebook."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pandas
import pytest
from click.testing import CliRunner

from crawler.archive.store import Archive
from crawler.cli import main
from crawler.archive.export import ExportError, ExportRequest, export, load_codebook, sidecar_paths
from crawler.archive.search import Filters, search
from tests.search_archive import ARTICLES, build_archive

import pyarrow
import pyarrow.parquet

NOW = datetime(2025, 9, 2, 8, 30, tzinfo=timezone.utc)
COLUMNS = [column.name for column in load_codebook()[0]]


def stored_rows(search_archive: Path) -> dict[str, dict]:
    with sqlite3.connect(search_archive) as conn:
        conn.row_factory = sqlite3.Row
        return {row["url"]: dict(row) for row in conn.execute("select * from articles")}


def run_export(search_archive: Path, output: Path, *args: str):
    result = CliRunner().invoke(main, ["export", *args, "--db", str(search_archive), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return result


def test_filtered_csv_matches_search_and_survives_csv_and_pandas(search_archive, tmp_path):
    output = tmp_path / "gromada.csv"
    run_export(search_archive, output, "громада", "--since", "2024-01-01", "--sort", "rank")
    with Archive(search_archive, read_only=True) as archive:
        expected = [hit.url for hit in search(archive.db, "громада", Filters(since=date(2024, 1, 1)), limit=1000)]
    stored = stored_rows(search_archive)

    with open(output, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["url"] for row in rows] == expected
    assert sorted(expected) == ["https://example.test/park", "https://example.test/session"]
    assert list(rows[0]) == COLUMNS + ["relevance"]
    for row in rows:
        original = stored[row["url"]]
        assert (row["title"], row["text"], row["published_at"]) == (original["title"], original["text"], original["published_at"])
    park = next(row for row in rows if row["url"].endswith("/park"))
    assert '"Дякуємо, друзі"' in park["text"] and "\n" in park["text"] and park["title"] == 'Разом з громадою, "як завжди"'

    frame = pandas.read_csv(output, dtype=str, keep_default_na=False)
    assert list(frame["url"]) == expected
    assert list(frame["text"]) == [stored[url]["text"] for url in expected]
    assert output.read_bytes()[:3] != b"\xef\xbb\xbf" and b"\r\n" in output.read_bytes()


def test_manifest_and_codebook_ship_beside_the_export(search_archive, tmp_path):
    output = tmp_path / "vinnytsia.csv"
    with Archive(search_archive, read_only=True) as archive:
        manifest = export(archive.db, ExportRequest(output, "csv", query="громада", filters=Filters(oblast="Вінницька")),
                          archive_path=search_archive, schema_version=archive.schema_version, now=NOW)
    manifest_path, codebook_path = sidecar_paths(output)
    assert (manifest_path.name, codebook_path.name) == ("vinnytsia.manifest.json", "vinnytsia.codebook.csv")
    on_disk = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert on_disk["rows"] == 2 and on_disk["query"] == "громада" and on_disk["match_expression"] == '"громада"'
    assert on_disk["filters"]["oblast"] == "Вінницька" and on_disk["filters"]["since"] is None
    assert on_disk["published_range"] == {"first": "2023-01-15T10:00:00+02:00", "last": "2025-03-10T11:00:00+02:00", "undated_rows": 0}
    assert on_disk["archive"]["schema_version"] >= 2 and on_disk["archive"]["articles_total"] == len(ARTICLES)
    assert on_disk["exported_at"] == "2025-09-02T08:30:00+00:00" and on_disk["tool"]["name"] == "hromada-news"
    assert on_disk["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest() and on_disk["bytes"] == output.stat().st_size
    with open(codebook_path, encoding="utf-8", newline="") as file:
        codebook = list(csv.DictReader(file))
    assert [entry["name"] for entry in codebook] == on_disk["columns"] == COLUMNS + ["relevance"]
    assert all(entry["type"] in ("integer", "real", "text", "timestamp") and len(entry["description"]) > 10
               for entry in codebook)
    assert {entry["name"] for entry in codebook if entry["type"] == "timestamp"} == {
        "published_at", "modified_at", "first_seen_at", "fetched_at", "removed_at"}
    assert codebook_path.read_bytes()[:3] != b"\xef\xbb\xbf"
    assert "CC BY 4.0" in on_disk["licence"]
    assert on_disk["cite_as"] == (f"hromada-news archive, vinnytsia.csv: 2 articles published 2023-01-15 to 2025-03-10, "
                                  f"exported 2025-09-02 by hromada-news {on_disk['tool']['version']} "
                                  f"(sha256 {on_disk['sha256'][:12]}).")


def test_export_without_query_takes_every_filtered_article_newest_first(search_archive, tmp_path):
    output = tmp_path / "bucha.csv"
    run_export(search_archive, output, "--source", "bucha")
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False)
    assert list(frame["url"]) == ["https://example.test/park", "https://example.test/idp"]
    assert list(frame.columns) == COLUMNS
    manifest = json.loads(sidecar_paths(output)[0].read_text(encoding="utf-8"))
    assert manifest["published_range"]["undated_rows"] == 1 and manifest["query"] is None


def test_csv_quotes_text_doubles_quotes_and_leaves_null_empty(search_archive, tmp_path):
    output = tmp_path / "bucha.csv"
    run_export(search_archive, output, "--source", "bucha")
    lines = output.read_bytes().decode("utf-8").split("\r\n")
    park, idp = lines[1], next(line for line in lines if "/idp" in line)
    assert park.startswith(f"{stored_rows(search_archive)['https://example.test/park']['id']},\"https://example.test/park\",")
    assert '"Разом з громадою, ""як завжди"""' in park
    assert '"Соціальні послуги для переселенців у громадах області.",,,' in idp  # no date, no date source, no modified_at


def test_excel_csv_starts_with_bom(search_archive, tmp_path):
    output = tmp_path / "excel.csv"
    run_export(search_archive, output, "--excel")
    assert output.read_bytes().startswith(b"\xef\xbb\xbfid,url,")
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(frame) == len(ARTICLES) and "Об’єднання співвласників отримало грант" in set(frame["title"])


def test_jsonl_and_parquet_round_trip(search_archive, tmp_path):
    stored = stored_rows(search_archive)
    jsonl, parquet = tmp_path / "all.jsonl", tmp_path / "all.parquet"
    run_export(search_archive, jsonl, "об’єднання")
    run_export(search_archive, parquet, "об’єднання")
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    frame = pandas.read_parquet(parquet)
    assert [line["url"] for line in lines] == list(frame["url"]) == ["https://example.test/osbb", "https://example.test/veterans"]
    for line in lines:
        assert {key: line[key] for key in ("id", "title", "text", "published_at")} == \
            {key: stored[line["url"]][key] for key in ("id", "title", "text", "published_at")}
    assert frame["id"].dtype == "int64" and frame["relevance"].dtype == "float64"
    assert list(frame["text"]) == [stored[url]["text"] for url in frame["url"]]


def test_bad_requests_give_clear_messages_and_no_file(search_archive, tmp_path):
    runner = CliRunner()
    unknown = runner.invoke(main, ["export", "--db", str(search_archive), "-o", str(tmp_path / "x.txt")])
    assert unknown.exit_code == 2 and ".csv, .jsonl, .parquet or .warc.gz" in unknown.output
    hostile = runner.invoke(main, ["export", '"; DROP TABLE articles', "--db", str(search_archive), "-o", str(tmp_path / "h.csv")])
    assert hostile.exit_code == 2 and "unbalanced double quote" in hostile.output and not (tmp_path / "h.csv").exists()
    excel = runner.invoke(main, ["export", "--excel", "--db", str(search_archive), "-o", str(tmp_path / "x.jsonl")])
    assert excel.exit_code == 2 and "--excel only applies to CSV" in excel.output
    with Archive(search_archive, read_only=True) as archive, pytest.raises(ExportError, match="cannot write"):
        export(archive.db, ExportRequest(tmp_path / "missing-dir" / "x.csv", "csv"), archive_path=search_archive,
               schema_version=archive.schema_version, now=NOW)


def test_place_filter_exports_articles_about_the_place(search_archive, tmp_path):
    output = tmp_path / "volyn.csv"
    run_export(search_archive, output, "--oblast", "Волинська")
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False)
    assert list(frame["url"]) == ["https://example.test/volyn"] and list(frame["oblast"]) == ["Вінницька"]
    assert json.loads(sidecar_paths(output)[0].read_text(encoding="utf-8"))["filters"]["oblast"] == "Волинська"
    result = CliRunner().invoke(main, ["export", "--db", str(search_archive), "-o", str(tmp_path / "x.csv"),
                                       "--hromada", "Нарнійська"])
    assert result.exit_code == 2 and "--hromada 'Нарнійська'" in result.output and not (tmp_path / "x.csv").exists()


@pytest.fixture(scope="module")
def story_archive(tmp_path_factory) -> Path:
    """session is the original of a story that veterans reposts; the other articles are in no story."""
    path = build_archive(tmp_path_factory.mktemp("stories") / "archive.db")
    with Archive(path) as archive, archive.db.conn:
        for key, is_original in (("session", 1), ("veterans", 0)):
            archive.db.execute("update articles set story_id = 7, is_original = ? where url = ?",
                               [is_original, f"https://example.test/{key}"])
    return path


def test_exports_carry_story_columns(story_archive, tmp_path):
    output = tmp_path / "all.csv"
    run_export(story_archive, output)
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False).set_index("url")
    assert frame.loc["https://example.test/session", ["story_id", "is_original"]].tolist() == ["7", "1"]
    assert frame.loc["https://example.test/veterans", ["story_id", "is_original"]].tolist() == ["7", "0"]
    assert frame.loc["https://example.test/park", ["story_id", "is_original"]].tolist() == ["", ""]


def test_one_per_story_keeps_originals_and_story_less_articles(story_archive, tmp_path):
    output = tmp_path / "stories.jsonl"
    run_export(story_archive, output, "--one-per-story")
    urls = {json.loads(line)["url"].rsplit("/", 1)[1] for line in output.read_text(encoding="utf-8").splitlines()}
    assert urls == set(ARTICLES) - {"veterans"}
    assert json.loads(sidecar_paths(output)[0].read_text(encoding="utf-8"))["filters"]["one_per_story"] is True


def test_exports_name_the_places_an_article_is_about(search_archive, tmp_path):
    output = tmp_path / "all.csv"
    run_export(search_archive, output)
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False).set_index("url")
    volyn = frame.loc["https://example.test/volyn"]
    assert volyn["places"] == "Хмільницька; Волинська; Луцьк" and volyn["oblast"] == "Вінницька"
    assert volyn["places_katottg"] == "UA05120170000013778; UA07000000000024379; UA07080170010083384"
    assert frame.loc["https://example.test/osbb", ["places", "places_katottg"]].tolist() == ["Львівська", "UA46000000000026241"]


@pytest.fixture(scope="module")
def revised_archive(tmp_path_factory) -> Path:
    """park revised once and later removed by its publisher; session with the date as its page printed it."""
    path = build_archive(tmp_path_factory.mktemp("revised") / "archive.db")
    with Archive(path) as archive, archive.db.conn:
        archive.db.execute("update articles set revision = 2, removed_at = '2025-10-01T06:00:00+00:00' where url like '%/park'")
        archive.db.execute("update articles set published_raw = '10 березня 2025, 11:00' where url like '%/session'")
    return path


def test_exports_say_which_revision_they_hold_and_what_was_removed(revised_archive, tmp_path):
    output = tmp_path / "all.jsonl"
    run_export(revised_archive, output)
    rows = {row["url"].rsplit("/", 1)[1]: row for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())}
    assert (rows["park"]["revision"], rows["park"]["removed_at"]) == (2, "2025-10-01T06:00:00+00:00")
    assert (rows["osbb"]["revision"], rows["osbb"]["removed_at"]) == (1, None)
    assert rows["session"]["published_raw"] == "10 березня 2025, 11:00" and rows["idp"]["published_raw"] is None


def test_parquet_timestamps_are_typed_utc(revised_archive, tmp_path):
    output = tmp_path / "all.parquet"
    run_export(revised_archive, output)
    schema = pyarrow.parquet.read_schema(output)
    for name in ("published_at", "modified_at", "first_seen_at", "fetched_at", "removed_at"):
        assert schema.field(name).type == pyarrow.timestamp("ms", tz="UTC"), name
    assert schema.field("published_raw").type == pyarrow.string()
    frame = pandas.read_parquet(output).set_index("url")
    assert frame.loc["https://example.test/session", "published_at"] == pandas.Timestamp("2025-03-10T09:00:00Z")
    assert frame.loc["https://example.test/park", "removed_at"] == pandas.Timestamp("2025-10-01T06:00:00Z")
    assert pandas.isna(frame.loc["https://example.test/idp", "published_at"])


def test_an_unreadable_time_becomes_null_in_parquet(tmp_path):
    path = build_archive(tmp_path / "archive.db")
    with Archive(path) as archive, archive.db.conn:
        archive.db.execute("update articles set modified_at = 'вчора' where url like '%/park'")
        archive.db.execute("update articles set first_seen_at = '2025-09-01T15:00:00' where url like '%/park'")
    output = tmp_path / "all.parquet"
    run_export(path, output)
    park = pandas.read_parquet(output).set_index("url").loc["https://example.test/park"]
    assert pandas.isna(park["modified_at"]) and park["first_seen_at"] == pandas.Timestamp("2025-09-01T15:00:00Z")


def test_excel_codebook_has_a_bom_too(search_archive, tmp_path):
    output = tmp_path / "excel.csv"
    run_export(search_archive, output, "--excel")
    codebook = sidecar_paths(output)[1].read_bytes()
    assert codebook.startswith(b"\xef\xbb\xbfname,type,description\r\n")


def test_an_archive_older_than_revisions_exports_revision_one(tmp_path):
    path = build_archive(tmp_path / "archive.db")
    with sqlite3.connect(path) as conn:
        conn.execute("alter table articles drop column removed_at")
        conn.execute("alter table articles drop column revision")
    output = tmp_path / "old.csv"
    run_export(path, output)
    frame = pandas.read_csv(output, dtype=str, keep_default_na=False)
    assert set(frame["revision"]) == {"1"} and set(frame["removed_at"]) == {""} and len(frame) == len(ARTICLES)
