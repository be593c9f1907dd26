"""Finding the publication date in saved pages: the right date, where it came from, and its offset."""

from datetime import datetime
from pathlib import Path

import lxml.html
import pytest

from crawler.analysis.dates import KYIV, resolve_dates
from crawler.analysis.extract import DateCandidate
from crawler.analysis.extract.datefind import find_date_candidates
from crawler.analysis.extract.html import parse_html

PAGES = Path(__file__).parent / "files" / "dates"
NOW = datetime(2025, 8, 1, 12, 0, tzinfo=KYIV)


def _dates(name: str, url: str | None = None, **elements) -> dict:
    tree = parse_html((PAGES / name).read_bytes())
    return resolve_dates(find_date_candidates(tree, url, **elements), NOW)


@pytest.mark.parametrize(
    ("page", "url", "published", "source"),
    [
        # "Новини рубріки", a sidebar of latest news and the footer carry later dates
        ("related_news.html", "https://rada.example.gov.ua/news/sesiya", "2025-03-17T17:11:00+02:00", "visible"),
        # the only date is a Ukrainian month name; "Читайте також" carries another
        ("month_name_only.html", None, "2024-08-27T16:02:00+03:00", "visible"),
        # gromada.gov.ua platform: the news id is the unix publication time; other news are dated
        ("gromada_unix.html", "https://podilska-gromada.gov.ua/news/1623758022/", "2021-06-15T14:53:42+03:00", "url"),
        # today's date in the page header and a copyright year in the footer
        ("header_today.html", None, "2025-01-23T16:44:00+02:00", "visible"),
        ("jsonld_graph.html", None, "2024-12-05T10:30:00+02:00", "jsonld"),
        # <time> in the article header; sidebar and comment times do not count
        ("time_in_article.html", None, "2020-12-03T18:47:00+02:00", "time"),
    ],
)
def test_sample_page_published_date(page, url, published, source):
    dates = _dates(page, url)
    assert dates["published"].isoformat() == published
    assert dates["published_source"] == source


def test_related_news_dates_are_not_candidates():
    tree = parse_html((PAGES / "related_news.html").read_bytes())
    raws = " ".join(candidate.raw for candidate in find_date_candidates(tree, None))
    for foreign in ("28 липня 2025", "25.07.2025", "31 липня 2025", "2025-07-31", "01.08.2025", "31.07.2025"):
        assert foreign not in raws


def test_gromada_page_without_url_has_no_date():
    dates = _dates("gromada_unix.html", None)
    assert dates["published"] is None


def test_unix_id_counts_only_as_a_news_id():
    tree = parse_html((PAGES / "gromada_unix.html").read_bytes())
    assert find_date_candidates(tree, "https://shop.example.com/product/1623758022/") == []
    assert find_date_candidates(tree, "https://shop.example.com/news/16237580/") == []


def test_modified_date_is_kept_separately():
    dates = _dates("jsonld_graph.html")
    assert dates["modified"].isoformat() == "2025-06-20T08:15:00+03:00"
    assert dates["modified_source"] == "jsonld"
    timed = _dates("time_in_article.html")
    assert (timed["modified"].isoformat(), timed["modified_source"]) == ("2020-12-04T09:00:00+02:00", "time")


def test_jsonld_article_outranks_webpage_and_comments():
    tree = parse_html((PAGES / "jsonld_graph.html").read_bytes())
    jsonld = [c.raw for c in find_date_candidates(tree, None) if c.source == "jsonld" and c.kind == "published"]
    assert jsonld[0] == "2024-12-05T10:30:00+02:00"


def test_headline_and_body_from_the_extractor_are_used():
    tree = parse_html((PAGES / "related_news.html").read_bytes())
    headline = tree.xpath("//h1")[0]
    body = tree.xpath("//div[@class='news-text']")[0]
    dates = resolve_dates(find_date_candidates(tree, None, headline=headline, body=body), NOW)
    assert (dates["published"].isoformat(), dates["published_source"]) == ("2025-03-17T17:11:00+02:00", "visible")


@pytest.mark.parametrize(
    ("url", "raw"),
    [
        ("https://example.com/2025/03/17/slug/", "2025/03/17"),
        ("https://example.com/news/2025-03-17-slug.html", "2025-03-17"),
        ("https://example.com/news/20250317/slug", "20250317"),
        ("https://vinnytsia.gov.ua/news/1623758022", "1623758022"),
        ("https://weisser-ring.de/media-news/meldungen/29-10-2021", "29-10-2021"),  # day first, as the page writes it
        ("https://www.biathlon-antholz.it/de/newsroom/23-01-2022-wierer", "23-01-2022"),
    ],
)
def test_url_dates(url, raw):
    tree = lxml.html.document_fromstring("<html><body><p>Без дати.</p></body></html>")
    assert find_date_candidates(tree, url) == [DateCandidate(raw, "url")]


