"""Place tagging against the codifier: inflected names, homonyms, common words, the sentence table."""

import sqlite3
import tomllib
from pathlib import Path

import pytest

from crawler.places import Place, get_tagger, place_filter_sql, resolve_place, scope_prefix, tokenize

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
    from crawler.morphology import analyzer, plural_nominative

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
    from crawler.places import enclosing_unit

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
