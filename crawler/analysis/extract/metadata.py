"""Page metadata: headline, author, language, canonical URL and page type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape as html_unescape
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.analysis.dates import find_date_strings
from crawler.analysis.extract.domrules import load_dom_rules

_JSONLD_SCRIPTS = etree.XPath("//script[@type='application/ld+json']/text()")
# the same as //*[@rel='author' or @itemprop='author'], several times faster in libxml2
_AUTHOR_ELEMENTS = etree.XPath("//@rel[.='author']/.. | //@itemprop[.='author']/..")
_CANONICAL_HREFS = etree.XPath("//link[@rel='canonical']/@href")
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:»·•/~]|::)\s+")
# an h1 that a declared title contains names the article only when it is more than one of the title's words:
# a README rendered from Markdown heads its sections with h1s ("Discord" of "How we pwned X, Vercel, Discord, ...")
_MENTION_SHARE = 0.25
# a section's label after the headline: "How meditation rewires brains | Opinion"
_LABEL_TAIL_SEPARATORS = ("|", "–", "—", "-")
_LABEL_TAIL_WORDS = 2
# a label before a colon: "Blog Name: Post title"
_LABEL_SEPARATOR = re.compile(r"\s*:\s+|" + _TITLE_SEPARATORS.pattern)
_UK_LETTERS = re.compile(r"[іїєґ]")
_RU_LETTERS = re.compile(r"[ыэъё]")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")
_HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"<[^>]+>")
_TEXT_AND_BREAKS = etree.XPath(".//text() | .//br")
# an aggregator's extras after the headline: the source's domain in brackets and a comment count ("(latimes.com) 87")
_SOURCE_AND_COUNT = re.compile(r"\s*\(\s*(?:www\.)?[\w-]+(?:\.[\w-]+)+\s*\)\s*\d+\s*")
# a character the page's charset could not show: a heading written in one encoding and served in another
_UNSHOWN_CHARACTER = re.compile(r"[?\ufffd]")


def clean_text(value: str | None) -> str:
    """Whitespace runs collapsed to one space, ends stripped."""
    return " ".join(value.split()) if value else ""


class MetaTags:
    """A page's <meta> contents by property and name, read once per page."""

    def __init__(self, tree):
        self._contents: dict[str, list[str]] = {}
        for meta in tree.iter("meta"):
            content = meta.get("content")
            if content:
                for key in {meta.get("property"), meta.get("name")} - {None}:
                    self._contents.setdefault(key, []).append(content)

    def content(self, *names: str) -> str | None:
        """The first non-empty content among ``names`` (matched on property or name)."""
        for name in names:
            for content in self._contents.get(name, ()):
                value = clean_text(content)
                if value:
                    return value
        return None


def jsonld_items(tree) -> list[dict]:
    """Every JSON-LD object on the page, @graph members included; broken JSON is skipped."""
    items: list[dict] = []
    for script in _JSONLD_SCRIPTS(tree):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        _collect_items(data, items, depth=0)
    return items


def _collect_items(data, items: list[dict], depth: int) -> None:
    if depth > 4:
        return
    if isinstance(data, list):
        for entry in data:
            _collect_items(entry, items, depth + 1)
    elif isinstance(data, dict):
        items.append(data)
        if "@graph" in data:
            _collect_items(data["@graph"], items, depth + 1)


@dataclass(frozen=True)
class DeclaredTitles:
    """The titles a page declares about itself (JSON-LD headline, og:title, <title>) and the names of its site."""

    titles: tuple[str, ...]
    site_name: str | None
    site_keys: frozenset[str]

    def mention(self, text: str) -> bool:
        """A declared title contains the text (a quarter of it at least), or the text contains a declared headline
        ('Headline (source.com)')."""
        key = _key(text)
        if not key:
            return False
        if any(key in _key(title) and len(key) >= len(_key(title)) * _MENTION_SHARE for title in self.titles):
            return True
        return self.within(text) is not None

    def within(self, text: str) -> str | None:
        """The declared headline that the text holds with extras around it ('Headline (source.com)', 'Headline 87')."""
        key = _key(text)
        for headline in self.headlines():
            headline_key = _key(headline)
            if headline_key.count(" ") >= 2 and headline_key in key and headline_key != key:
                return headline
        return None

    def is_site_name(self, text: str) -> bool:
        """The text is the site's name: og:site_name, or the domain's name ("Rust-Lang" for rust-lang.org)."""
        return _squeezed(text) in self.site_keys

    def is_stripped_part(self, text: str) -> bool:
        """The text is a trailing part that site-name stripping drops from a declared title: "Marcus on AI"
        of "New Ways to Corrupt LLMs - by Gary Marcus - Marcus on AI" (a short first part, "Webcams - Yosemite
        National Park", is more often the page's own headline)."""
        key = _key(text)
        for title in self.titles:
            headline_key = _key(strip_site_name(title, self.site_name, self.site_keys))
            trailing = _TITLE_SEPARATORS.split(title)[1:]
            if key and key not in headline_key and any(key == _key(part) for part in trailing):
                return True
        return bool(key) and self._is_leading_label(key)

    def _is_leading_label(self, key: str) -> bool:
        """The text is the first part of one declared title whose rest is another declared title: the blog's name
        in "Engora Data Blog: Small adventures with small language models" beside og:title "Small adventures ..."
        (Blogger's default <title>)."""
        keys = {_key(title) for title in self.titles}
        for title in self.titles:
            parts = _LABEL_SEPARATOR.split(title, maxsplit=1)
            if len(parts) == 2 and _key(parts[0]) == key and _key(parts[1]) in keys:
                return True
        return False

    def headlines(self) -> list[str]:
        """The declared titles without the site name, most trusted first."""
        stripped = (strip_site_name(title, self.site_name, self.site_keys) for title in self.titles)
        return [title for title in stripped if title and not self.is_site_name(title)]


