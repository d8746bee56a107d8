"""What kind of answer a question wants, and composition that picks the sentence that gives it:
unit tests of our own logic over a small invented council corpus (fake embedder, no model)."""

from __future__ import annotations

import pytest

from assistant.answer_types import Wanted, counted_noun, holds, labelled, wanted
from assistant.query import asks_for_many
from index.lexical import compound_parts, is_abbreviation, tokenize
from tests.conftest import assistant_over

MINUTES = """# Niederschrift über die Sitzung des Gemeinderats Musterdorf

Sitzung vom 14.03.2024

Ort: Bürgersaal im Rathaus
Beginn: 19:00 Uhr

## TOP 1: Neubau des Kindergartens

Bürgermeisterin Anna Berger stellte die Pläne für den Neubau des Kindergartens vor. Die Gemeinde rechnet mit Baukosten von 2,4 Millionen Euro.
Der Gemeinderat diskutierte ausführlich über den Standort am Lindenweg. Mehrere Räte lobten die frühe Bürgerbeteiligung.
Abstimmungsergebnis: 11 Ja-Stimmen, 2 Nein-Stimmen, 1 Enthaltung.

## TOP 2: Gewerbesteuer

Der Kämmerer erläuterte die Entwicklung der Gewerbesteuer. Die Einnahmen sind im vergangenen Jahr deutlich gestiegen.
Eine Entscheidung über die Steuer wurde auf die nächste Sitzung vertagt.

## TOP 3: Verschiedenes

Die Gemeinde plant für das Dorffest folgende Maßnahmen:
- zusätzliche Parkplätze am Sportplatz
- einen Shuttlebus vom Bahnhof
- eine Sperrung der Hauptstraße am Samstag

Anna Berger wurde 1971 in Freiburg geboren. Am Morgen hatte sie bereits den Kindergarten besucht.
"""


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    return assistant_over(tmp_path_factory.mktemp("council"), {"gemeinderat-2024-03.md": MINUTES})


@pytest.mark.parametrize("question,kind", [
    ("Wie viel kostet der Neubau?", Wanted.MONEY),
    ("Wie hoch sind die Baukosten?", Wanted.MONEY),
    ("Wie viele Räte stimmten zu?", Wanted.NUMBER),
    ("Wann fand die Sitzung statt?", Wanted.DATE),
    ("Seit wann gilt die Satzung?", Wanted.DATE),
    ("In welchem Jahr wurde sie geboren?", Wanted.DATE),
    ("Wer leitete die Sitzung?", Wanted.PERSON),
    ("Welche Fraktion stellte den Antrag?", Wanted.PERSON),
    ("Wo fand die Sitzung statt?", Wanted.PLACE),
    ("Warum wurde die Entscheidung vertagt?", Wanted.REASON),
    ("Wie ist die Abstimmung ausgegangen?", Wanted.VOTE),
    ("Was plant die Gemeinde für das Dorffest?", Wanted.OTHER),
    ("Wie lange dauerte die geheime Abstimmung?", Wanted.NUMBER),  # about a vote, asking for a duration
    ("Wann wurde über den Antrag abgestimmt?", Wanted.DATE),
    ("Wie oft tagt der Ortschaftsrat?", Wanted.FREQUENCY),
    ("Wann darf der Rat nichtöffentlich beraten?", Wanted.OTHER),  # conditions, not a date
    ("An welchem Wochentag tagt der Ausschuss?", Wanted.DATE),
    ("Wie heißt die Bürgermeisterin von Musterdorf?", Wanted.PERSON),
    ("Wie heißt das neue Baugebiet?", Wanted.OTHER),
])
def test_question_kinds(question, kind):
    assert wanted(question) == kind


