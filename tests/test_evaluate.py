"""Scoring of extraction against a WCXB-layout folder."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.analysis.evaluate import DatasetError, evaluate, normalize_title, snippet_in, word_f1, words

ARTICLE = ("<html><head><title>Dam repaired | City news</title>"
           "<meta property='article:published_time' content='2025-05-02T09:00:00+03:00'></head><body>"
           "<nav><a href='/'>Home</a> <a href='/login'>Login</a></nav><article><h1>Dam repaired</h1>"
           "<p>The city finished repairing the old dam on the river after two years of work, officials said.</p>"
           "<p>Traffic over the dam opens again on Monday, and buses return to their usual route.</p></article></body></html>")


def _dataset(folder, pages):
    (folder / "html").mkdir(parents=True)
    (folder / "ground-truth").mkdir()
    for page_id, (html, truth) in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        (folder / "ground-truth" / f"{page_id}.json").write_text(
            json.dumps({"url": "https://city.example/news/dam", "ground_truth": truth}))
    return folder


TRUTH = {
    "title": "Dam repaired", "publish_date": "2025-05-02",
    "main_content": "The city finished repairing the old dam on the river after two years of work, officials said.\n\n"
                    "Traffic over the dam opens again on Monday, and buses return to their usual route.",
    "with": ["buses return to their usual route"], "without": ["Home", "Login"],
}


def test_word_f1_counts_words_as_multisets():
    assert word_f1(words("a b b c"), words("a b c")) == pytest.approx(2 * 0.75 * 1.0 / 1.75)
    assert word_f1([], []) == 1.0
    assert word_f1(words("x"), []) == 0.0


def test_snippets_match_as_word_sequence_substrings():
    joined = " ".join(words("The Homeowners met, at home: those who followed it."))
    assert snippet_in("at HOME", joined)
    assert snippet_in("those who follo", joined)  # WCXB snippets are often cut mid-word
    assert not snippet_in("Home owners", joined)
    assert not snippet_in("", joined)
    assert normalize_title("  Dam — Repaired! ") == "dam repaired"


def test_evaluate_scores_our_extractor(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, TRUTH), "0002": ("<html><body></body></html>", dict(TRUTH, publish_date=None))})
    [ours] = evaluate(folder, ["hromada"])
    figures = ours.figures()
    assert figures["pages"] == 2 and figures["errors"] == 0
    assert ours.per_page_f1["0001"] == 1.0 and ours.per_page_f1["0002"] == 0.0
    assert figures["with_kept"] == 0.5
    assert figures["without_dropped"] == 1.0
    assert figures["title_match"] == 0.5
    assert (figures["date_pages"], figures["date_match"]) == (1, 1.0)


def test_not_a_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="WCXB layout"):
        list(evaluate(tmp_path, ["hromada"]))
    result = CliRunner().invoke(main, ["eval", str(tmp_path)])
    assert result.exit_code != 0 and "WCXB layout" in result.output


def test_eval_command_prints_json(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, TRUTH)})
    result = CliRunner().invoke(main, ["eval", str(folder), "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["body_f1"] == 1.0


def test_extract_command_prints_cyrillic(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body><article><h1>Нова школа</h1><p>Громада відкрила нову школу на двісті учнів.</p></article></body></html>")
    result = CliRunner().invoke(main, ["extract", str(page), "--url", "https://hromada.example.ua/news/1"])
    assert result.exit_code == 0, result.output
    assert "Нова школа" in result.output and json.loads(result.output)["title"] == "Нова школа"


DATES_ONLY_TRUTH = {"publish_date": "2025-05-02"}


def test_figures_a_dates_only_set_does_not_label_are_none(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, DATES_ONLY_TRUTH)})
    figures = evaluate(folder, ["hromada"])[0].figures()
    assert [figures[key] for key in ("body_f1", "with_kept", "without_dropped", "title_match")] == [None] * 4
    assert figures["date_match"] == 1.0


def test_eval_command_prints_unlabeled_figures_as_na(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, DATES_ONLY_TRUTH)})
    result = CliRunner().invoke(main, ["eval", str(folder)])
    assert result.exit_code == 0, result.output
    rows = {line[:16].strip(): line[16:].split() for line in result.output.splitlines()}
    assert rows["body F1"] == rows["with kept"] == rows["without dropped"] == rows["title match"] == ["n/a"]
    assert rows["date match"] == ["1.0"]
    assert json.loads(CliRunner().invoke(main, ["eval", str(folder), "--json"]).output)[0]["body_f1"] is None


def test_eval_compares_htmldate_on_dates(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, TRUTH)})
    result = CliRunner().invoke(main, ["eval", str(folder), "--compare", "htmldate", "--json"])
    assert result.exit_code == 0, result.output
    ours, htmldate = json.loads(result.output)
    assert htmldate["tool"] == "htmldate" and htmldate["date_match"] == 1.0


def test_halves_split_by_site_not_by_page(tmp_path):
    from crawler.analysis.evaluate import load_pages, registered_domain, site_half

    assert registered_domain("https://www.news.bbc.co.uk/a") == "bbc.co.uk"
    assert registered_domain("https://bucha-rada.gov.ua/news/1") == "bucha-rada.gov.ua"
    assert site_half("https://a.city.example/1") == site_half("https://www.city.example/2")
    urls = [f"https://site{n}.example/news/{n}" for n in range(20)]
    assert {site_half(url) for url in urls} == {"tune", "check"}
    folder = _dataset(tmp_path / "set", {f"{n:04d}": (ARTICLE, TRUTH) for n in range(3)})
    half = site_half("https://city.example/news/dam")
    other = "check" if half == "tune" else "tune"
    assert len(list(load_pages(folder, half=half))) == 3 and list(load_pages(folder, half=other)) == []
    result = CliRunner().invoke(main, ["eval", str(folder), "--json", "--half", other])
    assert result.exit_code == 0 and json.loads(result.output)[0]["pages"] == 0


def test_eval_prints_a_speed_ratio_against_every_compared_tool(tmp_path):
    folder = _dataset(tmp_path / "set", {"0001": (ARTICLE, TRUTH)})
    result = CliRunner().invoke(main, ["eval", str(folder), "--compare", "htmldate", "--compare", "trafilatura"])
    assert result.exit_code == 0, result.output
    rows = {line[:16].strip(): line[16:].split() for line in result.output.splitlines()}
    assert rows[""] == ["hromada", "htmldate", "trafilatura"]
    ours, *others = (float(value) for value in rows["pages/s"])
    assert rows["speed ratio"] == ["1.0", *(f"{ours / other:.1f}" for other in others)]
