"""Place tagging against the codifier: inflected names, homonyms, common words, the sentence table."""

import hashlib
import marshal
import sqlite3
import tomllib
from pathlib import Path

import pytest

from crawler.analysis import places
from crawler.analysis.places import Place, PlaceTagger, get_tagger, place_filter_sql, resolve_place, scope_prefix, tokenize

TABLE = Path(__file__).parent / "files" / "places_sentences.toml"
VINNYTSIA_OBLAST = "UA05000000000010236"
KHMILNYK_HROMADA = "UA05120170000013778"
KHMILNYK_RAION = "UA05120000000017020"
KHMILNYK_CITY = "UA05120170010081140"
SUMY_OBLAST = "UA59000000000057109"
VOLYN_OBLAST = "UA07000000000024379"


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def found(tagger, text, source=None, title=None):
    return {(p.katottg, p.level) for p in tagger.tag(title, text, source) if p.how != "source"}


def test_sentence_table_has_fifty_sentences_with_known_codes(tagger):
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))["sentence"]
    assert len(table) >= 50
    for row in table:
        for expected in row["expected"]:
            unit = tagger.unit(expected["katottg"])
            assert unit is not None, expected
            assert unit.level == expected["level"] and unit.name == expected["name"]


def test_sentence_table_meets_targets_at_hromada_and_oblast_level(tagger):
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))["sentence"]
    for level in ("oblast", "hromada"):
        tp = predicted = expected = 0
        for row in table:
            got = {p.katottg for p in tagger.tag(None, row["text"], row.get("source_katottg"))
                   if p.how != "source" and p.level == level}
            want = {e["katottg"] for e in row["expected"] if e["level"] == level}
            tp, predicted, expected = tp + len(got & want), predicted + len(got), expected + len(want)
        assert tp / predicted >= 0.95, level
        assert tp / expected >= 0.90, level


@pytest.mark.parametrize("text", [
    "засідання виконавчого комітету Хмільницької міської ради",
    "у Хмільницькій громаді",
    "Хмільницька міська територіальна громада",
    "бюджет Хмільницької МТГ",
])
def test_hromada_in_inflected_forms(tagger, text):
    assert found(tagger, text) == {(KHMILNYK_HROMADA, "hromada")}


@pytest.mark.parametrize("text", ["у Вінницькій області", "Вінниччина", "на Вінниччині", "голова Вінницької ОДА"])
def test_oblast_by_adjective_or_regional_name(tagger, text):
    assert found(tagger, text) == {(VINNYTSIA_OBLAST, "oblast")}


def test_raion_and_city(tagger):
    assert found(tagger, "Хмільницький район") == {(KHMILNYK_RAION, "raion")}
    assert found(tagger, "у м. Хмільнику") == {(KHMILNYK_CITY, "settlement")}
    assert found(tagger, "Новини Хмільника") == {(KHMILNYK_CITY, "settlement")}


def test_city_hromada_preferred_after_miska(tagger):
    assert found(tagger, "разом із Чернігівською міською територіальною громадою") == {
        ("UA74100390000073425", "hromada")}


def test_coordinated_oblasts_share_one_noun(tagger):
    codes = {code for code, _ in found(tagger, "у громадах Львівської, Волинської та Закарпатської областей")}
    assert codes == {"UA46000000000026241", VOLYN_OBLAST, "UA21000000000011690"}


@pytest.mark.parametrize("text", [
    "Нова школа відкрилася після ремонту",
    "Миру та злагоди бажаємо всім",
    "Перемога буде за нами",
    "садова ділянка і вишнева алея",
    "Українська громада Польщі зібрала допомогу",
    "волинські сапери очищують території",
    "вимкнуть світло на вулицях Соборна, Івана Франка",
    "на вул. Івана Франка, 5",
])
def test_common_words_do_not_tag(tagger, text):
    assert found(tagger, text) == set()


def test_ambiguous_hromada_is_dropped_without_context_and_resolved_with_it(tagger):
    assert found(tagger, "Сергіївська громада отримала автомобіль") == set()
    odesa = found(tagger, "Сергіївська громада Одеської області отримала автомобіль")
    assert ("UA51040210000057879", "hromada") in odesa
    from_odesa_site = found(tagger, "Сергіївська громада отримала автомобіль", source="UA51000000000030770")
    assert from_odesa_site == {("UA51040210000057879", "hromada")}


def test_village_needs_a_marker_and_its_hromada_context(tagger):
    assert found(tagger, "Кожухів", source=KHMILNYK_HROMADA) == set()
    assert found(tagger, "у селі Кожухів", source=KHMILNYK_HROMADA) == {("UA05120170130055850", "settlement")}


def test_source_unit_and_title(tagger):
    places = tagger.tag("Новини Хмільницької громади", "Сесія Хмільницької міської ради", KHMILNYK_HROMADA)
    assert Place(KHMILNYK_HROMADA, "hromada", "Хмільницька", "source") in places
    assert Place(KHMILNYK_HROMADA, "hromada", "Хмільницька", "title") in places
    assert not any(p.how == "text" and p.katottg == KHMILNYK_HROMADA for p in places)


