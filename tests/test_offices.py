"""Who holds which office, learned from the documents (index.offices), and questions that name an
office instead of a person („der neue OB“): unit tests on invented towns (fake embedder, no model)."""

from __future__ import annotations

import pytest

from index.model import Block, CleanDocument, DocumentMeta
from index.offices import Mention, OfficeHolders, office_mentions, office_of
from index.promises import extract_promises, people_named
from tests.conftest import assistant_over


@pytest.mark.parametrize("word,office", [
    ("Oberbürgermeisterin", "oberbürgermeister"), ("OB", "oberbürgermeister"), ("Landrätin", "landrat"), ("Stadtkämmerin", "stadtkämmerer"),
    ("NRW-Ministerpräsident", "ministerpräsident"), ("Fraktionsvorsitzender", "fraktionsvorsitzende"),
    ("Ordnungsdezernenten", "ordnungsdezernent"), ("Alt-Oberbürgermeister", "oberbürgermeister"),
    ("Stadt", ""), ("Mitarbeiter", ""), ("Kalouti", ""),
])
def test_office_words(word, office):
    assert office_of(word) == office


def mentions(text: str) -> list[tuple]:
    return [(m.office, m.name, m.former, m.current) for m in office_mentions(text)]


def test_offices_named_with_a_person_in_all_usual_positions():
    text = ("Oberbürgermeisterin Petra Beispiel eröffnete die Sitzung. Der Fraktionsvorsitzende der SPD, Jan Muster, "
            "widersprach. Karl Probe, der scheidende Kämmerer, legte den Haushalt vor. Mit Beispiel als OB "
            "beginnt eine neue Zeit. Der ehemalige Bürgermeister Otto Alt war zu Gast, ebenso Alt-OB Fritz Früher.")
    assert mentions(text) == [
        ("oberbürgermeister", "Petra Beispiel", False, False),
        ("fraktionsvorsitzende", "Jan Muster", False, False),
        ("kämmerer", "Karl Probe", True, False),
        ("oberbürgermeister", "Beispiel", False, False),
        ("bürgermeister", "Otto Alt", True, False),
        ("oberbürgermeister", "Fritz Früher", True, False),
    ]


def test_nouns_and_line_breaks_are_not_names():
    # „Gemeinde“ follows an article elsewhere: a noun, not a first name; a heading's office and the
    # next line's name are two things
    text = "Lars Brügner, Bürgermeister Gemeinde Vörstetten\nBericht der Gemeinde\nDie Grünen und der neue OB\nHanna Roth sprach."
    assert mentions(text) == [("bürgermeister", "Lars Brügner", False, False)]


def test_the_current_holder_is_the_one_not_called_former_and_named_latest():
    holders = OfficeHolders([
        ("2020-05-01", [Mention("oberbürgermeister", "Otto Alt")]),
        ("2025-09-29", [Mention("oberbürgermeister", "Otto Alt", former=True), Mention("oberbürgermeister", "Petra Beispiel")]),
        ("2025-11-07", [Mention("oberbürgermeister", "Beispiel"), Mention("oberbürgermeister", "Alt")]),  # a look back
        ("2025-11-07", [Mention("oberbürgermeister", "Fragen")]),  # „dem Oberbürgermeister Fragen stellen“
    ])
    assert [h.name for h in holders.holders("oberbürgermeister")] == ["Petra Beispiel", "Otto Alt"]
    assert [h.name for h in holders.holders("oberbürgermeister", "current")] == ["Petra Beispiel"]
    assert [h.name for h in holders.holders("oberbürgermeister", "former")] == ["Otto Alt"]
    assert holders.holders("bürgermeister")[0].name == "Petra Beispiel"  # „Bürgermeister“ covers the Ober-
    assert holders.holders("landrat") == []


def test_the_place_of_an_office_is_kept():
    text = "Vortrag: Lars Brügner, Bürgermeister Gemeinde Vörstetten\nDie Bürgermeisterin der Stadt Viersen, Sabine Muster, sprach."
    assert [(m.name, m.place) for m in office_mentions(text)] == [("Lars Brügner", "Vörstetten"), ("Sabine Muster", "Viersen")]
    holders = OfficeHolders([("2015-10-22", office_mentions(text))])
    assert [h.name for h in holders.holders("bürgermeister", place="Heuweiler")] == []
    assert [h.name for h in holders.holders("bürgermeister", place="Viersen")] == ["Sabine Muster"]


