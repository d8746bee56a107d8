"""Versprechen-Übersicht: rule-based extraction, its labelled evaluation, the CLI, the chat route."""

from __future__ import annotations

import copy
import csv
import io
import json
import pickle
import subprocess
import sys

import pytest

from assistant.grounding import grounding_problems
from eval.promise_scoring import actor_matches, load_labels, score_promises
from index.model import Block, CleanDocument, DocumentMeta
from index.promises import ACHIEVED, PolicyAreas, Promise, count_at, extract_promises
from index.split import chunk_document
from index.store import StoredDocument
from index.stored_promises import StoredPromise, stored_promises
from tests.conftest import CORPUS, ROOT, cleaned_documents


def doc_of(blocks: list[Block], **meta) -> CleanDocument:
    return CleanDocument(DocumentMeta(doc_id="test", title="Test", date="2024-05-01", **meta), blocks)


def test_a_role_or_state_described_is_no_statement_of_intent():
    """„X soll Y sein“ with a noun as Y describes a role or a state; a goal with an adjective, a „dass“
    clause or an action stays a statement of intent."""
    doc = doc_of([Block("paragraph", "Ansprechpartnerin für alle Vereine soll künftig die Sportbeauftragte sein. "
                        "Die Stadt soll bis 2035 klimaneutral sein. Wir wollen, dass der Hafen ein Wohnquartier wird. "
                        "Wir wollen Vorreiter sein. Die Verwaltung soll einen Sportentwicklungsplan vorlegen.", "", "")],
                 speaker="Ratsfraktion")
    assert {p.statement for p in extract_promises(doc)} == {
        "Die Stadt soll bis 2035 klimaneutral sein.", "Wir wollen, dass der Hafen ein Wohnquartier wird.",
        "Die Verwaltung soll einen Sportentwicklungsplan vorlegen."}


def test_statements_of_a_new_city_document():
    """Rules work on text they were not written for: a Bochum council paper."""
    doc = doc_of([
        Block("heading", "Bessere Radwege", "Bessere Radwege", "Bessere Radwege"),
        Block("paragraph", "Der Radverkehr in Bochum wächst seit Jahren. Wir wollen das Radwegenetz bis 2030 "
              "schließen. Im letzten Jahr haben wir den Radentscheid umgesetzt.", "Bessere Radwege", "Bessere Radwege"),
        Block("paragraph", "Deshalb fordern wir:", "Bessere Radwege", "Bessere Radwege"),
        Block("item", "- sichere Abstellanlagen an allen Bahnhöfen", "Bessere Radwege", "Bessere Radwege"),
        Block("item", "- eine Prüfung von Fahrradstraßen in der Innenstadt", "Bessere Radwege", "Bessere Radwege"),
    ], speaker="SPD-Fraktion Bochum")
    found = extract_promises(doc)
    by_text = {p.statement: p for p in found}
    assert set(by_text) == {"Wir wollen das Radwegenetz bis 2030 schließen.",
                            "Im letzten Jahr haben wir den Radentscheid umgesetzt.",
                            "sichere Abstellanlagen an allen Bahnhöfen",
                            "eine Prüfung von Fahrradstraßen in der Innenstadt"}
    assert by_text["Im letzten Jahr haben wir den Radentscheid umgesetzt."].kind == ACHIEVED
    assert by_text["eine Prüfung von Fahrradstraßen in der Innenstadt"].kind == "Prüfauftrag"
    assert by_text["sichere Abstellanlagen an allen Bahnhöfen"].reason.startswith("Listenpunkt nach")
    assert all(p.actor == "SPD-Fraktion Bochum" and p.topic == "Mobilität" for p in found)
    for p in found:  # verbatim, with offsets into the cleaned text
        assert doc.text[p.start:p.end] == p.statement