def declared_titles(tree, metas: MetaTags, items: list[dict], url: str | None) -> DeclaredTitles:
    site_name = metas.content("og:site_name", "application-name")
    site_keys = {_squeezed(site_name)} if site_name else set()
    site_keys.update((_domain_name(url), _host_name(url)))
    return DeclaredTitles(tuple(_declared_titles(tree, metas, items)), site_name, frozenset(site_keys - {""}))


def find_headline_element(tree, titles: DeclaredTitles, title_css: str | None = None):
    """The element holding the article headline, or None.

    The hinted one; else the first h1 that a declared title contains; else an h2 that
    is a declared title (pages that use h1 for a logo or a pull quote); else the one h1.
    Headings that are the site's name are never the headline.
    """
    if title_css:
        found = tree.cssselect(title_css)
        if found:
            return found[0]
    headings = [node for node in tree.iter("h1") if _is_headline_candidate(node, titles) and not _is_inside_hidden(node)]
    for heading in headings:
        if titles.mention(heading.text_content()):
            return heading
    headlines = {_key(title) for title in titles.headlines()}
    for heading in tree.iter("h2"):
        if _key(heading.text_content()) in headlines and not _is_inside_hidden(heading):
            return heading
    if len(headings) > 1:
        headings = [heading for heading in headings if not _is_inside_furniture_block(heading)]
    return headings[0] if len(headings) == 1 else None


def _is_inside_furniture_block(element) -> bool:
    """Inside a block whose class names furniture for sure (a subscribe box's "Subscribe to <site>" h1, a
    related-stories strip's "Next in Your Guide" h1)."""
    rules = load_dom_rules()
    return any(rules.token_reason(node.get("class"), node.get("id")) in ("strong", "unguarded")
               for node in element.iterancestors() if node.tag not in ("body", "html"))


def _is_inside_hidden(element) -> bool:
    """Inside markup the page does not show: a "republish this story" dialog repeats the headline with a copy of
    the article, and taking it for the headline would spare that copy and the sidebar around it."""
    rules = load_dom_rules()
    return any(rules.is_hidden(node) for node in (element, *element.iterancestors()))


def _is_headline_candidate(heading, titles: DeclaredTitles) -> bool:
    text = clean_text(heading.text_content())
    return bool(text) and not titles.is_site_name(text) and not titles.is_stripped_part(text)


def find_title(headline, titles: DeclaredTitles) -> str | None:
    """The article headline without the site name that <title> and og:title append."""
    if headline is not None:
        text = heading_text(headline)
        if text:
            return (_declared_without_extras(text, titles) or _declared_with_count(text, titles)
                    or _declared_for_unshown_characters(text, titles) or _declared_for_capitals(text, titles) or text)
    headlines = titles.headlines()
    return headlines[0] if headlines else None


def heading_text(heading) -> str:
    """The heading's text with a space where a <br> breaks it ("WEEKEND<br>CODING" is two words)."""
    pieces = (piece if isinstance(piece, str) else " " for piece in _TEXT_AND_BREAKS(heading))
    return clean_text("".join(pieces))


def _declared_without_extras(text: str, titles: DeclaredTitles) -> str | None:
    """The declared headline when the heading holds it plus only a date or the site's name.

    "Preparing a transition in Debusine" for an h1 "Dec 18 2025 Preparing a transition in Debusine",
    "Critics' Choice: Best UK Art Exhibitions 2025" for "Critics' Choice: … 2025 – Artlyst".
    """
    declared = titles.within(text)
    if declared is None:
        return None
    extras = _key(text).replace(_key(declared), " ", 1)
    if (titles.is_site_name(extras) or _is_dateline(extras) or _is_source_and_count(text, declared)
            or _is_section_label_after_separator(text, declared)):
        return declared
    return None