def test_a_holder_called_new_again_is_current_again():
    holders = OfficeHolders([
        ("2015-01-01", [Mention("landrat", "Eva Zweimal", former=True)]),
        ("2021-01-01", [Mention("landrat", "Eva Zweimal", current=True), Mention("landrat", "Udo Dazwischen", former=True)]),
    ])
    assert [h.name for h in holders.holders("landrat", "current")] == ["Eva Zweimal"]


ELECTION = """# Petra Beispiel gewinnt die Stichwahl in Musterstadt

Am Sonntag hat Petra Beispiel die Stichwahl gewonnen. Der scheidende Oberbürgermeister Otto Alt gratulierte.
Kritiker warfen dem Oberbürgermeister vor, den Radverkehr vernachlässigt zu haben.
Oberbürgermeisterin Petra Beispiel tritt ihr Amt am 1. November an.
"""
FIRST_DAY = """# Erster Tag im Rathaus

Petra Beispiel bezog heute ihre Amtsräume. „Ich freue mich auf die Arbeit“, sagte Petra Beispiel. Beispiel kündigte an, für den Radverkehr das Radwegenetz bis 2030 zu verdoppeln.
Sie traf am Morgen die Beschäftigten des Bürgeramts.
"""
HISTORY = """# Rückblick

Otto Alt ließ 2019 das Hallenbad sanieren. Alt eröffnete das Bad im Sommer.
Die Kämmerin legte dafür einen Nachtragshaushalt vor.
"""


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    files = {"wahl.md": f"---\ndate: 2025-09-29\n---\n{ELECTION}", "erster-tag.md": f"---\ndate: 2025-11-03\n---\n{FIRST_DAY}",
             "rueckblick.md": f"---\ndate: 2025-10-15\n---\n{HISTORY}"}
    return assistant_over(tmp_path_factory.mktemp("town"), files)


def test_a_question_about_the_new_mayor_finds_her_by_name(town):
    # the first-day document never calls her Oberbürgermeisterin: the other one says who holds the office
    answer = town.ask("Was will die neue Oberbürgermeisterin für den Radverkehr tun?")
    assert not answer.refused and "Radwegenetz" in answer.text
    assert answer.sources[0].doc_id == "erster-tag"


def test_the_former_holder_is_found_for_the_former_office(town):
    answer = town.ask("Was hat der frühere Oberbürgermeister saniert?")
    assert "Hallenbad" in answer.text and answer.sources[0].doc_id == "rueckblick"


def test_people_speaking_are_actors_without_a_manifest():
    text = ("„Wir bauen die Schule“, sagte Petra Beispiel. Kämmerer Karl Probe erklärte, man werde sparen. "
            "Beispiel kündigte an, die Steuern zu senken. Der Rat sagte nichts.")
    assert people_named(text) == [("Karl Probe", ("Karl Probe", "Probe")), ("Petra Beispiel", ("Petra Beispiel", "Beispiel"))]
    doc = CleanDocument(DocumentMeta(doc_id="x", title="Bericht"), [Block("paragraph", text, "", "")])
    assert {p.actor for p in extract_promises(doc)} >= {"Petra Beispiel"}


def test_promises_of_an_office_holder_without_a_manifest(town):
    # nobody in the manifest: the speaker of the first-day document is found in it, and „die neue
    # Oberbürgermeisterin“ is that speaker by the election report
    answer = town.ask("Was hat die neue Oberbürgermeisterin versprochen?")
    assert answer.mode == "promises" and "Petra Beispiel" in answer.text and "Radwegenetz" in answer.text


def test_an_office_of_another_place_or_without_article_is_no_person(town):
    plan = town.analyzer.analyze("Was hat der Kölner Oberbürgermeister gesagt?")
    assert "Beispiel" not in plan.lexical_query
    plan = town.analyzer.analyze("Wie lange hatte Musterstadt keine Oberbürgermeisterin?")
    assert "Beispiel" not in plan.lexical_query
    assert "Beispiel" in town.analyzer.analyze("Was sagt die Oberbürgermeisterin?").lexical_query
    assert "Beispiel" not in town.analyzer.analyze("Was sagt die Oberbürgermeisterin Beispiel?").lexical_query.split("?")[1]


def test_a_question_for_an_office_nobody_is_named_in_is_refused(town):
    # „die Bürgermeisterin“ without a name, or no Kämmerer at all: the documents do not say who it is
    answer = town.ask("Wer ist die Kämmerin von Musterstadt?")
    assert answer.refused and "niemanden" in answer.text
    answer = town.ask("Wie heißt die Oberbürgermeisterin?")  # the sentence naming office and holder together
    assert not answer.refused and "Oberbürgermeisterin Petra Beispiel" in answer.text, answer.text