def test_area_word_starts_found_through_the_trie_are_those_of_the_plain_alternation():
    """The trie of the areas' words finds the same places as one alternation of them (case ignored,
    words that are beginnings of others, shared beginnings, umlauts, a word standing alone)."""
    import re

    from index.promises import trie_pattern

    words = ["Verkehr", "Verkehrssicherheit", "verkehrswende", "Bus", "Busspur", "ÖPNV", "öffentlich", "Ordnung",
             "Ordnungsdienst", "KOD", "kod", "Müll", "m"]
    texts = ["Der ÖPNV, öffentliche Busse und die Busspur: Verkehrswende! VERKEHRSSICHERHEIT im Müll-Konzept.",
             "Ordnungsdienst und Ordnung; kodifiziert, Kodex, mkod Mensch", "", "Keine Treffer."]
    alternation = re.compile(r"(?<![\w])(?=(?:" + "|".join(re.escape(w) for w in words) + "))", re.IGNORECASE)
    trie = re.compile(r"(?<![\w])(?=" + trie_pattern(words) + ")", re.IGNORECASE)
    for text in texts:
        assert [m.start() for m in trie.finditer(text)] == [m.start() for m in alternation.finditer(text)], text
    assert trie_pattern(["ordnung", "ordnungsdienst", "ordnungspartner"]) == "ordnung(?:s(?:dienst|partner))?"


def test_area_words_are_counted_as_findall_counts_them():
    """Counting an area's words only where some area's word starts gives findall's counts, also where
    the words of two areas overlap or one area's word contains another's."""
    areas = PolicyAreas({"Mobilität": ["Verkehr", "öffentlicher Nahverkehr", "Nahverkehr", "Bus"],
                         "Sicherheit": ["Nahverkehr", "Verkehrssicherheit", "Sicherheit"]}, "Sonstiges")
    texts = ["Der öffentliche Nahverkehr und der öffentlicher Nahverkehr: Verkehrssicherheit, Busse, Bussicherheit.",
             "Keine Wörter hier.", "VERKEHR verkehr Verkehrs-Sicherheit Sicherheitsverkehr", ""]
    for text in texts:
        starts = [m.start() for m in areas.any_area.finditer(text)]
        for pattern in areas.patterns.values():
            assert count_at(pattern, text, starts) == len(pattern.findall(text)), (pattern.pattern, text)
    assert areas.topic("", texts[0]) == "Mobilität" and areas.topic("Sicherheit", texts[0]) == "Sicherheit"


def test_the_rules_find_on_lowered_text_what_they_find_ignoring_case():
    """`classify` searches its rules in lower-cased sentences: every rule matches there exactly where it
    matches the sentence with case ignored (every sentence of the corpus, in its own case and in
    capitals), and a pattern that depends on case is refused."""
    import re

    import index.promises as promises
    from index.promises import LOW, for_lowered
    from index.split import sentence_spans

    pairs = [(LOW.any_commitment, "ANY_COMMITMENT"), (LOW.any_achieved, "ANY_ACHIEVED"), (LOW.past_only, "PAST_ONLY"),
             (LOW.observation, "OBSERVATION"), (LOW.check, "CHECK"), (LOW.demand, "DEMAND"), (LOW.admin, "ADMIN"),
             (LOW.first_person, "FIRST_PERSON")]
    rules = [(low, getattr(promises, name)) for low, name in pairs]
    rules += [(low, p) for (_, low), (_, p) in zip(LOW.commitment_rules, promises.COMMITMENT_RULES)]
    rules += [(low, p) for (_, low), (_, p) in zip(LOW.achieved_rules, promises.ACHIEVED_RULES)]
    sentences = [doc.text[a:b] for doc in cleaned_documents().values() for a, b in sentence_spans(doc.text)]
    sentences += [s.upper() for s in sentences] + ["STRASSE UND Straße, „WIR WOLLEN“ – Wir haben’s GEPRÜFT."]
    assert len(sentences) > 500
    for low, pattern in rules:
        for sentence in sentences:
            assert bool(low.search(sentence.lower())) == bool(pattern.search(sentence)), (pattern.pattern, sentence)
    for case_dependent in (r"[A-ZÄÖÜ]\w+", r"\bWir\b", r"(?-i:x)"):
        with pytest.raises(ValueError):
            for_lowered(re.compile(case_dependent, re.IGNORECASE))
    with pytest.raises(ValueError):
        for_lowered(re.compile(r"\bwir\b"))  # not case-insensitive: nothing to translate