def _is_section_label_after_separator(text: str, declared: str) -> bool:
    """The heading is the declared headline, a separator and a word or two that no declared headline carries: the
    section's label ("How meditation rewires brains and improves physical health | Opinion"). A longer tail is as
    often part of the headline ("Best CRM for Small Businesses in 2026 – Features, Pricing, and Honest
    Comparison")."""
    if not text.lower().startswith(declared.lower()):
        return False
    separator = _TITLE_SEPARATORS.match(text, len(declared))
    if separator is None or separator.group().strip() not in _LABEL_TAIL_SEPARATORS:
        return False
    return 1 <= len(_key(text[separator.end():]).split()) <= _LABEL_TAIL_WORDS


def _is_source_and_count(text: str, declared: str) -> bool:
    """Besides the headline the heading holds only a source's domain in brackets and a comment count, as news
    aggregators print them: "Stanford Grads Find Their Degrees No Longer Guarantee Jobs (latimes.com) 87".
    The domain alone stays ("Громада отримала нові автобуси (suspilne.media)")."""
    start = text.lower().find(declared.lower())
    if start < 0:
        return False
    before, after = text[:start], text[start + len(declared):]
    return not before.strip() and _SOURCE_AND_COUNT.fullmatch(after) is not None


def _declared_for_capitals(text: str, titles: DeclaredTitles) -> str | None:
    """The declared headline when the heading is written all in capitals and says something else: a styled label
    ("SUPPORTING GAAP COMPLIANCE") more often than the headline."""
    if text != text.upper() or sum(character.isalpha() for character in text) < 2:
        return None
    headlines = titles.headlines()
    return headlines[0] if headlines and headlines[0] != headlines[0].upper() else None


def _declared_for_unshown_characters(text: str, titles: DeclaredTitles) -> str | None:
    """The declared headline when the heading is it with characters the charset could not show as '?' or '\ufffd':
    "Event Planning? Beginner? Guide" for "Event Planning: Beginner's Guide"."""
    if not _UNSHOWN_CHARACTER.search(text.rstrip("?")):
        return None
    pattern = re.compile(".{1,3}".join(re.escape(part) for part in _UNSHOWN_CHARACTER.split(text)), re.I)
    return next((headline for headline in titles.headlines() if pattern.fullmatch(headline)), None)


def _declared_with_count(text: str, titles: DeclaredTitles) -> str | None:
    """The declared headline when it is the heading plus only a count or a year, which pages print apart from
    the heading: "8 Recent Trends in Photography" for an h1 "Recent Trends in Photography", "15 Best Online
    Tutoring Platforms 2025" for "15 Best Online Tutoring Platforms"."""
    key = _key(text)
    for headline in titles.headlines():
        headline_key = _key(headline)
        if key and key != headline_key and key in headline_key:
            extras = headline_key.replace(key, " ", 1).split()
            if extras and all(extra.isdigit() for extra in extras):
                return headline
    return None


def _is_dateline(text: str) -> bool:
    """A date with at most two words beside it ("posted on july 1 2025")."""
    found = find_date_strings(text)
    if not found:
        return False
    rest = text.replace(_key(found[0]), " ", 1)
    return len(rest.split()) <= 2


def _declared_titles(tree, metas: MetaTags, items: list[dict]) -> list[str]:
    titles = []
    for item in items:
        headline = item.get("headline")
        if isinstance(headline, str) and clean_text(headline):
            titles.append(clean_text(html_unescape(headline)))
    for value in (metas.content("og:title", "twitter:title"), _title_tag(tree)):
        if value:
            titles.append(clean_text(html_unescape(value)))
    return titles


def _title_tag(tree) -> str | None:
    for node in tree.iter("title"):
        text = clean_text(node.text_content())
        if text:
            return text
    return None


def _domain_name(url: str | None) -> str:
    """The name part of a URL's domain: 'rustlang' for blog.rust-lang.org, 'khmilnytska' for khmilnytska.gov.ua."""
    labels = [label for label in _host(url).split(".") if label and label != "www"]
    if len(labels) < 2:
        return ""
    name = labels[-2]
    if len(labels) >= 3 and len(name) <= 3:  # gov.ua, co.uk, com.ua
        name = labels[-3]
    return _squeezed(name)


def _host_name(url: str | None) -> str:
    """The whole host without 'www.', squeezed: 'davidbaucom' for davidbau.com, the name many blogs head with."""
    host = _host(url)
    return _squeezed(host.removeprefix("www.")) if "." in host else ""


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def _squeezed(text: str | None) -> str:
    return "".join(re.findall(r"\w+", (text or "").lower())).replace("_", "")