@pytest.mark.parametrize("kind,sentence,has", [
    (Wanted.DATE, "Anna Berger wurde 1971 in Freiburg geboren.", True),
    (Wanted.DATE, "Der Rat tagte am 6. November im Rathaus.", True),
    (Wanted.MONEY, "Die Baukosten liegen bei 2,4 Millionen Euro.", True),
    (Wanted.MONEY, "Die Kosten wurden ausführlich diskutiert.", False),
    (Wanted.VOTE, "Der Antrag wurde einstimmig angenommen.", True),
    (Wanted.VOTE, "Die Debatte dauerte zwei Stunden.", False),
    (Wanted.PLACE, "Termine sollen nach Möglichkeit veröffentlicht werden.", False),  # an abstract noun is no place
    (Wanted.PLACE, "Die Sitzung fand im Bürgersaal statt.", True),
    # digits that count nothing: clock times, rule and item references, ordinals, paragraph numbers
    (Wanted.NUMBER, "Am 11. September begann um 19 Uhr die Sitzung.", False),
    (Wanted.NUMBER, "(1) Der Gemeinderat besteht aus dem Bürgermeister und den Gemeinderäten.", False),
    (Wanted.NUMBER, "Die Unterlagen werden nach § 12 Abs. 2 beigefügt.", False),
    (Wanted.NUMBER, "Ist er Organmitglied im Sinne des Satzes 1, besteht kein Verbot.", False),
    (Wanted.NUMBER, "Der 5. Tagesordnungspunkt war das Bürgerbegehren.", False),
    (Wanted.NUMBER, "Die Vorlagen Nr. 1 und 2 wurden angenommen.", False),
    (Wanted.NUMBER, "Die Abstimmung dauerte ca. 13 Minuten.", True),
    (Wanted.FREQUENCY, "Er soll jedoch mindestens einmal im Monat einberufen werden.", True),
    (Wanted.FREQUENCY, "Der Ausschuss tagt vierteljährlich.", True),
    (Wanted.FREQUENCY, "Der Ausschuss tagt im Rathaus.", False),
    (Wanted.DATE, "In der Regel finden Sitzungen donnerstags statt.", True),
    (Wanted.DATE, "Am Morgen hatte er die Beschäftigten getroffen.", False),  # the morning, not „morgen“
    (Wanted.DATE, "Die Sitzung wird morgen fortgesetzt.", True),
])
def test_sentences_that_hold_an_answer_of_a_kind(kind, sentence, has):
    assert holds(kind, sentence) == has


def test_labels_say_it_outright():
    assert labelled(Wanted.PLACE, "Ort: Bürgersaal im Rathaus")
    assert labelled(Wanted.REASON, "Möglicher Hintergrund: Die Software wurde umgestellt.")
    assert labelled(Wanted.VOTE, "Abstimmungsergebnis: 11 Ja-Stimmen")
    assert not labelled(Wanted.PLACE, "Der Ort wurde lange gesucht.")


def test_the_words_that_ask_for_a_kind_of_answer_are_not_its_topic():
    from assistant.answer_types import without_question_phrase
    assert "Anteil" not in without_question_phrase("Welchen Anteil hat der Verkehr an den Emissionen?")
    assert "Wochentag" not in without_question_phrase("An welchem Wochentag tagt der Rat?")
    assert "Parteien" not in without_question_phrase("Welche Parteien unterstützen den Antrag?")


def test_counted_noun_and_plural_lists():
    assert counted_noun("Wie viele Sitze hat die SPD?") == "Sitze"
    assert asks_for_many("Welche Maßnahmen plant die Gemeinde?")
    assert not asks_for_many("Welche Software nutzt die Verwaltung?")


def test_decompounding_and_abbreviations():
    heads = {head.lower() for _, _, head in compound_parts("Anwohnerparkgebühr")}
    assert "gebühr" in heads or "parkgebühr" in heads
    assert is_abbreviation("OB") and not is_abbreviation("ob")
    assert tokenize("Egal ob es regnet") == tokenize("Egal es regnet")  # the conjunction is a stop word
    assert "ob" in tokenize("Der OB sprach")  # the abbreviation is not


