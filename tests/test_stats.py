"""``hromada stats``: counts per source (with undated), month and oblast, and the per-oblast plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import stats
from crawler.archive import Archive
from crawler.cli import main
from test_search import build_archive


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("stats") / "archive.db")


@pytest.fixture
def db(archive_path):
    with Archive(archive_path, read_only=True) as archive:
        yield archive.db


def test_per_source_counts_articles_and_undated(db):
    rows = {row["source_id"]: row for row in stats.per_source(db)}
    assert {key: (row["articles"], row["undated"]) for key, row in rows.items()} == {
        "ekhmilnyk": (3, 0), "bucha": (2, 1), "lviv-portal": (1, 0)}
    assert rows["bucha"]["first_published"] == rows["bucha"]["last_published"] == "2024-11-05T09:30:00+02:00"


def test_per_month_and_per_oblast(db):
    assert stats.per_month(db) == [{"month": "2023-01", "articles": 1}, {"month": "2024-11", "articles": 1},
                                   {"month": "2025-03", "articles": 2}, {"month": "2025-06", "articles": 1}]
    assert stats.per_oblast(db) == [{"oblast": "Вінницька", "articles": 3, "undated": 0},
                                    {"oblast": "Київська", "articles": 2, "undated": 1},
                                    {"oblast": "Львівська", "articles": 1, "undated": 0}]
    assert stats.per_month_per_oblast(db)["Вінницька"] == {"2023-01": 1, "2025-03": 2}


def test_cli_json_and_plot(archive_path, tmp_path):
    plot = tmp_path / "per-oblast.png"
    result = CliRunner().invoke(main, ["stats", "--db", str(archive_path), "--by", "oblast", "--by", "source",
                                       "--plot", str(plot), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output[result.output.index("{"):])
    assert list(printed) == ["oblast", "source"] and printed["oblast"][0]["oblast"] == "Вінницька"
    assert plot.read_bytes().startswith(b"\x89PNG") and plot.stat().st_size > 5_000


def test_cli_table_output(archive_path):
    result = CliRunner().invoke(main, ["stats", "--db", str(archive_path)])
    assert result.exit_code == 0, result.output
    assert "articles per source" in result.output and "articles per month" in result.output
    assert "Бучанська міська рада" in result.output and "2025-03" in result.output