def strip_site_name(title: str, site_name: str | None, site_keys=frozenset()) -> str:
    """Drop the site-name part of 'Headline | Site' or 'Site - Headline'.

    ``site_keys`` are other names of the site (squeezed to letters and digits, as the domain name).
    """
    parts = [part for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    if len(parts) < 2:
        return _without_host_word(title, site_keys)
    site = _key(site_name) if site_name else None
    kept = [part for part in parts if not _names_site(part, site, site_keys)]
    if kept and len(kept) < len(parts):
        return _rejoin(title, kept)
    longest = max(parts, key=len)
    # 'Headline | Site' is the common order: keep the first part unless it is a short site label
    return parts[0] if len(parts[0]) >= len(longest) / 2 else longest


def _without_host_word(title: str, site_keys) -> str:
    """'Vibe Coding' of 'davidbau.com Vibe Coding': the site's host written out before or after the headline."""
    words = title.split()
    if len(words) > 1 and "." in words[0] and _squeezed(words[0]) in site_keys:
        return " ".join(words[1:])
    if len(words) > 1 and "." in words[-1] and _squeezed(words[-1]) in site_keys:
        return " ".join(words[:-1])
    return title


def _names_site(part: str, site: str | None, site_keys) -> bool:
    key = _key(part)
    if site and (key == site or key in site):
        return True
    return _squeezed(part) in site_keys


def _rejoin(title: str, kept: list[str]) -> str:
    first, last = title.find(kept[0]), title.rfind(kept[-1])
    return title[first:last + len(kept[-1])].strip() if first >= 0 and last >= first else " ".join(kept)


def _key(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def find_author(tree, metas: MetaTags, items: list[dict]) -> str | None:
    for item in items:
        name = _author_name(item.get("author"))
        if name:
            return name
    value = metas.content("author", "article:author", "parsely-author", "sailthru.author")
    if value and not value.startswith("http"):
        return value
    for node in _AUTHOR_ELEMENTS(tree):
        text = clean_text(node.text_content())
        if 0 < len(text) < 100:
            return text
    return None


def _author_name(author) -> str | None:
    if isinstance(author, list):
        names = [name for name in (_author_name(entry) for entry in author) if name]
        return ", ".join(names) or None
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str) and clean_text(author):
        return clean_text(author)
    return None


def find_language(tree, metas: MetaTags, text: str) -> str | None:
    """html lang, else og:locale, else a guess from the letters of the text."""
    declared = tree.get("lang") or tree.get("xml:lang") or metas.content("og:locale")
    if declared:
        code = re.split(r"[-_]", declared.strip().lower())[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return guess_language(text)


def guess_language(text: str) -> str | None:
    """uk vs ru from letters only one of them has; en for Latin text; None when unsure."""
    sample = text[:5000].lower()
    uk, ru = len(_UK_LETTERS.findall(sample)), len(_RU_LETTERS.findall(sample))
    if uk or ru:
        return "uk" if uk >= ru else "ru"
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    if latin > 3 * cyrillic and latin > 50:
        return "en"
    return None


def find_canonical_url(tree, metas: MetaTags, url: str | None) -> str | None:
    for href in _CANONICAL_HREFS(tree) + [metas.content("og:url")]:
        href = (href or "").strip()
        if href:
            absolute = urljoin(url or "", href)
            if absolute.startswith(("http://", "https://")):
                return absolute
    return url


def find_page_type(metas: MetaTags, items: list[dict]) -> str | None:
    og_type = metas.content("og:type")
    if og_type:
        return og_type
    for item in items:
        kind = item.get("@type")
        if isinstance(kind, list):
            kind = kind[0] if kind else None
        if isinstance(kind, str) and kind:
            return kind
    return None


def find_article_body(items: list[dict]) -> str | None:
    """The longest JSON-LD ``articleBody``/``text`` of an article object, paragraphs kept; None without one."""
    bodies = []
    for item in items:
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and k.endswith(("Article", "BlogPosting", "Posting", "Report")) for k in kinds):
            continue
        body = item.get("articleBody") or item.get("text")
        if isinstance(body, str) and body.strip():
            bodies.append(_paragraphs(body))
    return max(bodies, key=len) if bodies else None


def _paragraphs(body: str) -> str:
    """Declared bodies may carry HTML or bare newlines; the result has paragraphs separated by blank lines."""
    if "<" in body and ">" in body:
        body = _HTML_BREAK.sub("\n", body)
        body = _HTML_TAG.sub(" ", body)
    lines = (clean_text(html_unescape(line)) for line in body.splitlines())
    return "\n\n".join(line for line in lines if line)