@pytest.mark.parametrize("title, text, source", [
    (None, None, None), ("", "", ""), ("\x00\ufffd", "’’ -- м. . с.", "UA00"), ("М.", "м.", None),
])
def test_odd_input_gives_no_places_and_no_crash(tagger, title, text, source):
    assert tagger.tag(title, text, source) == []


def test_tokenize_marks_sentence_starts_and_quotes():
    tokens = tokenize("Сьогодні. Центр «Гармонія» у Вінниці")
    assert tokens.words == ["Сьогодні", "Центр", "Гармонія", "у", "Вінниці"]
    assert [tokens.sentence_start(i) for i in range(len(tokens))] == [True, True, False, False, False]
    assert [tokens.after_quote(i) for i in range(len(tokens))] == [False, False, True, False, False]
    assert tokens.gap_after(1) == " «"


@pytest.mark.parametrize("word", ["громадою", "селах", "черкасам", "ярмолинцях", "києві", "людина", "молоко",
                                  "сумщину", "радагро", "ножиці", "дітьми"])
def test_plural_nominative_is_pymorphy3s_own_inflection(word):
    from crawler.analysis.morphology import analyzer, plural_nominative

    morph = analyzer()
    for parse in morph.parse(word):
        expected = parse.inflect({"plur", "nomn"})
        assert plural_nominative(morph, parse) == (expected.word if expected else None)


def test_words_before_a_marker_or_capital_are_skipped_but_gaps_still_count(tagger):
    text = "про нове. Село Перемога та с. Полошки, місто Вінниця"
    assert tokenize(text).positions_of({"село", "с", "місто"}) == [2, 3, 5, 6, 7, 8]
    assert {level for _, level in found(tagger, text)} == {"settlement"}


def test_scope_prefix_by_level():
    assert scope_prefix(VINNYTSIA_OBLAST) == "UA05"
    assert scope_prefix(KHMILNYK_RAION) == "UA0512"
    assert scope_prefix(KHMILNYK_HROMADA) == "UA0512017"
    assert scope_prefix(KHMILNYK_CITY) == "UA0512017001"


def test_resolve_place_by_code_name_and_regional_name():
    assert resolve_place(KHMILNYK_HROMADA) == [KHMILNYK_HROMADA]
    assert resolve_place("UA99999999999999999") == []
    assert resolve_place("Вінницька", level="oblast") == [VINNYTSIA_OBLAST]
    assert resolve_place("Хмільницька", level="hromada") == [KHMILNYK_HROMADA]
    assert resolve_place("Сумщина") == [SUMY_OBLAST]
    assert resolve_place("Волинська область") == [VOLYN_OBLAST]
    assert resolve_place("Неіснуюча") == []
    with pytest.raises(ValueError, match="unknown place level"):
        resolve_place("Вінницька", level="country")


def test_enclosing_unit_for_counts_by_oblast_and_hromada():
    from crawler.analysis.places import enclosing_unit

    assert enclosing_unit(KHMILNYK_CITY, "oblast").code == VINNYTSIA_OBLAST
    assert enclosing_unit(KHMILNYK_CITY, "hromada").code == KHMILNYK_HROMADA
    assert enclosing_unit(VINNYTSIA_OBLAST, "hromada") is None
    assert enclosing_unit("UA80000000000093317", "oblast").name == "Київ"


def test_place_filter_sql_matches_units_inside_the_code():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table articles (id integer primary key)")
    connection.execute("create table article_places (article_id, katottg, level, name, how)")
    connection.executemany("insert into articles values (?)", [(1,), (2,)])
    connection.executemany("insert into article_places values (?, ?, 'x', 'x', 'text')",
                           [(1, KHMILNYK_CITY), (2, "UA59000000000057109")])
    sql, params = place_filter_sql([VINNYTSIA_OBLAST])
    assert [row[0] for row in connection.execute(f"select id from articles where {sql}", params)] == [1]
    sql, params = place_filter_sql([])
    assert connection.execute(f"select count(*) from articles where {sql}", params).fetchone()[0] == 0


# -- the gazetteer cache -------------------------------------------------
REAL_SENTENCES = [
    ("Сесія Хмільницької міської ради", "Депутати Хмільницької міської ради ухвалили бюджет громади на 2025 рік. "
     "Кошти спрямують на ремонт доріг у с. Кожухів та м. Хмільнику.", KHMILNYK_HROMADA),
    ("На Сумщині відкрили укриття", "У Сумській області, зокрема в Охтирці та смт Кириківка, облаштували укриття.", None),
    (None, "Волинь: у громадах Ковельського та Луцького районів триває опалювальний сезон.", VOLYN_OBLAST),
    ("Новини", "Вінниччина приймає переселенців; у Вінниці відкрили ще один центр допомоги.", None),
]