def test_a_loaded_index_reads_statements_from_the_document_text():
    """Stored statements hold no copy of their sentence: it is read from the (packed) document text,
    their section name from the chunks' spans, and everything else about them is what was extracted.
    A record whose sentence is not that slice, or whose section no chunk has, keeps its own text;
    copies become plain `Promise`s."""
    doc = doc_of([
        Block("heading", "Bessere Radwege", "Bessere Radwege", "Bessere Radwege"),
        Block("paragraph", "Wir wollen das Radwegenetz bis 2030 schließen. Der „Radentscheid“ gilt.",
              "Bessere Radwege", "Bessere Radwege"),
        Block("paragraph", "Deshalb fordern wir:", "Bessere Radwege", "Bessere Radwege"),
        Block("item", "- eine Prüfung von Fahrradstraßen in der Innenstadt", "Bessere Radwege", "Bessere Radwege"),
    ], speaker="SPD-Fraktion Bochum")
    found = extract_promises(doc)
    record = StoredDocument.of(doc.meta, doc.text, chunk_document(doc), [p.to_dict() for p in found])
    packed = record.packed()
    loaded = stored_promises(record, packed)
    assert [p.to_dict() for p in loaded] == [p.to_dict() for p in found] and len(found) == 2
    assert all(isinstance(p, StoredPromise) and p.document is packed for p in loaded)
    assert isinstance(packed.body, bytes) and not packed.promises
    copied = pickle.loads(pickle.dumps(loaded[0]))
    assert type(copied) is Promise and copied == found[0] and copy.deepcopy(loaded[1]) == found[1]
    followed = loaded[0].with_status("umgesetzt", ({"doc_id": "x", "quote": "fertig"},), "rule")
    assert type(followed) is Promise and followed.statement == found[0].statement and followed.status == "umgesetzt"

    other = StoredDocument.of(doc.meta, doc.text, [], [found[0].to_dict() | {"statement": "Anders gespeichert."}])
    kept = stored_promises(other)
    assert type(kept[0]) is Promise and kept[0].statement == "Anders gespeichert."
    elsewhere = StoredDocument.of(doc.meta, doc.text, chunk_document(doc), [found[0].to_dict() | {"section": "Anhang"}])
    kept = stored_promises(elsewhere, elsewhere.packed())
    assert type(kept[0]) is Promise and kept[0].section == "Anhang" and kept[0].statement == found[0].statement


def test_reported_speech_keeps_its_speaker_and_the_newsroom_is_no_actor():
    section = "Reaktionen"
    doc = doc_of([
        Block("paragraph", "Wir haben mit allen Fraktionen gesprochen.", section, section),
        Block("paragraph", "„Wir werden den Haushalt konsolidieren“, sagte Kämmerin Petra Lang.", section, section),
        Block("paragraph", "Die FDP wolle nun eine Sondersitzung beantragen.", section, section),
    ], publisher="Lokalzeitung", actors=(("Kämmerin Petra Lang", ("Lang", "Kämmerin")),))
    found = {p.statement: p for p in extract_promises(doc)}
    assert "Wir haben mit allen Fraktionen gesprochen." not in found  # the newspaper's "wir"
    assert found["„Wir werden den Haushalt konsolidieren“, sagte Kämmerin Petra Lang."].actor == "Kämmerin Petra Lang"
    assert found["Die FDP wolle nun eine Sondersitzung beantragen."].actor == "FDP"


def test_observations_questions_and_past_plans_are_not_promises():
    doc = doc_of([Block("paragraph", "Leider müssen wir feststellen, dass nichts passiert. Was will die Stadt tun? "
                        "Ursprünglich war geplant, die Halle zu sanieren.", "A", "A")], speaker="Rat")
    assert extract_promises(doc) == []


def test_labelled_set_is_consistent():
    labels = load_labels()
    assert len(labels) >= 80
    texts = {}
    for d in cleaned_documents(CORPUS).values():
        texts[d.meta.doc_id] = d.text
    areas = PolicyAreas.load().names
    for label in labels:
        assert texts[label.doc].count(label.text) == 1, label.text
        if label.commitment:
            assert label.actor and label.topic in areas, label
        assert not (label.commitment and label.achieved), label
    assert sum(l.commitment for l in labels) >= 30 and sum(not l.commitment for l in labels) >= 30
    assert sum(l.achieved for l in labels) >= 10


