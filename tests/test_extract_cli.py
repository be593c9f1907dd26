"""``hromada reextract`` over raw pages stored in an archive."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from crawler.archive.store import Archive
from crawler.cli import main

PAGE = Path(__file__).parent / "files" / "pages" / "hromada_portal.html"


def test_reextract_updates_rows_whose_text_changed(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.db["sources"].insert({"id": "podilsk", "name": "Подільськ"})
        archive.save_article(
            {"url": "https://podilsk.example.ua/news/1", "source_id": "podilsk", "title": "Старий заголовок",
             "text": "Увійти, щоб коментувати", "fetched_at": "2025-03-12T12:00:00+02:00", "content_hash": "old"},
            {"fetched_url": "https://podilsk.example.ua/news/1", "fetched_at": "2025-03-12T12:00:00+02:00",
             "body": PAGE.read_bytes(), "encoding": "utf-8"},
        )
    registry = tmp_path / "sources.toml"
    registry.write_text("")
    result = CliRunner().invoke(main, ["reextract", "--db", str(db), "--registry", str(registry)])
    assert result.exit_code == 0, result.output
    assert "1 raw pages re-extracted: 1 articles changed, 0 failed" in result.output
    with Archive(db) as archive:
        row = archive.article_by_url("https://podilsk.example.ua/news/1")
    assert row["title"] == "Робоча зустріч у Департаменті соціальної політики"
    assert "коментувати" in row["text"] and "Увійти, щоб коментувати" not in row["text"]
    again = CliRunner().invoke(main, ["reextract", "--db", str(db), "--registry", str(registry)])
    assert "0 articles changed" in again.output