def test_vote_question_gets_the_numbers_not_the_debate(council):
    answer = council.ask("Wie ist die Abstimmung über den Kindergarten ausgegangen?")
    assert not answer.refused
    assert "11 Ja-Stimmen" in answer.text and "diskutierte" not in answer.text


def test_money_question_gets_the_amount(council):
    answer = council.ask("Wie viel kostet der Neubau des Kindergartens?")
    assert "2,4 Millionen Euro" in answer.text and not answer.refused


def test_place_question_prefers_the_labelled_line(council):
    answer = council.ask("Wo fand die Sitzung statt?")
    assert "Bürgersaal" in answer.text


def test_answer_is_concise_without_padding(council):
    answer = council.ask("Wo ist Anna Berger geboren?")
    assert "Freiburg" in answer.text and "Am Morgen" not in answer.text
    assert len(answer.text.split()) <= 40


def test_list_question_gets_the_items(council):
    answer = council.ask("Welche Maßnahmen plant die Gemeinde für das Dorffest?")
    for item in ("Parkplätze", "Shuttlebus", "Sperrung der Hauptstraße"):
        assert item in answer.text


def test_on_topic_but_no_answer_of_the_wanted_kind_is_refused_plainly(council):
    answer = council.ask("Wie hoch ist der Hebesatz der Gewerbesteuer?")
    assert answer.refused
    assert "keine" in answer.text and "Niederschrift über die Sitzung des Gemeinderats Musterdorf" in answer.text


def test_unrelated_question_is_refused(council):
    answer = council.ask("Wann öffnet das neue Hallenbad in Hamburg?")
    assert answer.refused


def test_metadata_lines_and_headings_are_never_quoted(council):
    answer = council.ask("Was wurde zum Neubau des Kindergartens besprochen?")
    quotes = " ".join(s.quote for s in answer.sources)
    assert "#" not in answer.text and "## TOP" not in quotes


@pytest.fixture(scope="module")
def two_dates(tmp_path_factory):
    return assistant_over(tmp_path_factory.mktemp("dates"), {
        "plan.md": "---\ntitle: Haushaltsplan 2023\ndate: 2023-03-01\n---\n"
                   "Die Gemeinde plant ein neues Hallenbad am Sportpark. Der Bau soll 2024 beginnen.\n",
        "presse.md": "---\ntitle: Hallenbad eröffnet\ndate: 2025-06-02\n---\n"
                     "Das neue Hallenbad am Sportpark wurde im Mai 2025 eröffnet. Es hat ein 25-Meter-Becken.\n"})


def test_current_questions_prefer_the_newest_document(two_dates):
    answer = two_dates.ask("Was ist aktuell mit dem Hallenbad am Sportpark?")
    assert answer.sources[0].doc_id == "presse" and "eröffnet" in answer.text


def test_a_year_in_the_question_prefers_that_years_documents(two_dates):
    answer = two_dates.ask("Was war 2023 zum Hallenbad am Sportpark geplant?")
    assert answer.sources[0].doc_id == "plan"


def test_sources_of_different_dates_are_told_newest_first(two_dates):
    answer = two_dates.ask("Was sagen die Dokumente zum Hallenbad am Sportpark?")
    assert {s.doc_id for s in answer.sources} == {"plan", "presse"}
    assert answer.text.startswith("Neuester Stand (02.06.2025)") and "hieß es noch" in answer.text
    assert answer.text.index("eröffnet") < answer.text.index("plant")


PROGRAMME = """# Programm der Wählergruppe Musterstadt

## Mobilität

Der Busverkehr in Musterstadt soll verlässlicher werden. Wir wollen Fortschritte

- beim Radschnellweg nach Nordheim;
- bei der Taktverdichtung der Buslinie 12;
- beim Umbau des Bahnhofsvorplatzes.

## Finanzen

Die Grundsteuer soll stabil bleiben.
"""


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    return assistant_over(tmp_path_factory.mktemp("programme"), {"programm.md": PROGRAMME})