def all_tags(tagger):
    """Everything the tagger answers for the sentences above and the sentence table, for comparing taggers."""
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))["sentence"]
    rows = REAL_SENTENCES + [(None, row["text"], row.get("source_katottg")) for row in table]
    return ([tagger.tag(title, text, source) for title, text, source in rows],
            [tagger.resolve(query) for query in ("Вінницька", "Сумщина", "Хмільник", KHMILNYK_CITY)],
            [tagger.enclosing(KHMILNYK_CITY, level) for level in ("oblast", "raion", "hromada")])


def cache_files(directory):
    return sorted(directory.glob("gazetteer-*"))


def no_codifier():
    raise AssertionError("the codifier was read although the cache is valid")


@pytest.fixture
def cache_directory(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv(places.CACHE_DIR_ENV, str(directory))
    return directory


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory):
    """The cache file a tagger built from the codifier writes (its name and content), and that tagger's answers."""
    directory = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(places.CACHE_DIR_ENV, str(directory))
        built = PlaceTagger.from_codifier()
    [cache_file] = cache_files(directory)
    return cache_file.name, cache_file.read_bytes(), all_tags(built)


def test_cached_gazetteer_tags_exactly_as_the_codifier_built_one(tagger, built_cache, cache_directory, monkeypatch):
    name, content, built_tags = built_cache
    cache_directory.mkdir()
    (cache_directory / name).write_bytes(content)
    monkeypatch.setattr(places, "codifier_rows", no_codifier)
    cached_tags = all_tags(PlaceTagger.from_codifier())
    assert cached_tags == built_tags == all_tags(tagger)
    assert any(cached_tags[0])  # the sentences do name places


@pytest.mark.parametrize("damage", ["garbage", "truncated", "checksum of another shape"])
def test_damaged_cache_is_rebuilt_and_rewritten(built_cache, cache_directory, damage):
    name, content, built_tags = built_cache
    cache_directory.mkdir()
    cache_file = cache_directory / name
    if damage == "garbage":
        cache_file.write_bytes(b"\x00\xffnot a gazetteer")
    elif damage == "truncated":
        cache_file.write_bytes(content[:len(content) // 2])
    else:
        payload = marshal.dumps({"codes": []})
        cache_file.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    assert places.read_cached_gazetteer(cache_file) is None
    assert all_tags(PlaceTagger.from_codifier()) == built_tags
    assert cache_file.read_bytes() == content


def test_changed_aliases_file_gets_a_new_cache(cache_directory, tmp_path, monkeypatch):
    aliases = tmp_path / "place_aliases.toml"
    aliases.write_text(places.ALIASES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    before = PlaceTagger.from_codifier(aliases)
    aliases.write_text(aliases.read_text(encoding="utf-8").replace(
        "[regions]\n", '[regions]\n"Хмільниччина" = "Вінницька"\n'), encoding="utf-8")
    after = PlaceTagger.from_codifier(aliases)
    assert found(before, "Хмільниччина приймає гостей") == set()
    assert found(after, "Хмільниччина приймає гостей") == {(VINNYTSIA_OBLAST, "oblast")}
    assert len(cache_files(cache_directory)) == 2
    monkeypatch.setattr(places, "codifier_rows", no_codifier)
    assert found(PlaceTagger.from_codifier(aliases), "Хмільниччина приймає гостей") == {(VINNYTSIA_OBLAST, "oblast")}


def test_cache_key_changes_with_the_code_that_builds_the_gazetteer(tmp_path, monkeypatch):
    source = tmp_path / "text.py"
    source.write_text("APOSTROPHE_VARIANTS = '’ʼ'\n", encoding="utf-8")
    monkeypatch.setattr(places, "BUILD_SOURCES", (source,))
    aliases = places.read_aliases_text()
    before = places.gazetteer_key(aliases)
    assert places.gazetteer_key(aliases) == before
    source.write_text("APOSTROPHE_VARIANTS = '’ʼ`'\n", encoding="utf-8")
    assert places.gazetteer_key(aliases) != before


def test_unwritable_cache_directory_means_no_cache(built_cache, tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(places.CACHE_DIR_ENV, str(blocker / "cache"))
    assert all_tags(PlaceTagger.from_codifier()) == built_cache[2]
    assert blocker.read_text() == "not a directory"


def test_cache_directory_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv(places.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert places.cache_dir() == tmp_path / "xdg" / "hromada"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert places.cache_dir() == tmp_path / "home" / ".cache" / "hromada"


def test_alias_of_an_unknown_oblast_is_a_clear_error(cache_directory, tmp_path):
    aliases = tmp_path / "place_aliases.toml"
    aliases.write_text('[regions]\n"Атлантида" = "Атлантична"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="Атлантична"):
        PlaceTagger.from_codifier(aliases)
