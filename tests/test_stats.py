"""``hromada stats``: counts per source (with undated), month and oblast, and the per-oblast plot."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone

from click.testing import CliRunner

from crawler.archive import stats
from crawler.archive.store import Archive
from crawler.cli import main
from tests.search_archive import build_archive


def test_per_source_counts_articles_and_undated(search_db):
    rows = {row["source_id"]: row for row in stats.per_source(search_db)}
    assert {key: (row["articles"], row["undated"]) for key, row in rows.items()} == {
        "ekhmilnyk": (4, 0), "bucha": (2, 1), "lviv-portal": (1, 0)}
    assert rows["bucha"]["first_published"] == rows["bucha"]["last_published"] == "2024-11-05T09:30:00+02:00"


def test_per_month(search_db):
    assert stats.per_month(search_db) == [{"month": "2023-01", "articles": 1}, {"month": "2024-11", "articles": 1},
                                   {"month": "2025-03", "articles": 2}, {"month": "2025-04", "articles": 1},
                                   {"month": "2025-06", "articles": 1}]


def test_per_oblast_counts_the_places_articles_are_about(search_db):
    # The "volyn" article comes from a Vinnytsia source and is about Volyn: it counts in both oblasts.
    assert [(row["oblast"], row["articles"], row["undated"]) for row in stats.per_oblast(search_db)] == [
        ("Вінницька", 4, 0), ("Київська", 2, 1), ("Волинська", 1, 0), ("Львівська", 1, 0)]
    assert stats.per_oblast(search_db)[2]["katottg"] == "UA07000000000024379"
    assert stats.per_month_per_oblast(search_db)["Вінницька"] == {"2023-01": 1, "2025-03": 2, "2025-04": 1}
    assert stats.per_month_per_oblast(search_db)["Волинська"] == {"2025-04": 1}


def test_per_hromada_groups_places_by_their_enclosing_hromada(search_db):
    # Луцьк (a settlement) counts for the Луцька hromada; the Lviv oblast portal is about no single hromada.
    assert [(row["hromada"], row["articles"]) for row in stats.per_hromada(search_db)] == [
        ("Хмільницька", 4), ("Бучанська", 2), ("Луцька", 1)]


def test_articles_without_places_are_counted_apart(tmp_path):
    path = build_archive(tmp_path / "unplaced.db")
    with Archive(path) as archive, archive.db.conn:
        archive.db.execute("delete from article_places where article_id in (select id from articles where url like '%/osbb')")
    with Archive(path, read_only=True) as archive:
        assert stats.per_oblast(archive.db)[-1] == {"oblast": stats.NO_PLACE, "katottg": None, "articles": 1, "undated": 0}


def test_cli_json_and_plot(search_archive, tmp_path):
    plot = tmp_path / "per-oblast.png"
    result = CliRunner().invoke(main, ["stats", "--db", str(search_archive), "--by", "oblast", "--by", "source",
                                       "--by", "hromada", "--plot", str(plot), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output[result.output.index("{"):])
    assert list(printed) == ["oblast", "source", "hromada"] and printed["oblast"][0]["oblast"] == "Вінницька"
    assert printed["hromada"][0] == {"hromada": "Хмільницька", "katottg": "UA05120170000013778", "articles": 4, "undated": 0}
    assert plot.read_bytes().startswith(b"\x89PNG") and plot.stat().st_size > 5_000
    assert (tmp_path / "per-oblast.csv").exists() and "per-oblast.csv" in result.output


def test_monthly_series_shows_empty_months_as_zero_up_to_the_partial_current_month(search_db):
    series = stats.monthly_series(search_db, datetime(2025, 7, 9, 12, 0, tzinfo=timezone.utc))
    assert series.months[0] == date(2023, 1, 1) and series.months[-1] == date(2025, 7, 1) and len(series.months) == 31
    assert series.partial_month == date(2025, 7, 1) and series.today == date(2025, 7, 9)
    assert list(series.counts) == ["Вінницька", "Волинська", "Київська", "Львівська"]  # most articles first, then by name
    vinnytsia = dict(zip(series.months, series.counts["Вінницька"]))
    assert vinnytsia[date(2023, 1, 1)] == 1 and vinnytsia[date(2023, 2, 1)] == 0 and vinnytsia[date(2025, 3, 1)] == 2
    assert sum(series.counts["Вінницька"]) == 4 and vinnytsia[date(2025, 7, 1)] == 0


def test_plot_writes_the_plotted_series_beside_the_png(search_db, tmp_path):
    plot = tmp_path / "oblasts.png"
    series = stats.plot_per_month_per_oblast(search_db, plot, now=datetime(2025, 6, 20, tzinfo=timezone.utc))
    assert plot.read_bytes().startswith(b"\x89PNG")
    with open(tmp_path / "oblasts.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["month"] for row in rows] == [f"{month:%Y-%m}" for month in series.months]
    assert list(rows[0]) == ["month", "partial", *series.counts]
    assert [row["month"] for row in rows if row["partial"] == "1"] == ["2025-06"]
    by_month = {row["month"]: row for row in rows}
    assert by_month["2024-01"]["Вінницька"] == "0" and by_month["2025-04"]["Волинська"] == "1"
    assert by_month["2025-06"]["Львівська"] == "1"


def test_plot_of_an_empty_archive_is_the_current_month_alone(tmp_path):
    with Archive(tmp_path / "empty.db") as archive:
        series = stats.plot_per_month_per_oblast(archive.db, tmp_path / "empty.png", now=datetime(2025, 6, 20, tzinfo=timezone.utc))
    assert series.months == [date(2025, 6, 1)] and series.counts == {}
    assert (tmp_path / "empty.csv").read_bytes() == b"month,partial\r\n2025-06,1\r\n"


def test_cli_table_output(search_archive):
    result = CliRunner().invoke(main, ["stats", "--db", str(search_archive)])
    assert result.exit_code == 0, result.output
    assert "articles per source" in result.output and "articles per month" in result.output
    assert "Бучанська міська рада" in result.output and "2025-03" in result.output
