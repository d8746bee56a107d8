"""Ingest into a real Chroma: incremental, no embedding when unchanged, edits and removals."""

from __future__ import annotations

import shutil

import pytest

from assistant.settings import load_settings
from assistant.wiring import build_embedder, build_search_index, run_ingest
from index.errors import IndexMissing, IndexOutOfDate
from tests.conftest import CORPUS


@pytest.mark.model
def test_real_embedder_ingest_reingest_edit_remove(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("kalouti-erster-tag.txt", "citymanagement.txt", "documents.yaml"):
        shutil.copy(CORPUS / name, corpus / name)
    settings = load_settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    embedder = build_embedder(settings)

    first = run_ingest(settings, embedder=embedder, progress=False)
    assert sorted(first.added) == ["citymanagement", "kalouti-erster-tag"] and first.chunks_embedded > 0
    assert "kod-sondereinsatz.txt" not in str(first.skipped)

    before = embedder.passages_embedded
    again = run_ingest(settings, embedder=embedder, progress=False)
    assert embedder.passages_embedded == before, "re-ingest of an unchanged corpus must not embed anything"
    assert sorted(again.unchanged) == ["citymanagement", "kalouti-erster-tag"] and not again.changed

    path = corpus / "kalouti-erster-tag.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("1968 in Beirut", "1968 in Damaskus"), encoding="utf-8")
    edited = run_ingest(settings, embedder=embedder, progress=False)
    assert edited.updated == ["kalouti-erster-tag"]
    assert 0 < edited.chunks_embedded < first.chunks_embedded  # only the changed chunk is embedded
    index = build_search_index(settings, embedder)
    texts = " ".join(c.text for c in index.chunks.values())
    assert "Damaskus" in texts and "Beirut" not in texts
    assert index.search("Wo wurde Kalouti geboren?", k=1)[0].chunk.section == "Vita"

    (corpus / "citymanagement.txt").unlink()
    removed = run_ingest(settings, embedder=embedder, progress=False)
    assert removed.removed == ["citymanagement"]
    index = build_search_index(settings, embedder)
    assert {c.doc_id for c in index.chunks.values()} == {"kalouti-erster-tag"}
    assert index.store.chunks().count() == len(index.chunks)


def test_unreadable_files_are_skipped_and_the_rest_indexed(fake_settings, corpus_copy):
    (corpus_copy / "leer.txt").write_bytes(b"")
    (corpus_copy / "bild.txt").write_bytes(bytes(range(256)) * 10)
    (corpus_copy / "notiz.docx").write_bytes(b"PK\x03\x04")
    (corpus_copy / "tabelle.xlsx").write_bytes(b"PK\x03\x04")
    (corpus_copy / "vorlage-alt.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    report = run_ingest(fake_settings, progress=False)
    reasons = dict((p.rsplit("/", 1)[-1], r) for p, r in report.skipped)
    assert set(reasons) == {"leer.txt", "bild.txt", "notiz.docx", "tabelle.xlsx", "vorlage-alt.doc"}
    assert "leer" in reasons["leer.txt"] and "binär" in reasons["bild.txt"] and "Office-Datei" in reasons["notiz.docx"]
    assert "nicht unterstützt" in reasons["tabelle.xlsx"]
    assert "altes Word-Format" in reasons["vorlage-alt.doc"] and ".docx" in reasons["vorlage-alt.doc"]
    assert len(report.added) == 5


def test_a_file_that_becomes_unreadable_keeps_its_previous_version(fake_settings, corpus_copy):
    run_ingest(fake_settings, progress=False)
    (corpus_copy / "citymanagement.txt").write_bytes(b"\x00\x01binary")
    report = run_ingest(fake_settings, progress=False)
    assert report.removed == [] and report.skipped
    assert "citymanagement" in build_search_index(fake_settings).documents


def test_missing_index_and_model_mismatch_are_clear_errors(fake_settings):
    with pytest.raises(IndexMissing):
        build_search_index(fake_settings)
    run_ingest(fake_settings, progress=False)
    other = load_settings(data_dir=fake_settings.data_dir, corpus_dir=fake_settings.corpus_dir)
    with pytest.raises(IndexOutOfDate, match="rebuild"):
        build_search_index(other)


def test_lexical_index_is_saved_and_reused(fake_settings):
    run_ingest(fake_settings, progress=False)
    assert (fake_settings.data_dir / "bm25" / "ids.json").exists()
    index = build_search_index(fake_settings)
    assert index.lexical.ids and len(index.lexical.ids) == len(index.chunks)


def test_a_load_packs_records_page_by_page_and_keeps_what_a_whole_read_gives(fake_settings, monkeypatch):
    """Records are made into what the index holds a page at a time (`each`), in the order of a whole read;
    the loaded statements read their sentences from the packed texts and equal the stored ones."""
    import index.store

    run_ingest(fake_settings, progress=False)
    store = build_search_index(fake_settings).store
    whole = store.all_documents()
    pages: list[int] = []
    monkeypatch.setattr(index.store, "PAGE", 2)
    made = store.all_documents(each=lambda d: (pages.append(len(pages)), d.packed())[1])
    assert [d.meta.doc_id for d in made] == [d.meta.doc_id for d in whole] and len(pages) == len(whole) > 2
    assert [d.text for d in made] == [d.text for d in whole] and all(isinstance(d.body, bytes) for d in made)
    loaded = build_search_index(fake_settings).promises
    assert [p.to_dict() | {"evidence": list(p.evidence)} for p in loaded] == [p for d in whole for p in d.promises] and loaded


def test_filters_restrict_results(fake_settings):
    from index.retrieve import Filters

    run_ingest(fake_settings, progress=False)
    index = build_search_index(fake_settings)
    hits = index.search("Kalouti Ordnung Sauberkeit", k=10, filters=Filters(doc_types=("Projektpapier",)))
    assert hits and {h.chunk.doc_id for h in hits} == {"projektpapier-2023"}
    hits = index.search("Kalouti", k=10, filters=Filters(doc_ids=("kod-sondereinsatz", "citymanagement")))
    assert {h.chunk.doc_id for h in hits} <= {"kod-sondereinsatz", "citymanagement"}
    hits = index.search("Wahl", k=10, filters=Filters(publishers=("Nordstadtblogger",)))
    assert {h.chunk.doc_id for h in hits} == {"ob-wahl-reaktionen"}


def test_a_reader_refreshes_incrementally_after_another_process_ingests(fake_settings, corpus_copy, tmp_path):
    """A serving process (its own BM25 folder, as on another machine) picks up a new document by its
    version stamp, fetching and tokenizing only the new chunks."""
    from index.retrieve import SearchIndex

    (corpus_copy / "citymanagement.txt").rename(tmp_path / "citymanagement.txt")
    run_ingest(fake_settings, progress=False)
    embedder = build_embedder(fake_settings)
    reader = build_search_index(fake_settings, embedder)
    reader = SearchIndex(reader.store, embedder, tmp_path / "reader", refresh_seconds=0)
    before = len(reader.chunks)
    assert reader.search("Verfügungsfonds Jury") and "citymanagement" not in reader.documents

    (tmp_path / "citymanagement.txt").rename(corpus_copy / "citymanagement.txt")
    report = run_ingest(fake_settings, progress=False)
    assert report.added == ["citymanagement"]
    assert reader.refresh_if_changed(wait=True)  # in the background; `wait` for the test
    hits = reader.search("Wer entscheidet über den Verfügungsfonds? Jury")
    new = len(reader.chunks) - before
    assert "citymanagement" in reader.documents and hits[0].chunk.doc_id == "citymanagement"
    assert reader.refresh_stats == {"fetched": new, "tokenized": new, "chunks": before + new, "removed_documents": 0}
    assert len(reader.lexical.segments) == 2  # the new document is a delta segment, nothing re-indexed


def test_searches_during_a_refresh_see_one_consistent_snapshot(fake_settings, corpus_copy, tmp_path):
    """Bug guard: filtered searches in other threads while one thread reloads the index must never mix
    two versions (BM25 rows of one, documents of the other)."""
    import threading

    from index.retrieve import Filters, SearchIndex

    (corpus_copy / "citymanagement.txt").rename(tmp_path / "citymanagement.txt")
    run_ingest(fake_settings, progress=False)
    embedder = build_embedder(fake_settings)
    reader = SearchIndex(build_search_index(fake_settings, embedder).store, embedder, tmp_path / "r", refresh_seconds=0)
    errors, stop = [], threading.Event()

    def searching():
        while not stop.is_set():
            try:
                reader.search("Verfügungsfonds Jury Innenstadt", filters=Filters(doc_types=("Pressemitteilung",)))
            except Exception as exc:  # any failure is the bug
                errors.append(exc)

    threads = [threading.Thread(target=searching) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(2):
            (tmp_path / "citymanagement.txt").rename(corpus_copy / "citymanagement.txt")
            run_ingest(fake_settings, progress=False)
            reader.search("Jury")
            (corpus_copy / "citymanagement.txt").rename(tmp_path / "citymanagement.txt")
            run_ingest(fake_settings, progress=False)
            reader.search("Jury")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert "citymanagement" not in reader.documents


def test_search_and_answer_during_a_refresh_use_the_previous_snapshot(fake_settings, corpus_copy, tmp_path):
    """The refresh runs in the background: while it is held up (here: fetching the new chunks blocks),
    searches and answers are served at once from the previous snapshot; then the new one is swapped in."""
    import threading

    from assistant.wiring import build_assistant
    from index.retrieve import SearchIndex

    (corpus_copy / "citymanagement.txt").rename(tmp_path / "citymanagement.txt")
    run_ingest(fake_settings, progress=False)
    embedder = build_embedder(fake_settings)
    reader = SearchIndex(build_search_index(fake_settings, embedder).store, embedder, tmp_path / "r", refresh_seconds=0)
    assistant = build_assistant(fake_settings, reader)
    old_version = reader.version
    release, fetching = threading.Event(), threading.Event()
    fetch = reader.store.documents_since

    def held_up(seq, **kwargs):
        fetching.set()
        release.wait(30)
        return fetch(seq, **kwargs)

    reader.store.documents_since = held_up
    (tmp_path / "citymanagement.txt").rename(corpus_copy / "citymanagement.txt")
    run_ingest(fake_settings, progress=False)
    assert reader.refresh_if_changed() and fetching.wait(30)  # the refresh is running, and stuck
    hits = reader.search("Wer entscheidet über den Verfügungsfonds? Jury")
    answer = assistant.ask("Wer entscheidet über den Verfügungsfonds?")
    assert reader.version == old_version and "citymanagement" not in reader.documents
    assert all(h.chunk.doc_id != "citymanagement" for h in hits) and "citymanagement" not in answer.ranked_docs
    release.set()
    reader.wait_for_refresh(30)
    assert reader.version != old_version and "citymanagement" in reader.documents
    assert reader.search("Wer entscheidet über den Verfügungsfonds? Jury")[0].chunk.doc_id == "citymanagement"


def test_incremental_refresh_equals_a_fresh_load(fake_settings, corpus_copy, tmp_path):
    """After documents are changed, removed and added, a refreshed reader holds what a fresh load holds:
    chunks, sections, statements of intent, BM25 rankings and the document of every live BM25 row."""
    from index.retrieve import SearchIndex

    run_ingest(fake_settings, progress=False)
    embedder = build_embedder(fake_settings)
    store = build_search_index(fake_settings, embedder).store
    reader = SearchIndex(store, embedder, tmp_path / "r", refresh_seconds=0)
    changed = corpus_copy / "kod-sondereinsatz.txt"
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("45 Mitarbeitende", "45 Mitarbeitende (wir wollen die Streifen im Kreuzviertel "
                                    "ausweiten)", 1), encoding="utf-8")
    (corpus_copy / "citymanagement.txt").unlink()
    (corpus_copy / "neu.md").write_text("# Neue Vorlage\n\nDie Stadt plant eine Fahrradstraße am Wall.\n", encoding="utf-8")
    report = run_ingest(fake_settings, progress=False)
    assert report.updated == ["kod-sondereinsatz"] and report.removed == ["citymanagement"] and report.added == ["neu"]
    assert reader.refresh_if_changed(wait=True)
    fresh = SearchIndex(store, embedder, tmp_path / "f")
    a, b = reader._snap, fresh._snap
    assert set(a.chunks) == set(b.chunks) and set(a.documents) == set(b.documents)
    assert all(a.chunks[cid] == b.chunks[cid] for cid in b.chunks)
    assert all([c.chunk_id for c in a.chunks.section(chunk)] == [c.chunk_id for c in b.chunks.section(chunk)]
               for chunk in b.chunks.values())
    assert sorted(p.statement for p in a.promises) == sorted(p.statement for p in b.promises)
    assert any("Kreuzviertel" in p.statement for p in a.promises)
    for query in ("Streifen Kreuzviertel", "Fahrradstraße Wall", "Verfügungsfonds Jury", "Kalouti Beirut"):
        assert a.lexical.search(query, 20) == b.lexical.search(query, 20), query
    rows = {cid: doc for cid, doc in zip(a.lexical.ids, a.doc_of_row) if doc}
    assert rows == {cid: c.doc_id for cid, c in a.chunks.items()}
    # then a document only added (the refresh's shortcuts: nothing removed, no office named before)
    (corpus_copy / "dazu.md").write_text("# Antrag der CDU\n\nDie CDU will den Spielplatz am Wall erneuern. "
                                         "Oberbürgermeisterin Petra Beispiel begrüßt das.\n", encoding="utf-8")
    assert run_ingest(fake_settings, progress=False).added == ["dazu"]
    assert reader.refresh_if_changed(wait=True)
    a, b = reader._snap, SearchIndex(store, embedder, tmp_path / "g")._snap
    assert set(a.chunks) == set(b.chunks) and set(a.documents) == set(b.documents)
    assert sorted(p.statement for p in a.promises) == sorted(p.statement for p in b.promises)
    assert set(a.promise_index.actors) == set(b.promise_index.actors) and "CDU" in a.promise_index.actors

    def intents(snap) -> dict:  # the statements by actor and area and by document (positions differ)
        index = snap.promise_index
        return ({(actor, area): sorted(snap.promises[i].statement for i in found)
                 for actor, areas in index.intents.items() for area, found in areas.items()},
                {doc: sorted(snap.promises[i].statement for i in found) for doc, found in index.intents_by_doc.items()})

    assert intents(a) == intents(b) and any(actor == "CDU" for actor, _ in intents(a)[0])
    assert a.offices.holders("Oberbürgermeister") == b.offices.holders("Oberbürgermeister")
    assert a.lexical.search("Spielplatz Wall", 5) == b.lexical.search("Spielplatz Wall", 5)


def test_chunk_texts_live_in_the_document_record_and_older_stores_still_load(tmp_path):
    """A chunk's text is a slice of its document's (the chunk collection keeps vectors and filter keys);
    a store written before that (chunk texts and fields in the chunk collection, records without spans)
    loads the same chunks."""
    import base64
    import json
    import zlib

    import numpy as np

    from index.embedding import FakeEmbedding
    from index.model import Chunk, DocumentMeta, chunk_id
    from index.offices import Mention
    from index.promises import Promise
    from index.retrieve import SearchIndex
    from index.store import ChromaStore, StoredDocument, meta_to_record

    embedder = FakeEmbedding()
    text = "Erster Satz über den Wall.\n\nZweiter Satz über die Fahrradstraße."
    meta = DocumentMeta("wall", "Wall", doc_type="Antrag", publisher="Rat")
    chunks = [Chunk(chunk_id("wall", i, text[a:b]), "wall", i, text[a:b], "Verkehr", "Verkehr", a, b)
              for i, (a, b) in enumerate([(0, 26), (28, len(text))])]
    vectors = embedder.embed_passages([c.embed_text(meta) for c in chunks])
    new = ChromaStore.open(tmp_path / "new", "rathaus", embedder.model_id, create=True)
    new.add_chunks(chunks, meta, vectors)
    promise = Promise("wall", "Rat", "Mobilität", "Ziel/Vorhaben", text[28:], "Verkehr", 28, len(text), "",
                      "„soll/sollen …“").to_dict()
    promise = json.loads(json.dumps(promise))  # as stored: JSON
    offices = (Mention("Oberbürgermeister", "Petra Beispiel", current=True),)
    new.put_document(StoredDocument.of(meta, text, chunks, [promise], "rules", offices))
    new.bump_version()
    stored = new.chunks().get(include=["documents", "metadatas"])
    assert stored["documents"] == [None, None] and set(stored["metadatas"][0]) == {"doc_id", "doc_type", "publisher"}
    record = new.documents().get(include=["documents", "metadatas"])  # no full-text index of the text
    assert record["documents"] == [None] and "text" not in record["metadatas"][0]
    packed = record["metadatas"][0]["payload"]  # spans, statements and offices: one compressed value
    assert "Fahrradstraße" not in packed and "promises" not in record["metadatas"][0]
    stored_text = new.texts().get(ids=["wall"], include=["metadatas"])["metadatas"][0]
    assert "text" not in stored_text and zlib.decompress(base64.b64decode(stored_text["packed"])).decode() == text
    (read,) = new.all_documents()
    assert read.text == text and read.promises == (promise,) and read.offices == offices and read.spans == \
        [(c.start, c.end, c.section, c.section_path, False) for c in chunks]

    # the layout before texts and large fields were compressed: read as before
    plain = ChromaStore.open(tmp_path / "plain", "rathaus", embedder.model_id, create=True)
    plain.add_chunks(chunks, meta, vectors)
    plain.texts().add(ids=["wall"], embeddings=[[1.0]], metadatas=[{"text": text}])
    plain.documents(create=True).add(ids=["wall"], embeddings=[[1.0]], metadatas=[
        meta_to_record(meta) | {"doc_hash": "", "chunk_count": 2, "chunk_ids": json.dumps([c.chunk_id for c in chunks]),
                                "chunk_spans": json.dumps([[c.start, c.end, c.section, c.section_path, 0] for c in chunks]),
                                "promises": json.dumps([promise]), "offices": json.dumps([m.to_list() for m in offices]),
                                "promises_rules": "rules", "seq": 1}])
    (old_read,) = plain.all_documents()
    assert (old_read.text, old_read.promises, old_read.offices, list(old_read.spans)) == \
        (read.text, read.promises, read.offices, list(read.spans))
    assert plain.all_documents(texts=False)[0].chunk_list == read.chunk_list

    old = ChromaStore.open(tmp_path / "old", "rathaus", embedder.model_id, create=True)
    old.chunks(create=True).add(ids=[c.chunk_id for c in chunks], embeddings=vectors, documents=[c.text for c in chunks],
                                metadatas=[{"doc_id": c.doc_id, "position": c.position, "section": c.section,
                                            "section_path": c.section_path, "start": c.start, "end": c.end,
                                            "is_comment": False, "doc_hash": "", "doc_type": "Antrag", "publisher": "Rat"}
                                           for c in chunks])
    old.documents(create=True).add(ids=["wall"], embeddings=[[1.0]], documents=[text], metadatas=[  # text as "document"
        meta_to_record(meta) | {"doc_hash": "", "chunk_count": 2, "chunk_ids": json.dumps([c.chunk_id for c in chunks]),
                                "promises": "[]", "promises_rules": "", "seq": 1}])
    assert old.all_documents()[0].text == text and old.all_documents()[0].stored_chunks() is None
    old.bump_version()
    plain.bump_version()
    for store, folder in ((new, "n"), (old, "o"), (plain, "p")):
        index = SearchIndex(store, embedder, tmp_path / folder)
        assert sorted((c.chunk_id, c.text, c.start, c.end, c.section) for c in index.chunks.values()) == \
            sorted((c.chunk_id, c.text, c.start, c.end, c.section) for c in chunks)
        assert index.search("Fahrradstraße", query_vector=np.asarray(vectors[1]))[0].chunk.chunk_id == chunks[1].chunk_id


def test_files_prepared_by_worker_processes_equal_those_prepared_here(tmp_path, monkeypatch):
    """Many files are prepared in worker processes: same documents, chunks and statements as in this
    process, in the same order, and an unreadable file is skipped with its reason either way."""
    import index.ingest as ingest_module
    from index.ingest import IngestReport, prepare
    from index.options import ChunkingOptions

    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    (folder / "kaputt.pdf").write_bytes(b"%PDF-1.4 nicht lesbar")
    monkeypatch.setattr(ingest_module, "PARALLEL_FROM", 1)
    results = []
    for workers in (1, 2):
        report = IngestReport()
        prepared, seen = prepare([folder], ChunkingOptions(), report, workers=workers)
        results.append(([(p.meta, p.text, p.chunks, p.promises) for p in prepared], seen,
                        [(path.rsplit("/", 1)[-1], reason) for path, reason in report.skipped]))
    assert results[0] == results[1]
    assert len(results[0][0]) == 5 and [name for name, _ in results[0][2]] == ["kaputt.pdf"]


def test_ingest_in_batches_commits_each_and_keeps_bm25_equal_to_a_rebuild(tmp_path, monkeypatch):
    """Files are prepared (by workers), written and committed in batches; the BM25 segments added per
    batch, with rows of rewritten and removed documents dead, rank exactly as an index built from
    scratch over the committed chunks, after a first ingest and after a change and a removal."""
    import index.ingest as ingest_module
    from index.bm25 import LexicalIndex
    from index.embedding import FakeEmbedding
    from index.ingest import build_lexical, committed_chunks, ingest
    from index.store import ChromaStore

    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    monkeypatch.setattr(ingest_module, "BATCH_FILES", 2)
    monkeypatch.setattr(ingest_module, "PARALLEL_FROM", 1)
    embedder = FakeEmbedding()
    data = tmp_path / "data"
    store = ChromaStore.open(data, "rathaus", embedder.model_id, create=True)
    questions = ["Sauberkeit und Ordnung", "Verfügungsfonds Jury", "Ausbau des ÖPNV Stadtbahn", "Kalouti Beirut geboren",
                 "Radverkehr Infrastruktur", "Ordnungsdienst Streife Mitarbeitende"]

    def same_as_rebuild(report):
        saved, _ = LexicalIndex.load(data / "bm25")
        rebuilt = build_lexical(committed_chunks(store), store.all_documents(texts=False))
        assert sorted(saved.live_ids) == sorted(rebuilt.live_ids) and report.chunks_total == rebuilt.n_live
        for question in questions:
            assert saved.search(question, 10) == rebuilt.search(question, 10), question

    first = ingest([folder], store, embedder, data, progress=False, workers=2)
    assert len(first.added) == 5 and not first.skipped
    same_as_rebuild(first)
    path = folder / "kalouti-erster-tag.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("1968 in Beirut", "1968 in Damaskus"), encoding="utf-8")
    (folder / "citymanagement.txt").unlink()
    second = ingest([folder], store, embedder, data, progress=False, workers=2)
    assert second.updated == ["kalouti-erster-tag"] and second.removed == ["citymanagement"]
    same_as_rebuild(second)
    assert LexicalIndex.load(data / "bm25")[0].search("Damaskus", 3)[0][0].startswith("kalouti-erster-tag:")


def test_two_files_with_one_document_id_stop_the_ingest_before_anything_is_written(tmp_path):
    from index.embedding import FakeEmbedding
    from index.errors import DocumentUnreadable
    from index.ingest import ingest
    from index.store import ChromaStore

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Die Stadt plant eine Fahrradstraße am Wall.\n", encoding="utf-8")
    (folder / "b.txt").write_text("Der Rat beschließt den Haushalt.\n", encoding="utf-8")
    (folder / "documents.yaml").write_text("documents:\n  - {id: vorlage, file: a.txt}\n  - {id: vorlage, file: b.txt}\n",
                                           encoding="utf-8")
    embedder = FakeEmbedding()
    store = ChromaStore.open(tmp_path / "data", "rathaus", embedder.model_id, create=True)
    with pytest.raises(DocumentUnreadable, match="zwei Dateien haben die Dokument-ID 'vorlage'"):
        ingest([folder], store, embedder, tmp_path / "data", progress=False)
    assert store.all_documents() == [] and store.chunks().count() == 0


def test_files_with_the_same_name_in_subfolders_or_two_formats_get_distinct_ids(tmp_path):
    """A council archive repeats file names („2023/Niederschrift.txt“, „2024/Niederschrift.txt“) and
    publishes one paper in two formats: every file is indexed under an id of its own, the same on
    every run, instead of stopping the ingest."""
    from index.load import discover

    folder = tmp_path / "archiv"
    for sub in ("2023", "2024"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "Niederschrift.txt").write_text(f"Sitzung {sub}: Der Rat tagte.\n", encoding="utf-8")
    (folder / "Antrag.txt").write_text("Antrag als Text.\n", encoding="utf-8")
    (folder / "Antrag.md").write_text("# Antrag\n\nAntrag als Markdown.\n", encoding="utf-8")
    (folder / "Haushalt.txt").write_text("Der Haushalt.\n", encoding="utf-8")
    ids = sorted(s.doc_id for s in discover([folder])[0])
    assert ids == ["2023-niederschrift", "2024-niederschrift", "antrag-md", "antrag-txt", "haushalt"]
    assert sorted(s.doc_id for s in discover([folder])[0]) == ids


def test_an_ingest_and_a_first_load_start_the_cycle_collector_less_often_and_restore_it(fake_settings, corpus_copy, monkeypatch):
    """During an ingest and a serving process's first load the cycle collector starts every 50,000
    allocations (it walked the prepared documents and loaded records again and again); afterwards,
    after a failure inside, and when the last of two threads inside leaves, the previous setting is back."""
    import gc

    import index.ingest as ingest_module
    from index.memory import fewer_collections
    from index.retrieve import SearchIndex

    before = gc.get_threshold()
    seen = []
    real_plan = ingest_module.plan
    monkeypatch.setattr(ingest_module, "plan", lambda *args: seen.append(gc.get_threshold()) or real_plan(*args))
    run_ingest(fake_settings, [corpus_copy])
    assert seen and all(t[0] == 50_000 for t in seen) and gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(1234):
        assert gc.get_threshold()[0] == 1234
        raise RuntimeError("inside")
    assert gc.get_threshold() == before
    outer = fewer_collections()  # two threads inside at once: the last one out restores the setting
    inner = fewer_collections()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert gc.get_threshold()[0] == 50_000
    inner.__exit__(None, None, None)
    assert gc.get_threshold() == before
    loading = []
    real_load = SearchIndex.load
    monkeypatch.setattr(SearchIndex, "load", lambda self: loading.append(gc.get_threshold()[0]) or real_load(self))
    index = build_search_index(fake_settings)
    assert loading == [50_000] and gc.get_threshold() == before  # the first load; a refresh is small
    index.refresh_if_changed(wait=True)
    assert gc.get_threshold() == before