def test_an_item_that_continues_its_lead_in_is_quoted_after_it(programme):
    """„beim Radschnellweg;“ alone is no sentence: its unfinished lead-in comes first, the item as a list line."""
    answer = programme.ask("Was steht zum Radschnellweg nach Nordheim?")
    assert "Wir wollen Fortschritte [1]\n- beim Radschnellweg nach Nordheim;" in answer.text, answer.text


def test_a_list_after_an_unfinished_lead_in_is_given_with_it(programme):
    answer = programme.ask("Wo will die Wählergruppe Fortschritte?")
    text = answer.text
    assert "Wir wollen Fortschritte" in text, text
    positions = [text.find(item) for item in ("Wir wollen Fortschritte", "- beim Radschnellweg", "- bei der Taktverdichtung",
                                              "- beim Umbau des Bahnhofsvorplatzes")]
    assert -1 not in positions and positions == sorted(positions), text


LETTERS = """# Leserfragen an die Verwaltung

Eine Leserin fragte: Wo finde ich eine Statistik zu den Muttersprachen in Musterdorf?

Antwort: Beim Amt für Statistik im Rathaus.

Ein Leser fragte nach dem Haushaltsrechner. Der Haushaltsrechner wird 2025 nicht freigeschaltet.

Möglicher Hintergrund: Die Umstellung auf die doppische Buchführung verlangt eine neue Software.

## Bänke am Marktplatz

Die SPD unterstützt den Antrag auf mehr Bänke am Marktplatz. Die Grünen unterstützen den Antrag ebenfalls.
Die FDP lehnt ihn wegen der Kosten ab.
"""


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    return assistant_over(tmp_path_factory.mktemp("letters"), {"leserfragen.md": LETTERS})


def test_a_question_in_the_text_is_not_the_answer(letters):
    answer = letters.ask("Wo findet man eine Statistik zu Muttersprachen in Musterdorf?")
    assert "Amt für Statistik" in answer.text and "Wo finde ich" not in answer.text


def test_a_labelled_reason_answers_why(letters):
    answer = letters.ask("Warum wird der Haushaltsrechner 2025 nicht freigeschaltet?")
    assert "doppische Buchführung" in answer.text


def test_a_count_needs_the_counted_thing_in_its_own_sentence(council):
    # the section is about the Kindergarten and holds a vote count: no count of Kindergärten
    assert council.ask("Wie viele Kindergärten baut die Gemeinde?").refused


def test_the_next_date_is_not_the_date_of_the_report(council):
    # the minutes give their own session's date and no later one
    assert council.ask("Wann ist die nächste Sitzung des Gemeinderats?").refused
    assert not council.ask("Wann fand die Sitzung des Gemeinderats statt?").refused


def test_a_plural_question_for_names_gets_each_one(letters):
    answer = letters.ask("Welche Parteien unterstützen den Antrag auf mehr Bänke?")
    assert "SPD" in answer.text and "Grünen" in answer.text, answer.text


def test_a_question_of_only_unknown_words_is_refused_however_similar_a_passage(tmp_path):
    """A very similar passage rescues a question with a few words the documents lack (a typo, a
    synonym), never one whose words are all missing: here every passage counts as very similar."""
    from assistant.wiring import build_assistant, build_search_index
    from tests.conftest import indexed_folder

    settings = indexed_folder(tmp_path, {"gemeinderat-2024-03.md": MINUTES})
    settings = settings.model_copy(update={"answer": settings.answer.model_copy(update={"rescue_dense": 0.0})})
    assistant = build_assistant(settings, build_search_index(settings))
    assert assistant.ask("Was sagt der Hamburger Koalitionsvertrag zu den Bezirksämtern?").refused
    assert not assistant.ask("Wie hoch sind die Baukosten für den Kindergarten?").refused