def test_actor_match_accepts_a_party_for_its_member_only():
    assert actor_matches("SPD (Jens Peick)", "SPD") and actor_matches("SPD", "SPD (Thomas Westphal)")
    assert not actor_matches("SPD (Jens Peick)", "SPD (Thomas Westphal)")
    assert not actor_matches("CDU", "Grüne und CDU (Projektpartnerschaft)")


@pytest.mark.model
def test_extraction_meets_thresholds_on_the_stored_index(real_index):
    result = score_promises(real_index.promises)
    assert result["promises_precision"] >= 0.95 and result["promises_recall"] >= 0.9
    assert result["promises_actor_accuracy"] >= 0.95 and result["promises_achieved_listed_as_promise"] == 0.0


@pytest.mark.model
def test_chat_answers_promise_questions_from_the_list(real_index, real_settings):
    from assistant.wiring import build_assistant

    assistant = build_assistant(real_settings, real_index)
    documents = {d: s.text for d, s in real_index.documents.items()}
    answer = assistant.ask("Was hat der OB versprochen?")
    assert answer.mode == "promises" and not answer.refused
    assert {s.doc_id for s in answer.sources} >= {"kalouti-erster-tag"}
    assert "**Sicherheit und Ordnung**" in answer.text and "**Wirtschaft und Arbeit**" in answer.text
    assert grounding_problems(answer, documents) == []
    klima = assistant.ask("Was wollen Grüne und CDU beim Klimaschutz?")
    assert klima.mode == "promises" and "Klimaneutralität bis 2035 ist unser Ziel." in klima.text
    assert all(s.doc_id == "projektpapier-2023" for s in klima.sources)
    assert "beschlossen und damit das Bad gerettet" not in assistant.ask("Was wollen Grüne und CDU?").text  # achieved
    specific = assistant.ask("Wie viele neue Bäume wollen Grüne und CDU pflanzen?")
    assert specific.mode != "promises" and "5.000" in specific.text


