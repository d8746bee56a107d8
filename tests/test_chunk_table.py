"""The loaded index's chunk table: chunks made on demand from packed document records."""

from __future__ import annotations

from index.chunk_table import ChunkTable
from index.model import Chunk, DocumentMeta, chunk_id
from index.store import StoredDocument

TEXT = ("# Verkehr\n\nDer Rat beschließt die „Fahrradstraße am Wall“ für 1,2 Mio. €.\n\n"
        "# Grünflächen\n\nDie Bäume an der Möllerbrücke werden ersetzt. Die Bürger*innen werden beteiligt.")


def record(doc_id: str, text: str = TEXT) -> StoredDocument:
    first = text.index("Der Rat")
    second = text.index("Die Bäume")
    spans = [(first, text.index("\n\n# Grün"), "Verkehr", "Verkehr"), (second, len(text), "Grünflächen", "Grünflächen")]
    chunks = [Chunk(chunk_id(doc_id, i, text[a:b]), doc_id, i, text[a:b], section, path, a, b, doc_hash="h")
              for i, (a, b, section, path) in enumerate(spans)]
    return StoredDocument.of(DocumentMeta(doc_id, doc_id.title()), text, chunks)


def test_packed_record_keeps_text_and_chunks_exactly():
    doc = record("wall")
    packed = doc.packed()
    assert isinstance(packed.body, bytes) and len(packed.body) < len(TEXT.encode("utf-8"))
    assert packed.text == TEXT and "„Fahrradstraße am Wall“" in packed.text
    assert packed.stored_chunks() == doc.stored_chunks()


def test_table_makes_the_stored_chunks_and_answers_by_document_and_section():
    doc = record("wall").packed()
    table = ChunkTable.of([doc])
    expected = doc.stored_chunks()
    assert len(table) == 2 and list(table) == [c.chunk_id for c in expected]
    assert [table[c.chunk_id] for c in expected] == expected
    assert table.of_document("wall") == expected and table.of_document("other") == []
    assert table.section(expected[1]) == [expected[1]]
    assert table.doc_of(expected[0].chunk_id) == "wall" and table.doc_of("missing") == ""
    assert table[expected[1].chunk_id].text.startswith("Die Bäume an der Möllerbrücke")


def test_a_new_table_replaces_and_removes_documents_and_leaves_the_old_one_as_it_was():
    a, b = record("a").packed(), record("b").packed()
    old = ChunkTable.of([a, b])
    changed = record("a", TEXT.replace("ersetzt", "nachgepflanzt")).packed()
    loose = Chunk("c:0000:x", "c", 0, "Ein Abschnitt aus einem älteren Index.", "", "", 0, 38)
    new = old.with_documents([changed], [loose], removed=["b"])
    assert set(new) == {c.chunk_id for c in changed.stored_chunks()} | {"c:0000:x"}
    assert "nachgepflanzt" in new.of_document("a")[1].text and new["c:0000:x"] == loose
    assert new.of_document("b") == [] and new.section(loose) == [loose]
    assert set(old) == {c.chunk_id for d in (a, b) for c in d.stored_chunks()}  # the served snapshot is untouched
    assert "ersetzt" in old.of_document("a")[1].text


def test_saved_bm25_rows_hold_the_tables_id_strings(tmp_path):
    """A loaded index keeps each chunk id once: the BM25 rows read from disk take the table's strings."""
    from index.bm25 import LexicalIndex

    doc = record("wall").packed()
    table = ChunkTable.of([doc])
    lexical = LexicalIndex.of_chunks(list(table.values()), {"wall": doc.meta})
    lexical.save(tmp_path, {})
    loaded, _ = LexicalIndex.load(tmp_path, table.shared_id)
    assert loaded.ids == list(doc.chunk_list)
    assert all(a is b for a, b in zip(loaded.ids, doc.chunk_list))
    assert table.shared_id("unknown-id") == "unknown-id"
    assert loaded.search("Fahrradstraße", 1)[0][0] == doc.chunk_list[0]


def test_spans_hold_each_section_name_once_packed_and_give_back_the_rows():
    """A record's spans keep offsets as integers and its distinct section names compressed together;
    each row reads as it was written, umlauts and quotes included, and pickles as it is."""
    import pickle

    from index.store import Spans

    rows = [(0, 10, "Verkehr", "Plan › Verkehr", False), (10, 25, "„Grün“", "Plan › „Grün“", True),
            (25, 40, "Verkehr", "Plan › Verkehr", False), (40, 41, "", "", False)]
    spans = Spans(rows)
    assert list(spans) == rows and spans[-1] == rows[-1] and len(spans) == 4
    assert spans.names == ("Verkehr", "Plan › Verkehr", "„Grün“", "Plan › „Grün“", "")
    assert isinstance(spans.packed_names, bytes) and "Verkehr" not in repr(spans.packed_names)
    assert spans.number("„Grün“") == 2 and spans.number("Anhang") is None
    assert pickle.loads(pickle.dumps(spans)) == spans and Spans([]).names == () and list(Spans([])) == []
