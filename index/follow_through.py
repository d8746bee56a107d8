"""What became of each statement of intent: evidence in documents dated after it.

For every promise, hybrid retrieval (dense and BM25) restricted to documents dated after it finds
the passages about the same matter: close in meaning (cosine ≥ `MIN_DENSE`), and only sentences that
name one of the promise's distinctive nouns („KOD“, „Citymanagement“; not „Stadt“) count. Each such
sentence is classified by explainable rules:

- `umgesetzt`: done, decided or started („wurde eingerichtet“, „hat beschlossen“, „ist gestartet“,
  „sind … im Einsatz“);
- `in Arbeit`: planned, being prepared, proposed („soll … eingerichtet werden“, „schlägt … vor“);
- `geändert/verworfen`: dropped, stopped or replaced („wurde gestoppt“, „verworfen“);

the newest document with evidence decides. A promise with no such sentence stays `offen`; no status
is ever set without its evidence (document, date, section, verbatim quote) and the rule that matched.
"""

from __future__ import annotations

import re

from index.lexical import tokenize
from index.promises import Promise
from index.retrieve import Filters
from index.split import sentence_spans

OPEN, DONE, WORKING, CHANGED = "offen", "umgesetzt", "in Arbeit", "geändert/verworfen"
STATUSES = (DONE, WORKING, CHANGED, OPEN)
RULES: list[tuple[str, str, re.Pattern]] = [(status, why, re.compile(p, re.IGNORECASE)) for status, why, p in [
    (CHANGED, "„gestoppt/verworfen/aufgegeben“", r"\b(?:gestoppt|verworfen|aufgegeben|eingestellt|gestrichen|"
                                                r"zurückgezogen|abgesagt|nicht\s+(?:mehr\s+)?weiterverfolgt)\b"),
    (WORKING, "„soll/sollen … werden“", r"\bsoll(?:en|te|ten)?\b.{0,120}\bwerden\b"),
    (WORKING, "„geplant/vorgesehen/in Vorbereitung“", r"(?<!war )(?<!waren )\b(?:geplant|vorgesehen|in\s+vorbereitung|in\s+arbeit|wird\s+"
                                                      r"(?:derzeit\s+|aktuell\s+)?(?:vorbereitet|erarbeitet|geprüft))\b"),
    (WORKING, "„schlägt … vor“", r"\bschläg\w*\b.{0,80}\bvor\b|\bvorgeschlagen\b"),
    (DONE, "„wurde eingerichtet/beschlossen/gestartet …“",
     r"\b(?:wurde|wurden|ist|sind|hat|haben)\b.{0,80}\b(?:eingerichtet|eröffnet|gestartet|beschlossen|umgesetzt|"
     r"eingeführt|fertiggestellt|abgeschlossen|besetzt|gegründet|eingestellt\s+worden|ausgebaut|verstärkt|aufgestockt)\b"),
    (DONE, "„… im Einsatz / unterwegs“", r"\b(?:sind|ist|waren)\b.{0,80}\b(?:im\s+einsatz|unterwegs|in\s+betrieb)\b"),
    (DONE, "„übernimmt / nimmt … in die Hand“", r"\bübernimmt\b|\bnimmt\b.{0,60}\bin\s+die\s+hand\b"),
]]
MIN_DENSE = 0.83  # a later passage must be about the same matter (cosine of the bundled e5 embedder)
MAX_EVIDENCE = 3
TOP_K = 10


def classify(sentence: str) -> tuple[str, str] | None:
    """The status a later sentence shows, and the rule; None when it shows none."""
    for status, why, pattern in RULES:
        if pattern.search(sentence):
            return status, why
    return None


# Where something happens, and which part of the administration handles it, is the frame of a
# municipal statement, not its matter: „die Innenstadt beleben“ and „KOD-Streifen in der Innenstadt“
# are different matters, and so are „Reibungsverluste zwischen Ämtern vermeiden“ and „eine Stabsstelle
# im Amt für Stadterneuerung“.
PLACE_FRAMES = frozenset(tokenize("Stadt Städte City Innenstadt Stadtteil Stadtteile Stadtbezirk Quartier Ort Orte Gemeinde "
                                  "Ortsteil Zentrum Zentren Stadtgebiet Raum"))
ADMINISTRATION_FRAMES = frozenset(tokenize("Amt Ämter Fachbereich Fachbereiche Dezernat Verwaltung Stadtverwaltung Behörde "
                                           "Einheit Stelle Abteilung Team Projekt Projekte Thema Themen Bereich Anfang"))


def distinctive(statement: str, index) -> set[str]:
    """The statement's nouns and names that are not everywhere in the corpus („KOD“, not „Stadt“)
    and are not a place or administration frame."""
    words = re.findall(r"\b[A-ZÄÖÜ][\wäöüß-]{1,}", statement)
    limit = max(3, index.n_chunks // 5)
    return {s for w in words for s in tokenize(w) if 0 < index.doc_freq(s) <= limit} - PLACE_FRAMES - ADMINISTRATION_FRAMES


def evidence_for(promise: Promise, index) -> list[tuple]:
    """Classified sentences of later documents about the promise's matter: (date, status, rule, sentence, chunk)."""
    later = tuple(d for d, doc in index.documents.items()
                  if d != promise.doc_id and doc.meta.date and doc.meta.date > promise.date)
    terms = distinctive(promise.statement, index)
    if not later or not terms:
        return []
    found = []
    for hit in index.search(promise.statement, k=TOP_K, filters=Filters(doc_ids=later)):
        if hit.dense < MIN_DENSE:
            continue
        for a, b in sentence_spans(hit.chunk.text):
            sentence = hit.chunk.text[a:b].strip()
            status = classify(sentence)
            if status and terms & set(tokenize(sentence)):  # the sentence itself names the matter
                found.append((hit.meta.date, *status, sentence, hit.chunk))
    return found


def with_follow_through(promises: list[Promise], index) -> list[Promise]:
    """The promises with `status`, `evidence` and `status_rule` set from later documents (the newest
    document with evidence decides; statements already achieved or undated are left as they are)."""
    out = []
    for promise in promises:
        found = evidence_for(promise, index) if promise.kind != "erreicht" and promise.date else []
        if not found:
            out.append(promise)
            continue
        newest = max(f[0] for f in found)
        latest = sorted((f for f in found if f[0] == newest), key=lambda f: STATUSES.index(f[1]))
        status, rule = latest[0][1], latest[0][2]
        seen, evidence = set(), []
        for date, st, _, sentence, chunk in latest:
            if st == status and sentence not in seen and len(evidence) < MAX_EVIDENCE:
                seen.add(sentence)
                evidence.append({"doc_id": chunk.doc_id, "date": date, "section": chunk.section_path, "quote": sentence})
        out.append(promise.with_status(status, tuple(evidence), rule))
    return out
