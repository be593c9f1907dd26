"""The title: an h1 that holds the declared headline plus only a date or the site's name gives the headline."""

from __future__ import annotations

import pytest

from crawler.analysis.extract import extract_raw

URL = "https://www.artlyst.com/reviews/best-exhibitions"


def _page(h1: str, declared: str) -> str:
    return (f"<html><head><meta property='og:title' content='{declared}'><title>{declared} | Artlyst</title></head>"
            f"<body><h1>{h1}</h1><p>Text of the review, long enough to be the article body here.</p></body></html>")


def _titled_page(title: str, h1: str, head: str = "") -> str:
    return (f"<html><head><title>{title}</title>{head}</head><body><h1>{h1}</h1>"
            "<p>Text of the post, long enough to be the article body here.</p></body></html>")


def test_a_date_inside_the_h1_is_not_part_of_the_title():
    page = _page("Dec 18 2025 Preparing a transition in Debusine", "Preparing a transition in Debusine")
    assert extract_raw(page, URL).title == "Preparing a transition in Debusine"


def test_a_dateline_after_the_headline_in_the_h1_is_not_part_of_the_title():
    page = _page("Top Strategies to Optimize Blockchain Performance Posted on July 1, 2025",
                 "Top Strategies to Optimize Blockchain Performance")
    assert extract_raw(page, URL).title == "Top Strategies to Optimize Blockchain Performance"


def test_the_site_name_inside_the_h1_is_not_part_of_the_title():
    page = _page("Critics Choice: Best UK Art Exhibitions 2025 – Artlyst", "Critics Choice: Best UK Art Exhibitions 2025")
    assert extract_raw(page, URL).title == "Critics Choice: Best UK Art Exhibitions 2025"


def test_other_words_beside_the_declared_headline_stay_in_the_title():
    page = _page("Best Movers in NYC 2025 – Top 19 Companies Compared", "Best Movers in NYC 2025")
    assert extract_raw(page, URL).title == "Best Movers in NYC 2025 – Top 19 Companies Compared"


def test_a_lone_h1_that_is_the_site_part_of_the_declared_title_is_not_the_headline():
    page = _titled_page("New Ways to Corrupt LLMs - by Gary Marcus - Marcus on AI", "Marcus on AI")
    assert extract_raw(page, "https://garymarcus.substack.com/p/new-ways").title == "New Ways to Corrupt LLMs"


def test_a_lone_h1_that_is_the_short_first_part_of_the_declared_title_stays_the_headline():
    page = _titled_page("Webcams - Yosemite National Park (U.S. National Park Service)", "Webcams")
    assert extract_raw(page, "https://www.nps.gov/yose/webcams.htm").title == "Webcams"


def test_a_blog_name_h1_before_the_colon_of_the_declared_title_is_not_the_headline():
    # Blogger's default <title> is "Blog Name: Post title"; og:title holds the post title alone
    page = _titled_page("Громада Блог: Відкрили нову бібліотеку", "Громада Блог",
                        head="<meta property='og:title' content='Відкрили нову бібліотеку'>")
    assert extract_raw(page, "https://gromada.blogspot.com/2025/12/library.html").title == "Відкрили нову бібліотеку"


def test_a_heading_before_a_colon_that_is_not_another_declared_title_stays_the_headline():
    page = _titled_page("Бюджет 2026: що зміниться для громади", "Бюджет 2026")
    assert extract_raw(page, "https://rada.example.gov.ua/news/1").title == "Бюджет 2026"


def test_section_h1s_that_are_single_words_of_the_declared_title_are_not_the_headline():
    # READMEs and gists rendered from Markdown head their sections with h1s
    page = ("<html><head><meta property='og:title' content='How the hromada rebuilt roads, bridges and schools in 2025'>"
            "</head><body><article><h1>Roads</h1><p>Text of the write-up, long enough to be the article body here.</p><h1>Bridges</h1>"
            "<p>More text of the write-up about the bridges that the hromada rebuilt.</p></article></body></html>")
    assert extract_raw(page, "https://gist.example.com/hromada/1").title == ("How the hromada rebuilt roads, bridges and "
                                                                           "schools in 2025")