def test_url_without_a_day_is_not_a_date():
    tree = lxml.html.document_fromstring("<html><body><p>Без дати.</p></body></html>")
    assert find_date_candidates(tree, "https://example.com/2025/03/slug") == []


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"<html></html>",
        b"\xff\xfe\x00garbage<<<>>>",
        b'<script type="application/ld+json">{"datePublished": "2024-01-02", broken</script><h1>x</h1>',
        b'<script type="application/ld+json">[1, "x", null, {"@graph": "nope"}]</script>',
        b"<h1></h1><time></time><div class='date'></div>",
    ],
)
def test_broken_pages_never_crash(html):
    tree = parse_html(html)
    candidates = find_date_candidates(tree, "not a url")
    assert isinstance(resolve_dates(candidates, NOW), dict)


def test_broken_jsonld_still_gives_its_stated_date():
    tree = parse_html(b'<script type="application/ld+json">{"datePublished": "2024-01-02", broken</script><h1>x</h1>')
    assert DateCandidate("2024-01-02", "jsonld") in find_date_candidates(tree, None)


def _candidates_of(html: str, url: str | None = None) -> list[DateCandidate]:
    return find_date_candidates(parse_html(html.encode("utf-8")), url)


def test_aside_inside_the_article_is_the_articles_own():
    page = """<html><body><aside class="x"><time datetime="2025-07-31">31.07.2025</time></aside>
    <article><aside><time datetime="2021-06-06">6 червня 2021</time></aside><h1>Заголовок</h1>
    <p>Текст новини без дат, достатньо довгий для статті.</p></article></body></html>"""
    times = [c.raw for c in _candidates_of(page) if c.source == "time"]
    assert times == ["2021-06-06"]


def test_region_holding_the_body_is_not_a_sidebar_whatever_its_class():
    page = parse_html("""<html><body><h1>Сайт громади</h1>
    <div class="story-sidebar-mode"><div class="story-date">27 серпня 2024</div>
    <div class="story-body"><p>Текст новини, який стоїть поряд з датою публікації.</p></div></div>
    <div class="sidebar"><span class="date">31 липня 2025</span></div></body></html>""".encode())
    body = page.xpath("//div[@class='story-body']")[0]
    dates = resolve_dates(find_date_candidates(page, None, headline=page.xpath("//h1")[0], body=body), NOW)
    assert dates["published"].date().isoformat() == "2024-08-27"


def test_head_meta_outranks_microdata_of_article_cards():
    page = """<html><head><meta name="date" content="March 27, 2025"></head><body><h1>Title</h1>
    <div class="card"><span itemprop="datePublished" content="2026-03-13T16:44:22+00:00">Mar 13</span></div>
    <p>Body text of the article that is long enough.</p></body></html>"""
    meta = [c.raw for c in _candidates_of(page) if c.source == "meta" and c.kind == "published"]
    assert meta[0] == "March 27, 2025"


def test_jsonld_rendered_into_a_meta_tag():
    page = """<html><head><meta name="script:ld+json" content='{"@type":"Article","datePublished":"2025-11-17T09:00:00-05:00"}'>
    </head><body><h1>Title</h1></body></html>"""
    assert DateCandidate("2025-11-17T09:00:00-05:00", "jsonld") in _candidates_of(page)


def test_page_builder_widgets_are_not_sidebars():
    page = """<html><body><div class="elementor-widget-wrap"><h1>Заголовок</h1>
    <div class="elementor-widget elementor-widget-post-info"><div class="elementor-widget-container">
    <time>8 жовтня 2022</time></div></div></div>
    <div class="elementor-widget-sidebar"><span class="date">31 липня 2025</span></div></body></html>"""
    visible = [c.raw for c in _candidates_of(page) if c.source == "visible"]
    assert visible == ["8 жовтня 2022"]


def test_a_sentence_that_mentions_a_date_counts_only_without_a_dateline():
    sentence = "<p>Lean Startup Week call for proposals is open until July 31, 2017</p>"
    with_dateline = f"<html><body><div><h1>Title</h1>{sentence}<p>July 22, 2017</p></div></body></html>"
    assert [c.raw for c in _candidates_of(with_dateline) if c.source == "visible"] == ["July 22, 2017"]
    # a shown update date is a dateline too: the sentence does not become the publication date
    updated = f"<html><body><div><h1>Title</h1>{sentence}<p><span>Updated</span> <span>July 22, 2017</span></p></div></body></html>"
    assert [c.kind for c in _candidates_of(updated) if c.source == "visible"] == ["modified"]
    alone = f"<html><body><div><h1>Title</h1>{sentence}</div></body></html>"
    assert [c.raw for c in _candidates_of(alone) if c.source == "visible"] == [
        "Lean Startup Week call for proposals is open until July 31, 2017"
    ]


