"""The segmented BM25 index: a segmented index ranks exactly as a full rebuild, and as bm25s."""

from __future__ import annotations

import random

import bm25s
import numpy as np

from index.bm25 import LexicalIndex
from index.lexical import surface_words, tokenize

SENTENCES = [
    "Der Rat beschließt den Haushalt 2025 mit großer Mehrheit.",
    "Die Stadt plant eine Fahrradstraße am Wall und mehr Busse in der Nordstadt.",
    "Der Kommunale Ordnungsdienst ist mit zusätzlichen Kräften im Einsatz.",
    "Grüne und CDU wollen den ÖPNV ausbauen und die Innenstadt beleben.",
    "Die Bezirksvertretung fordert eine Ampel an der Schulstraße.",
    "Das City-Management übernimmt die Geschäftsführung des Verfügungsfonds.",
    "Die Verwaltung prüft die Sanierung des Hallenbads bis Ende 2026.",
    "Der Oberbürgermeister dankt den Beschäftigten für ihren Einsatz.",
]
QUERIES = ["Haushalt Mehrheit", "Fahrradstraße Wall", "Ordnungsdienst Einsatz Kräfte", "ÖPNV Innenstadt",
           "Ampel Schulstraße Bezirksvertretung", "Verfügungsfonds", "Sanierung Hallenbad 2026", "Einsatz Einsatz Rat"]


def corpus(n: int, seed: int = 3) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 4))) for _ in range(n)]
    return [f"c{i:04d}" for i in range(n)], [tokenize(t) for t in texts]


def ranking(index: LexicalIndex, query: str, k: int = 50) -> list[tuple[str, float]]:
    return [(cid, round(score, 5)) for cid, score in index.search(query, k)]


def test_segments_rank_exactly_as_a_full_rebuild():
    ids, terms = corpus(300)
    full = LexicalIndex.from_terms(ids, terms)
    # built as an archive grows: a main segment, then deltas; some documents changed, some removed
    seg = LexicalIndex.from_terms(ids[:200], terms[:200])
    seg = seg.with_changes(set(), ids[200:260], terms[200:260])
    seg = seg.with_changes({"c0005", "c0100"}, ids[260:], terms[260:])  # two removed …
    seg = seg.with_changes(set(), ["c0005"], [terms[5]])  # … one of them comes back
    rebuilt = LexicalIndex.from_terms([i for i in ids if i != "c0100"], [t for i, t in zip(ids, terms) if i != "c0100"])
    assert len(seg.segments) == 4 and seg.n_live == rebuilt.n_live == 299
    for query in QUERIES:
        assert ranking(seg, query) == ranking(rebuilt, query), query
        assert "c0100" not in dict(ranking(seg, query, 300))
    assert ranking(seg.merged(), QUERIES[0]) == ranking(rebuilt, QUERIES[0])
    for term in tokenize("Einsatz Haushalt Ampel"):
        assert seg.doc_freq(term) == rebuilt.doc_freq(term)
    assert full.n_live == 300 and ranking(full, QUERIES[5]) != ranking(rebuilt, QUERIES[5])  # the removed row counts


def test_scores_match_bm25s():
    ids, terms = corpus(120, seed=9)
    ours = LexicalIndex.from_terms(ids, terms)
    reference = bm25s.BM25()
    reference.index(terms, show_progress=False)
    for query in QUERIES:
        q = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores(q)
        assert np.allclose(ours.scores(tokenize(query)), expected, rtol=1e-5, atol=1e-6), query


def test_too_many_segments_are_merged_and_saved_index_loads(tmp_path):
    ids, terms = corpus(90)
    index = LexicalIndex.from_terms(ids[:10], terms[:10])
    for start in range(10, 90, 10):
        index = index.with_changes(set(), ids[start:start + 10], terms[start:start + 10],
                                   set(surface_words(" ".join(terms[start]))))
    assert len(index.segments) == 1 and index.n_live == 90  # the ninth segment merged them
    index.save(tmp_path / "bm25", {"stamp": "s1"})
    loaded, manifest = LexicalIndex.load(tmp_path / "bm25")
    assert manifest["stamp"] == "s1" and loaded.n_live == 90
    assert ranking(loaded, QUERIES[1]) == ranking(index, QUERIES[1])
    next((tmp_path / "bm25").glob("*.npz")).write_bytes(b"kaputt")
    assert LexicalIndex.load(tmp_path / "bm25") is None


def test_shortcuts_of_the_tokenizer_give_what_the_plain_definitions_give():
    """`normalise_gender` runs its pattern only where the cheap hint finds a possible gender form, and
    `terms_and_words` normalises once for terms and surface words: on random text made of the
    characters that matter (markers, capital I, hyphens, stop words, abbreviations) both give exactly
    what the full pattern and `tokenize` / `surface_words` separately give."""
    from index.lexical import GENDER_FORM, normalise_gender, terms_and_words

    rng = random.Random(11)
    pieces = ["Bürger", "innen", "Innen", "In", "in", "*", ":", "_", "/", "-", " ", "I", "e", "ß", "OB", "und",
              "Rat", "Anwält", "ä", "\n", "2025", "+", "Kita", "Ärzt", "der"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        assert normalise_gender(text) == GENDER_FORM.sub(r"\1", text), text
        assert terms_and_words(text) == (tokenize(text), surface_words(text)), text
    assert tokenize("Die Bürger*innen und der OB-Kandidat") == tokenize("Die Bürger und der OB-Kandidat")
