"""Synthetic indexes of 1k / 10k / 100k chunks for retrieval timings.

Chunk texts are real German (sentences of the corpus, 60–140 words each); their embeddings are
synthetic (random unit vectors, seeded) so that building 100k takes minutes, not the ~8 hours the
real embedder would need on 2 cores. Timings of search are what they would be with real vectors;
rankings are not meaningful.
"""

from __future__ import annotations

import random
from pathlib import Path
from dataclasses import replace

import numpy as np

from bench.generate import corpus_sentences
from index.ingest import build_lexical, committed_chunks
from index.lexical import TOKENIZER_VERSION
from index.model import Chunk, DocumentMeta, chunk_id, content_hash
from index.store import ChromaStore, StoredDocument

CHUNKS_PER_DOC = 100


def build_synthetic(data_dir: Path, n_chunks: int, dim: int, model_id: str, seed: int = 11) -> ChromaStore:
    """A Chroma store (embedded, under data_dir) with `n_chunks` committed chunks and a saved BM25 index."""
    rng = random.Random(seed)
    vectors_rng = np.random.default_rng(seed)
    sentences, headings = corpus_sentences()
    store = ChromaStore.open(data_dir, "bench", model_id, create=True)
    store.chunks(create=True)
    for first in range(0, n_chunks, CHUNKS_PER_DOC):
        doc_id = f"synth-{first // CHUNKS_PER_DOC:05d}"
        meta = DocumentMeta(doc_id=doc_id, title=f"Synthetische Vorlage {first // CHUNKS_PER_DOC}", publisher="Bench",
                            date="2025-01-01", doc_type="Vorlage")
        chunks, offset, texts = [], 0, []
        for position in range(min(CHUNKS_PER_DOC, n_chunks - first)):
            words, parts = 0, []
            while words < rng.randint(60, 140):
                parts.append(rng.choice(sentences))
                words += len(parts[-1].split())
            text = " ".join(parts)
            section = rng.choice(headings)
            chunks.append(Chunk(chunk_id(doc_id, position, text), doc_id, position, text, section, section,
                                offset, offset + len(text), doc_hash=""))
            texts.append(text)
            offset += len(text) + 2
        vectors = vectors_rng.standard_normal((len(chunks), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add_chunks(chunks, meta, vectors)
        text = "\n\n".join(texts)
        chunks = [replace(c, doc_hash=content_hash(text)) for c in chunks]
        store.put_document(StoredDocument.of(meta, text, chunks))
    stamp = store.bump_version()
    documents = store.all_documents()
    build_lexical(committed_chunks(store), documents).save(data_dir / "bm25", {"stamp": stamp, "tokenizer": TOKENIZER_VERSION})
    return store


def disk_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