@pytest.mark.parametrize(
    "dateline",
    [
        '<div class="post-info">Оновлено: 04 лютого 2025 11:20</div>',
        '<div class="post-info">Last updated: Feb 4, 2025</div>',
        '<div class="post-info">Оновлено: <time datetime="2025-02-04T11:20">04.02.2025</time></div>',
    ],
)
def test_update_label_makes_a_shown_date_the_modified_one(dateline):
    page = f"""<html><body><div><h1>Заголовок</h1>{dateline}
    <div class="post-info">Опубліковано: 17 березня 2024</div></div></body></html>"""
    dates = resolve_dates(_candidates_of(page), NOW)
    assert dates["published"].date().isoformat() == "2024-03-17"
    assert dates["modified"].date().isoformat() == "2025-02-04"


def test_without_a_headline_the_dateline_above_the_body_is_found():
    page = parse_html("""<html><body><table><tr><td><font size="4"><b>Засідання виконкому</b></font><br>
    <font color="#666666">23.01.2025 16:44</font> <span>Переглядів: 684</span></td></tr>
    <tr><td class="newstext"><p>Сьогодні, 23 січня 2025 року, відбулося засідання виконавчого комітету міської ради.</p></td></tr>
    <tr><td><div class="related-news"><h3>Інші новини</h3><span class="date">20.08.2025 15:10</span></div></td></tr>
    </table></body></html>""".encode())
    body = page.xpath("//td[@class='newstext']")[0]
    dates = resolve_dates(find_date_candidates(page, None, headline=None, body=body), NOW)
    assert (dates["published"].isoformat(), dates["published_source"]) == ("2025-01-23T16:44:00+02:00", "visible")


@pytest.mark.parametrize(
    ("label", "date", "kind", "expected"),
    [
        ("<h4>Published</h4>", '<div class="single-post-date">July 8, 2025</div>', "published", "2025-07-08"),
        ('<h4>Published</h4><h3 class="sr-only">Publish date</h3>', '<time datetime="2018-11-15T12:00:00Z">15 November 2018</time>', "published", "2018-11-15"),
        ("<span>Опубліковано:</span>", "<span>17 березня 2025 р. 17:11</span>", "published", "2025-03-17"),
        ('<div class="caption">Оновлено</div>', "<div>04.02.2025</div>", "modified", "2025-02-04"),
        ('<div class="caption">Updated on</div>', "<div>April 19, 2025</div>", "modified", "2025-04-19"),
    ],
)
def test_a_label_element_says_what_the_next_date_is_even_in_a_column_called_sidebar(label, date, kind, expected):
    page = parse_html(f"""<html><body><div class="post"><h1>Заголовок новини</h1>
    <div class="post-content"><div class="post-sidebar"><div class="meta">{label}{date}</div></div>
    <div class="post-body"><p>Текст новини, достатньо довгий для статті, без жодних дат.</p></div></div></div>
    <div class="sidebar"><h4>Published</h4><div>31 липня 2025</div></div></body></html>""".encode())
    body = page.xpath("//div[@class='post-body']")[0]
    candidates = find_date_candidates(page, None, headline=page.xpath("//h1")[0], body=body)
    labelled = [candidate for candidate in candidates if candidate.source == "visible"]
    assert labelled[0].kind == kind
    assert resolve_dates(labelled[:1], NOW)[kind].date().isoformat() == expected
    assert "31 липня 2025" not in " ".join(candidate.raw for candidate in candidates)


def test_a_label_holder_with_more_than_a_label_is_not_a_label():
    page = """<html><body><div><h1>Title</h1><div><p>Published research shows</p><p>12.05.2024</p></div>
    <p>Body text of the article that is long enough to be one.</p></div></body></html>"""
    visible = _candidates_of(page)
    assert DateCandidate("12.05.2024", "visible", "published") in visible
    assert all(candidate.kind == "published" for candidate in visible)