@pytest.mark.model
def test_cli_lists_filters_and_exports(real_settings, real_index):
    env = {"RATHAUS_DATA_DIR": str(real_settings.data_dir), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "cli", "promises", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    listed = run("--actor", "Kalouti", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert items and all("Kalouti" in i["actor"] and i["kind"] != ACHIEVED for i in items)
    assert {"actor", "topic", "kind", "statement", "doc_id", "section", "date", "reason"} <= set(items[0])
    csv_out = run("--topic", "Wohnen", "--csv")
    rows = list(csv.reader(io.StringIO(csv_out.stdout.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Akteur", "Thema", "Art", "Aussage"] and len(rows) > 1
    assert all(row[1] == "Wohnen" and len(row) == len(rows[0]) for row in rows[1:])
    achieved = json.loads(run("--kind", "erreicht", "--json").stdout)
    assert achieved and all(i["kind"] == ACHIEVED for i in achieved)
    bad = run("--doc", "gibt-es-nicht")
    assert bad.returncode != 0 and "gibt-es-nicht" in bad.stderr + bad.stdout


def test_new_policy_areas_re_extract_without_embedding(fake_settings, tmp_path):
    """Another city's policy-area file takes effect on the next ingest; nothing is embedded again."""
    from assistant.settings import load_settings
    from assistant.wiring import build_search_index, run_ingest

    first = run_ingest(fake_settings, progress=False)
    assert first.chunks_embedded > 0
    areas = tmp_path / "areas.yaml"
    areas.write_text("fallback: Allgemeines\nareas:\n  Bauen und Wohnen: [wohn, bau]\n", encoding="utf-8")
    settings = load_settings(data_dir=fake_settings.data_dir, corpus_dir=fake_settings.corpus_dir,
                             embedding={"mode": "fake"}, policy_areas_file=areas)
    again = run_ingest(settings, progress=False)
    assert again.chunks_embedded == 0 and len(again.updated) == 5
    topics = {p.topic for p in build_search_index(settings).promises}
    assert topics == {"Bauen und Wohnen", "Allgemeines"}
    assert run_ingest(settings, progress=False).unchanged  # stable afterwards


@pytest.mark.model
def test_cli_output_into_a_closed_pipe_is_no_error(real_settings, real_index):
    """`rathaus promises --json | head -1` must not end in a BrokenPipeError traceback."""
    env = {"RATHAUS_DATA_DIR": str(real_settings.data_dir), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen([sys.executable, "-m", "cli", "promises", "--json", "--all"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    assert process.stdout.readline().startswith("[")  # the JSON list is larger than a pipe buffer
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0 and "Traceback" not in stderr, stderr


@pytest.mark.model
def test_follow_through_shows_what_became_of_promises(real_index):
    """The Projektpapier's KOD and City-Management promises show a status with evidence from the later
    releases; promises no later document speaks of stay `offen`; no status is set without evidence."""
    promises = real_index.promises_with_status()
    kod = next(p for p in promises if p.statement.startswith("Wir werden die Weiterentwicklung des KOD fördern"))
    assert kod.status == "umgesetzt" and kod.evidence[0]["doc_id"] == "kod-sondereinsatz" and kod.status_rule
    assert kod.evidence[0]["quote"] in real_index.documents["kod-sondereinsatz"].text
    city = next(p for p in promises if p.statement.startswith("Konstruktiv begleiten werden wir das auf den Weg"))
    assert city.status == "in Arbeit" and city.evidence[0]["doc_id"] == "citymanagement"
    assert city.evidence[0]["date"] > city.date
    housing = next(p for p in promises if "Housing First" in p.statement)
    assert housing.status == "offen" and not housing.evidence
    assert all(p.evidence for p in promises if p.status != "offen")
    assert {p.status for p in promises} <= {"umgesetzt", "in Arbeit", "geändert/verworfen", "offen"}


@pytest.mark.model
def test_chat_answers_what_became_of_a_promise(real_index, real_settings):
    """„Was ist aus … geworden?“ is answered with the statement, its status and the later evidence, each
    cited verbatim; a promise no later document speaks of is said to be open; a matter no statement
    shares goes to normal retrieval."""
    from assistant.wiring import build_assistant

    assistant = build_assistant(real_settings, real_index)
    documents = {d: s.text for d, s in real_index.documents.items()}
    kod = assistant.ask("Was hat sich seit dem Projektpapier beim KOD getan?")
    assert kod.mode == "status" and "**umgesetzt**" in kod.text and "verstärkten Streifen" in kod.text
    assert [s.doc_id for s in kod.sources] == ["projektpapier-2023", "kod-sondereinsatz"]
    assert kod.ranked_docs[0] == "kod-sondereinsatz" and grounding_problems(kod, documents) == []
    city = assistant.ask("Was ist aus dem Versprechen geworden, das Citymanagement zu begleiten?")
    assert city.mode == "status" and "**in Arbeit**" in city.text and "citymanagement" in {s.doc_id for s in city.sources}
    klima = assistant.ask("Was ist aus dem Ziel der Klimaneutralität 2035 geworden?")
    assert klima.mode == "status" and "**offen**" in klima.text and {s.doc_id for s in klima.sources} == {"projektpapier-2023"}
    assert grounding_problems(klima, documents) == []
    assert assistant.ask("Was ist aus dem Hallenbad in Wickede geworden?").mode != "status"


def test_follow_through_rules_classify_sentences():
    from index.follow_through import classify

    assert classify("Die neue Stabsstelle wurde im Mai eingerichtet.")[0] == "umgesetzt"
    assert classify("Bis zu 45 Mitarbeitende sind täglich im Einsatz.")[0] == "umgesetzt"
    assert classify("Die Stabsstelle soll beim Amt für Stadterneuerung eingerichtet werden.")[0] == "in Arbeit"
    assert classify("In der Folge wurde das Verfahren gestoppt.")[0] == "geändert/verworfen"
    assert classify("Ursprünglich war geplant, eine Agentur zu beauftragen.") is None  # a past plan shows nothing
    assert classify("Der Rat tagt am Dienstag.") is None


def test_cli_filters_by_status(real_settings, real_index, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("RATHAUS_DATA_DIR", str(real_settings.data_dir))
    assert main(["promises", "--status", "umgesetzt", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items and all(i["status"] == "umgesetzt" and i["evidence"] for i in items)
    assert {"doc_id", "date", "section", "quote"} <= set(items[0]["evidence"][0])
    assert main(["promises", "--status", "offen", "--json"]) == 0
    assert all(i["status"] == "offen" and i["evidence"] == [] for i in json.loads(capsys.readouterr().out))


def test_status_question_scores_only_statements_in_the_best_passages(tmp_path, monkeypatch):
    """At archive scale a status question must not tokenize every statement: only those in the
    passages BM25 ranks highest for its terms are scored, and the right one is still found."""
    import assistant.promise_status as status_module
    from index.lexical import tokenize
    from tests.conftest import assistant_over

    files = {f"antrag-{i}.md": (f"# Antrag {i} der CDU-Fraktion\n\nDie CDU will den Spielplatz an der Schulstraße {i} "
                                f"erneuern.\n\nDie CDU fordert mehr Bänke im Park {i}.\n") for i in range(6)}
    files["fahrrad.md"] = "# Antrag der Grünen\n\nDie Grünen wollen eine Fahrradstraße am Wall einrichten.\n"
    assistant = assistant_over(tmp_path, files)
    monkeypatch.setattr(status_module, "CANDIDATE_PASSAGES", 2)
    tokenized = []
    monkeypatch.setattr(status_module, "tokenize", lambda text: tokenized.append(text) or tokenize(text))
    answer = assistant.ask("Was ist aus dem Antrag für die Fahrradstraße am Wall geworden?")  # „Antrag“: every passage
    assert answer.mode == "status" and "Fahrradstraße am Wall einrichten" in answer.text, answer.text
    others = [t for t in tokenized if "CDU" in t]
    assert len(assistant.index.promises) >= 13 and len(others) <= 2, others  # not all twelve CDU statements


def test_promise_index_positions_by_actor_area_and_document_extend_as_a_rebuild():
    """The positions a snapshot keeps of its statements: every actor (in order of first statement),
    the intentions (no achievements) by actor and area and by document; extended by new statements
    they equal a rebuild, and the earlier index stays as it was."""
    from index.promise_index import PromiseIndex

    def statement(doc_id: str, actor: str, kind: str = "Ziel/Vorhaben", topic: str = "Mobilität") -> Promise:
        return Promise(doc_id, actor, topic, kind, "Wir wollen Radwege.", "S", 0, 10, "2024-01-01", "r")

    first = [statement("a", "SPD"), statement("a", "CDU", ACHIEVED), statement("b", "SPD", topic="Klima")]
    more = first + [statement("c", "Grüne"), statement("c", "CDU"), statement("d", "SPD")]
    old = PromiseIndex.of(first)
    grown = PromiseIndex.of(more, old, len(first))
    rebuilt = PromiseIndex.of(more)

    def plain(index: PromiseIndex) -> tuple:
        return (index.actors, {a: {t: list(p) for t, p in areas.items()} for a, areas in index.intents.items()},
                {d: list(p) for d, p in index.intents_by_doc.items()})

    assert plain(grown) == plain(rebuilt)
    assert grown.actors == ("SPD", "CDU", "Grüne") and plain(grown)[2] == {"a": [0], "b": [2], "c": [3, 4], "d": [5]}
    assert {k: list(v) for k, v in grown.intents_of(["SPD", "CDU", "Niemand"]).items()} == {
        ("SPD", "Mobilität"): [0, 5], ("SPD", "Klima"): [2], ("CDU", "Mobilität"): [4]}
    assert list(grown.intents_of(["SPD"], "Klima")) == [("SPD", "Klima")]
    assert plain(old) == (("SPD", "CDU"), {"SPD": {"Mobilität": [0], "Klima": [2]}}, {"a": [0], "b": [2]})  # unchanged
