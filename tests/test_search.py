"""Ukrainian-aware search: inflections, apostrophes, phrases, booleans, filters, hostile input."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from crawler.archive import search as searching
from crawler.archive.store import Archive, _migration_1
from crawler.cli import main
from crawler.archive.search import Filters, SearchQueryError, compile_query, index_pending, search
from tests.search_archive import GROMADA, SOURCES, article_row, build_archive


def keys(hits) -> set[str]:
    return {hit.url.rsplit("/", 1)[1] for hit in hits}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lemma_finds_inflected_forms_only(search_db):
    assert keys(search(search_db, "громада")) == GROMADA
    assert keys(search(search_db, "громадах")) == GROMADA
    assert keys(search(search_db, "ГРОМАДОЮ")) == GROMADA


@pytest.mark.parametrize("spelling", ["об'єднання", "об’єднання", "обʼєднання", "об`єднання", "ОБ’ЄДНАННЯ"])
def test_apostrophe_variants_and_case_fold_together(search_db, spelling):
    assert keys(search(search_db, spelling)) == {"osbb", "veterans"}


def test_words_whose_first_reading_differs_between_forms_still_match(search_db):
    # pymorphy3 reads "рада" as the unit "рад" but "ради" ... the paradigm expansion covers both.
    assert {"session", "veterans"} <= keys(search(search_db, "рада"))


@pytest.mark.parametrize("text", [
    "Громада, «Вінниця» — об’єднання;  обʼєднання\nрайон's снake_case 2025-го 1,5 ½ ²x' 'x ' İstanbul ß",
    "", "   ", "…", "слово.", "«слово»", "x'y'z", "a''b", "a-b-c", "тест\u00a0пробіл\u2028рядок",
])
def test_words_match_the_word_pattern_over_the_whole_text(text):
    expected = searching.WORD_RE.findall(searching.normalize_apostrophes(text).lower())
    assert searching.words(text) == expected


def test_phrase_requires_adjacent_words_in_order(search_db):
    assert keys(search(search_db, '"об\'єднання ветеранів"')) == {"veterans"}
    assert keys(search(search_db, '"ветеранів об\'єднання"')) == set()


def test_boolean_operators(search_db):
    assert keys(search(search_db, "громада NOT бюджет")) == GROMADA - {"session"}
    assert keys(search(search_db, "бюджет OR грант")) == {"session", "osbb"}
    assert keys(search(search_db, "громада AND послуги")) == {"idp"}
    assert keys(search(search_db, "громада послуги")) == {"idp"}
    assert keys(search(search_db, "(бюджет OR грант) AND школа")) == {"session"}


def test_title_matches_outrank_text_matches(search_db):
    assert search(search_db, "грант")[0].url.endswith("/osbb")
    assert [hit.url.rsplit("/", 1)[1] for hit in search(search_db, "об'єднання")][0] in {"osbb", "veterans"}


def test_snippet_comes_from_original_text_with_matches_marked(search_db):
    (hit,) = search(search_db, "громада", Filters(sources=("bucha",), since=date(2024, 1, 1)))
    assert hit.snippet_text().startswith("Разом з <mark>громадою</mark> ми відновили парк.")
    assert "\n" not in hit.snippet_text()


def test_sort_newest_puts_undated_last(search_db):
    ordered = [hit.url.rsplit("/", 1)[1] for hit in search(search_db, "громада", sort="newest")]
    assert ordered == ["session", "park", "ru-news", "idp"]


@pytest.mark.parametrize("filters, expected", [
    (Filters(sources=("bucha",)), {"park", "idp"}),
    (Filters(sources=("bucha", "ekhmilnyk")), GROMADA),
    (Filters(oblast="Вінницька"), {"session", "ru-news"}),
    (Filters(oblast="вінницька область"), {"session", "ru-news"}),
    (Filters(hromada="Бучанська"), {"park", "idp"}),
    (Filters(since=date(2025, 1, 1)), {"session"}),
    (Filters(until=date(2024, 11, 5)), {"park", "ru-news"}),
    (Filters(until=date(2024, 11, 4)), {"ru-news"}),
    (Filters(since=date(2023, 1, 1), until=date(2024, 12, 31)), {"park", "ru-news"}),
    (Filters(language="ru"), {"ru-news"}),
    (Filters(language="uk", oblast="Київська"), {"park", "idp"}),
    (Filters(oblast="Харківська"), set()),
    (Filters(oblast="UA05000000000010236"), {"session", "ru-news"}),
    (Filters(hromada="UA32080070000050759"), {"park", "idp"}),
    (Filters(katottg="Київська"), {"park", "idp"}),
    (Filters(katottg="UA32080070000050759"), {"park", "idp"}),
    (Filters(oblast="Київська", hromada="Хмільницька"), set()),
])
def test_each_filter_narrows(search_db, filters, expected):
    assert keys(search(search_db, "громада", filters)) == expected


def test_place_filters_match_the_places_an_article_is_about_not_only_its_source(search_db):
    about_volyn = keys(search(search_db, "генератор", Filters(oblast="Волинська")))
    assert about_volyn == {"volyn"}  # its source is in Vinnytsia oblast
    assert keys(search(search_db, "генератор", Filters(oblast="UA07000000000024379"))) == about_volyn
    assert keys(search(search_db, "генератор", Filters(oblast="Вінницька"))) == about_volyn  # and its source's own unit
    assert keys(search(search_db, "генератор", Filters(oblast="Львівська"))) == set()


@pytest.mark.parametrize("filters, option", [
    (Filters(oblast="Нарнійська"), "--oblast"), (Filters(hromada="Хмільницький"), "--hromada"),
    (Filters(katottg="UA99000000000000000"), "--katottg"),
])
def test_unknown_place_gives_a_clear_error(search_db, filters, option):
    with pytest.raises(searching.UnknownPlace, match=f"^{option} .*KATOTTG codifier"):
        search(search_db, "громада", filters)


def test_cli_unknown_place_is_a_usage_error(search_archive):
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive), "--oblast", "Нарнійська"])
    assert result.exit_code == 2 and "--oblast 'Нарнійська'" in result.output and "Traceback" not in result.output


def test_limit(search_db):
    assert len(search(search_db, "громада", limit=2)) == 2


MALFORMED = ['OR 1=1', '"; DROP TABLE articles; --', "title:x*", "NEAR(громада бюджет)", "громада)", "(громада",
             "AND", "NOT громада", "громада AND", "*", "^громада", "!!!", "", '" OR ""="', "громада {x}"]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_and_hostile_queries_raise_a_clear_error(search_db, query):
    with pytest.raises(SearchQueryError) as error:
        search(search_db, query)
    assert "Traceback" not in str(error.value) and len(str(error.value)) > 20


@pytest.mark.parametrize("query, expected", [
    ("'; DELETE FROM articles; --", set()),
    ("громада' OR '1'='1", GROMADA),  # громада OR (1 AND 1): words, nothing more
    ("x; drop table sources; --", set()),
])
def test_sql_looking_words_are_only_searched_for(search_db, query, expected):
    match = compile_query(query).match
    assert re.fullmatch(r'[()" \w]*', match) and all(re.fullmatch(r"[\w ]+", quoted) for quoted in re.findall(r'"([^"]*)"', match))
    assert keys(search(search_db, query)) == expected


@pytest.mark.parametrize("query", MALFORMED + ["'; DELETE FROM articles; --"])
def test_cli_rejects_bad_queries_cleanly_and_leaves_the_archive_untouched(search_archive, query):
    before = file_digest(search_archive)
    result = CliRunner().invoke(main, ["search", query, "--db", str(search_archive)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.exit_code == 2 and "Error:" in result.output
    assert file_digest(search_archive) == before


def test_cli_hostile_filters_are_bound_parameters(search_archive):
    before = file_digest(search_archive)
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive), "--json",
                                       "--source", "x' OR '1'='1", "--oblast", "Вінницька", "--lang", "' OR 1=1 --"])
    assert result.exit_code == 0 and json.loads(result.output) == []
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive), "--json",
                                       "--oblast", "'); DROP TABLE articles; --"])
    assert result.exit_code == 2 and "no oblast of that name or code" in result.output
    assert file_digest(search_archive) == before


def test_cli_json_and_text_output(search_archive):
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive), "--json", "--sort", "newest"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert [hit["url"].rsplit("/", 1)[1] for hit in hits] == ["session", "park", "ru-news", "idp"]
    assert hits[0]["source"] == "Хмільницька міська рада" and "<mark>громади</mark>" in hits[0]["snippet"]
    text = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive), "--oblast", "Київська"]).output
    assert "Разом з громадою" in text and "[громадою]" in text and "2024-11-05" in text


def test_cli_rejects_reversed_date_range(search_archive):
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive),
                                       "--since", "2025-01-01", "--until", "2024-01-01"])
    assert result.exit_code == 2 and "after --until" in result.output


def test_updates_and_deletes_keep_the_index_in_sync(tmp_path):
    path = build_archive(tmp_path / "sync.db")
    with Archive(path) as archive:
        article_id = archive.article_by_url("https://example.test/osbb")["id"]
        archive.update_article(article_id, {"text": "Громада отримала нову амбулаторію."})
        assert searching.pending_count(archive.db) == 1
        assert keys(search(archive.db, "амбулаторія OR грант")) == set()  # out of the index until re-lemmatized
        assert index_pending(archive.db) == 1
        assert keys(search(archive.db, "амбулаторія")) == {"osbb"}
        assert keys(search(archive.db, "грант")) == {"osbb"}  # from the unchanged title
        with archive.db.conn:
            archive.db.execute("delete from article_places where article_id = ?", [article_id])
            archive.db.execute("delete from articles where id = ?", [article_id])
        assert keys(search(archive.db, "амбулаторія")) == set()


def test_cli_reindex_then_search(tmp_path):
    path = tmp_path / "pending.db"
    with Archive(path) as archive:
        with archive.db.conn:
            archive.db["sources"].insert_all(SOURCES, pk="id")
            archive.db["articles"].insert(article_row("park"))  # as a bulk load would, bypassing save_article
    unindexed = CliRunner().invoke(main, ["search", "громада", "--db", str(path), "--json"])
    assert "not in the search index yet" in unindexed.output
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(path), "--json", "--reindex"])
    assert result.exit_code == 0 and "indexed 1 articles" in result.output


def test_migration_indexes_articles_of_an_older_archive(tmp_path):
    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    _migration_1(db)
    db.execute("PRAGMA user_version=1")
    db["sources"].insert_all(SOURCES, pk="id")
    db["articles"].insert(article_row("park"))
    db.conn.commit()
    db.close()
    with Archive(path) as archive:
        assert archive.schema_version >= 2
        assert keys(search(archive.db, "громада")) == {"park"}


def test_read_only_archive_without_index_gives_a_clear_message(tmp_path):
    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    _migration_1(db)
    db.execute("PRAGMA user_version=1")
    db.close()
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(path)])
    assert result.exit_code == 3 and "--reindex" in result.output  # the archive is unusable as it is


def test_missing_archive_gives_a_clear_message(tmp_path):
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 3 and "no archive" in result.output


def test_lemma_index_holds_lemmas_without_apostrophes(search_archive):
    with sqlite3.connect(search_archive) as conn:
        (title,) = conn.execute("select l.title from articles_lemma_fts l join articles a on a.id = l.rowid "
                                "where a.url like '%/osbb'").fetchone()
    assert title.split()[0] == "обєднання"


def test_bounded_plans_for_large_match_sets(search_db, monkeypatch):
    exact_newest = [hit.url for hit in search(search_db, "громада", sort="newest")]
    exact_filtered = [hit.url for hit in search(search_db, "громада", Filters(oblast="Київська"), sort="newest")]
    monkeypatch.setattr(searching, "NEWEST_WALK_FROM", 1)  # walk by date and test each article against the index
    assert [hit.url for hit in search(search_db, "громада", sort="newest")] == exact_newest
    assert [hit.url for hit in search(search_db, "громада", Filters(oblast="Київська"), sort="newest")] == exact_filtered
    monkeypatch.setattr(searching, "RANK_CANDIDATES", 2)  # rank only the two most recently archived matches
    newest_archived = sorted((hit.id for hit in search(search_db, "громада")), reverse=True)
    assert len(newest_archived) == 2 and newest_archived == sorted(
        (hit.id for hit in search(search_db, "громада", limit=50)), reverse=True)[:2]


def test_filter_tokens_in_the_index_follow_places_and_dates(tmp_path):
    from crawler.analysis.places import Place, store_places

    path = build_archive(tmp_path / "tokens.db")
    with Archive(path) as archive:
        article_id = archive.article_by_url("https://example.test/osbb")["id"]
        tokens = archive.db.execute(f"select filters from {searching.LEMMA_TABLE} where rowid = ?", [article_id]).fetchone()[0]
        assert set(tokens.split()) >= {"zzs" + "lviv-portal".encode().hex().upper(), "zzy2025", "zzm202506",
                                       "zzpUA46"}
        with archive.db.conn:
            store_places(archive.db, article_id, [Place("UA07000000000024379", "oblast", "Волинська", "text")])
        archive.update_article(article_id, {"published_at": "2021-02-03T10:00:00+02:00"})
        assert searching.pending_count(archive.db) == 0
        assert keys(search(archive.db, "грант", Filters(oblast="Волинська", since=date(2021, 2, 1), until=date(2021, 2, 28)))) == {"osbb"}
        assert keys(search(archive.db, "грант", Filters(oblast="Львівська"))) == set()
        assert keys(search(archive.db, "грант", Filters(since=date(2025, 1, 1)))) == set()


TOKEN_FILTERS = [
    Filters(sources=("bucha",)), Filters(language="ru"), Filters(language=" uk "),
    Filters(oblast="Вінницька"), Filters(oblast="Волинська"), Filters(hromada="Хмільницька"),
    Filters(katottg="UA05120170000013778"), Filters(katottg="Хмільницький"), Filters(katottg="Луцьк"),
    Filters(since=date(2025, 3, 1), until=date(2025, 3, 31)), Filters(since=date(2025, 3, 15)),
    Filters(until=date(2025, 3, 19)), Filters(since=date(2024, 1, 1)), Filters(until=date(2024, 11, 30)),
    Filters(since=date(2030, 1, 1)), Filters(oblast="Київська", language="uk", since=date(2024, 11, 1)),
    Filters(sources=("ekhmilnyk",), oblast="Вінницька", until=date(2025, 3, 31), one_per_story=True),
]


@pytest.mark.parametrize("filters", TOKEN_FILTERS)
@pytest.mark.parametrize("query", ["громада", "об'єднання OR генератор OR грант", "рада"])
def test_index_decides_filters_exactly_as_sql_does(search_db, monkeypatch, filters, query):
    by_index = [hit.url for hit in search(search_db, query, filters, sort="newest", limit=100)]
    monkeypatch.setattr(searching, "has_filter_tokens", lambda conn: False)
    assert [hit.url for hit in search(search_db, query, filters, sort="newest", limit=100)] == by_index


@pytest.mark.parametrize("filters, left_to_sql", [
    (Filters(sources=("bucha",), language="uk", oblast="Вінницька", since=date(2024, 1, 1), until=date(2024, 12, 31)),
     Filters()),
    (Filters(hromada="Хмільницька", since=date(2025, 3, 15)), Filters(since=date(2025, 3, 15))),
    (Filters(katottg="Луцьк", one_per_story=True), Filters(one_per_story=True)),
])
def test_sql_applies_only_what_the_index_cannot_decide(search_db, filters, left_to_sql):
    assert searching.split_filters(search_db.conn, filters).rest == left_to_sql


def test_place_tokens_cover_every_scope_of_a_place(search_db):
    tokens = search_db.execute(f"select l.filters from {searching.LEMMA_TABLE} l join articles a on a.id = l.rowid "
                        "where a.url like '%/session'").fetchone()[0].split()
    assert {token for token in tokens if token.startswith("zzp")} == {"zzpUA05", "zzpUA0512", "zzpUA0512017"}


def _with_outdated_filter_tokens(path: Path) -> None:
    """Make an archive look like schema 6: place tokens as whole codes, triggers of that time."""
    with sqlite3.connect(path) as conn:
        conn.execute("drop trigger article_places_filters_au")
        conn.execute(f"update {searching.LEMMA_TABLE} set filters = 'zzpUA05120170000013778'")
        conn.execute("pragma user_version = 6")


def test_migration_7_rewrites_outdated_place_tokens(tmp_path):
    path = build_archive(tmp_path / "v6.db")
    _with_outdated_filter_tokens(path)
    with Archive(path) as archive:
        assert archive.schema_version >= 7 and searching.filter_tokens_current(archive.db.conn)
        assert keys(search(archive.db, "громада", Filters(hromada="Бучанська", language="uk"))) == {"park", "idp"}
        (tokens,) = archive.db.execute(f"select filters from {searching.LEMMA_TABLE} limit 1").fetchone()
        assert "zzpUA05120170000013778" not in tokens


def test_read_only_archive_with_outdated_place_tokens_filters_places_in_sql(tmp_path):
    path = build_archive(tmp_path / "v6.db")
    _with_outdated_filter_tokens(path)
    with Archive(path, read_only=True) as archive:
        assert not searching.filter_tokens_current(archive.db.conn)
        assert searching.split_filters(archive.db.conn, Filters(oblast="Київська")).rest == Filters(oblast="Київська")
        assert keys(search(archive.db, "громада", Filters(oblast="Київська"))) == {"park", "idp"}


def test_query_words_never_match_filter_tokens(search_db):
    assert searching.full_match(search_db.conn, compile_query("громада"), Filters())[0] == '"громада"'  # no column filter needed
    assert keys(search(search_db, "zzy2025")) == set() and keys(search(search_db, "zzy2025 OR грант")) == {"osbb"}
    assert keys(search(search_db, "zzpUA05", Filters(sources=("ekhmilnyk",)))) == set()


@pytest.mark.parametrize("filters", [Filters(oblast="Вінницька"), Filters(since=date(2024, 1, 1), language="uk"),
                                     Filters(sources=("bucha", "ekhmilnyk"), one_per_story=True)])
def test_ranking_the_newest_filtered_matches_scores_as_sql_filters_do(search_db, monkeypatch, filters):
    monkeypatch.setattr(searching, "RANK_CANDIDATES", 2)  # the filtered query has more matches than candidates
    by_index = [(hit.id, hit.score) for hit in search(search_db, "громада OR рада", filters)]
    monkeypatch.setattr(searching, "has_filter_tokens", lambda conn: False)
    assert by_index == [(hit.id, hit.score) for hit in search(search_db, "громада OR рада", filters)] and len(by_index) == 2