def test_comments_between_label_and_time_do_not_hide_the_label():
    # React renders "Updated<!-- --> <time>"; the label still makes the date a modification date
    page = """<html><head><script type="application/ld+json">{"@type": "Article", "datePublished": "2017-04-03"}</script>
    </head><body><div><h1>The Best Earbuds</h1><div class="x">Updated<!-- --> <time datetime="2026-02-12T12:07:55-05:00">February 12, 2026</time></div>
    <p>Body text of the article that is long enough to be one.</p></div></body></html>"""
    candidates = _candidates_of(page)
    assert DateCandidate("2026-02-12T12:07:55-05:00", "time", "modified") in candidates
    later = datetime(2026, 3, 1, tzinfo=KYIV)
    assert resolve_dates(candidates, later)["published"].date().isoformat() == "2017-04-03"


def test_labelled_dates_of_a_related_block_beside_the_body_do_not_count():
    page = parse_html("""<html><body><div class="post"><h1>Заголовок новини</h1>
    <div class="post-content"><div class="post-body"><p>Текст новини, достатньо довгий для статті, без жодних дат.
    Депутати обговорили бюджет громади, ремонт доріг і роботу шкіл у новому навчальному році.</p></div>
    <div class="related-posts"><a href="/n/2">Інша новина</a><span>Опубліковано:</span><span>31 липня 2025</span></div>
    </div></div></body></html>""".encode())
    body = page.xpath("//div[@class='post-body']")[0]
    candidates = find_date_candidates(page, None, headline=page.xpath("//h1")[0], body=body)
    assert "31 липня 2025" not in " ".join(candidate.raw for candidate in candidates)


@pytest.mark.parametrize(
    ("label", "date", "expected"),
    [
        ('<span class="label">Last Updated:</span>', '<span class="date">April 1, 2025</span>', "April 1, 2025"),
        ("<b>Оновлено:</b>", "<span>04 лютого 2025 11:20</span>", "04 лютого 2025 11:20"),
        ('<span class="label">Last updated:</span>', '<time datetime="2025-02-04">Feb 4, 2025</time>', "2025-02-04"),
    ],
)
def test_a_label_in_the_element_before_makes_the_date_the_update_date_everywhere(label, date, expected):
    page = f"""<html><head><meta property="article:published_time" content="2016-02-25T23:48:16+00:00"></head>
    <body><article><h1>Заголовок</h1><div class="byline">{label} {date}</div>
    <p>Текст статті, достатньо довгий для статті, без інших дат у першому абзаці.</p></article></body></html>"""
    candidates = _candidates_of(page)
    shown = [candidate for candidate in candidates if candidate.source in ("time", "visible", "text")]
    assert shown and all(candidate.kind == "modified" for candidate in shown)
    assert expected in [candidate.raw for candidate in shown]
    later = datetime(2026, 3, 1, tzinfo=KYIV)
    assert resolve_dates(candidates, later)["published"].date().isoformat() == "2016-02-25"


def test_a_dateline_classed_after_the_newsletter_it_belongs_to_is_the_articles():
    # "newsletter" names a newsletter issue as often as a signup box; only "subscribe" marks the box
    page = """<html><body><section><div><h1>Foundational Fitness Protocol</h1></div>
    <div class="newsletter-details-wrapper"><p>November 2, 2022</p></div>
    <div class="subscribe-box"><p>Join today, offer ends December 31, 2025</p></div>
    <article><p>Body text of the newsletter issue that is long enough to be one.</p></article></section></body></html>"""
    visible = [c.raw for c in _candidates_of(page) if c.source == "visible"]
    assert visible == ["November 2, 2022"]


@pytest.mark.parametrize(
    "dateline",
    [
        # the text's date sits two elements after its label; the dateline around them says what it is
        '<span class="post-date"><span>Last Updated</span> <span>on</span> <span class="date">Feb 27, 2026</span></span>',
        # "Updated on" ends the text before the date
        '<div><span class="font-normal">Updated on <!-- --> <!-- -->Feb 27, 2026</span></div>',
    ],
)
def test_a_date_the_dateline_shows_as_updated_is_the_update_date_in_the_text_too(dateline):
    page = f"""<html><head><meta property="article:published_time" content="2019-09-29T10:00:00+00:00"></head>
    <body><article><h1>The Best Security Cameras</h1>{dateline}
    <p>Body text of the article that is long enough to be one, without other dates.</p></article></body></html>"""
    candidates = _candidates_of(page)
    text = [candidate for candidate in candidates if candidate.source == "text"]
    assert [(candidate.raw, candidate.kind) for candidate in text] == [("Feb 27, 2026", "modified")]
    later = datetime(2026, 3, 1, tzinfo=KYIV)
    assert resolve_dates(candidates, later)["published"].date().isoformat() == "2019-09-29"