def test_of_several_h1s_the_one_outside_a_subscribe_box_is_the_headline():
    page = ("<html><head><meta property='og:title' content='Де зимуватимуть птахи цього року'></head><body>"
            "<article class='post tag-ecology'><header><h1>Нові годівнички в парку</h1></header>"
            "<p>Text of the article, long enough to be the article body here.</p></article>"
            "<div class='subscribe-overlay'><h1>Підпишіться на Вісті громади</h1></div></body></html>")
    assert extract_raw(page, "https://visti.example.ua/birds").title == "Нові годівнички в парку"


def test_a_count_or_year_that_the_page_prints_apart_from_the_h1_stays_in_the_title():
    page = _page("Recent Trends in Photography", "8 Recent Trends in Photography")
    assert extract_raw(page, URL).title == "8 Recent Trends in Photography"
    page = _page("Best Online Tutoring Platforms", "Best Online Tutoring Platforms 2025")
    assert extract_raw(page, URL).title == "Best Online Tutoring Platforms 2025"
    page = _page("Tutoring Platforms", "Best Online Tutoring Platforms")  # words, not a count: the h1 stays
    assert extract_raw(page, URL).title == "Tutoring Platforms"



@pytest.mark.parametrize("title, h1, url, expected", [
    pytest.param("davidbau.com Vibe Coding", "<a href='https://davidbau.com/'>davidbau.com</a>",
                 "https://davidbau.com/archives/2025/12/16/vibe_coding.html", "Vibe Coding",
                 id="an h1 that is the site's host name is not the headline"),
    pytest.param("Why example.com still works", "Why example.com still works", "https://example.com/why",
                 "Why example.com still works", id="a host name inside a headline stays"),
    pytest.param("Stanford Grads Find Their Degrees No Longer Guarantee Jobs - Slashdot",
                 "Stanford Grads Find Their Degrees No Longer Guarantee Jobs (latimes.com) 87",
                 "https://developers.slashdot.org/story/25/12/19/jobs",
                 "Stanford Grads Find Their Degrees No Longer Guarantee Jobs",
                 id="a source domain in brackets and a count after the headline are not part of the title"),
    pytest.param("Громада отримала нові автобуси", "Громада отримала нові автобуси (фото) 2",
                 "https://rada.example.gov.ua/news/2", "Громада отримала нові автобуси (фото) 2",
                 id="words in brackets after the headline stay"),
    pytest.param("What Are The Basics Of Event Planning: Beginner's Guide",
                 "What Are The Basics Of Event Planning? Beginner? Guide", "https://aaft.edu.in/blog/event-planning",
                 "What Are The Basics Of Event Planning: Beginner's Guide",
                 id="characters the charset could not show are taken from the declared title"),
    pytest.param("Budget 2026 | City Council", "Who pays for the new bridge? The council decides",
                 "https://council.example.org/news/bridge", "Who pays for the new bridge? The council decides",
                 id="a question in the h1 stays when the declared title says something else"),
    pytest.param("Як громада ремонтує укриття", "Як громада ремонтує укриття | Думка", "https://rada.example.gov.ua/n/5",
                 "Як громада ремонтує укриття", id="a section label after a separator in the h1 is not part of the title"),
    pytest.param("Як громада ремонтує укриття", "Як громада ремонтує укриття – звіт за перше півріччя",
                 "https://rada.example.gov.ua/n/6", "Як громада ремонтує укриття – звіт за перше півріччя",
                 id="a subtitle after a separator in the h1 stays"),
    pytest.param("Оголошення про громадські слухання щодо бюджету", "ОГОЛОШЕННЯ", "https://rada.example.gov.ua/n/3",
                 "Оголошення про громадські слухання щодо бюджету", id="an h1 in capitals that says something else"),
    pytest.param("ОГОЛОШЕННЯ ПРО СЛУХАННЯ", "ОГОЛОШЕННЯ", "https://rada.example.gov.ua/n/4", "ОГОЛОШЕННЯ",
                 id="an h1 in capitals stays when the declared title is in capitals too"),
])
def test_the_h1_against_the_declared_title(title, h1, url, expected):
    assert extract_raw(_titled_page(title, h1), url).title == expected
