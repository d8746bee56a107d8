"""A slow ingest in its own process, for the fault tests: `python tests/ingest_worker.py DATA CORPUS[:CORPUS…] [DELAY]`
(or `… check DATA` to print the store's invariants as JSON).

Uses the deterministic fake embedder, slowed down per batch so that a test can kill it mid-way.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.embedding import FakeEmbedding  # noqa: E402
from index.ingest import ingest  # noqa: E402
from index.store import ChromaStore  # noqa: E402


class SlowFakeEmbedding(FakeEmbedding):
    delay: float = 0.1

    def embed_passages(self, texts):
        time.sleep(self.delay)
        return super().embed_passages(texts)


def check(data: Path) -> None:
    """Print the store's invariants as JSON, opened fresh in this process (as after a restart)."""
    import json

    import numpy as np

    from index.errors import IndexMissing

    store = ChromaStore.open(data, "rathaus", FakeEmbedding().model_id)
    try:
        col = store.chunks()
    except IndexMissing:
        print(json.dumps({"stored": 0, "committed": [], "problems": []}))
        return
    documents = store.all_documents()
    committed = [cid for d in documents for cid in d.chunk_ids]
    problems = []
    if len(committed) != len(set(committed)):
        problems.append("a chunk committed twice")
    got = col.get(ids=committed, include=["embeddings", "metadatas"]) if committed else {"ids": [], "embeddings": [], "metadatas": []}
    if sorted(got["ids"]) != sorted(committed):
        problems.append("a committed chunk is missing")
    if any(e is None or len(e) != FakeEmbedding().dim for e in got["embeddings"]):
        problems.append("a committed chunk without embedding")
    for doc in documents:  # each record's chunks are slices of its text, one per listed id
        chunks = doc.stored_chunks()
        if chunks is None or [c.chunk_id for c in chunks] != list(doc.chunk_list):
            problems.append(f"{doc.meta.doc_id}: chunks not listed with their spans")
        elif any(not c.text.strip() or c.text != doc.text[c.start:c.end] for c in chunks):
            problems.append(f"{doc.meta.doc_id}: a span outside its text")
    if any(m["doc_id"] != cid.rsplit(":", 2)[0] for cid, m in zip(got["ids"], got["metadatas"])):
        problems.append("a chunk filed under another document")
    for cid, emb in zip(got["ids"], got["embeddings"]):
        if store.query(np.asarray(emb), 1)[0][0] != cid:
            problems.append(f"own vector of {cid} does not find it first")
    print(json.dumps({"stored": col.count(), "committed": committed, "problems": problems}))


def main() -> None:
    if sys.argv[1] == "check":
        check(Path(sys.argv[2]))
        return
    data, corpora = Path(sys.argv[1]), [Path(p) for p in sys.argv[2].split(os.pathsep)]
    embedder = SlowFakeEmbedding()
    embedder.delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
    store = ChromaStore.open(data, "rathaus", embedder.model_id, create=True)
    print("started", flush=True)
    report = ingest(corpora, store, embedder, data, batch_size=4, progress=False)
    print(report.summary(), flush=True)


if __name__ == "__main__":
    main()
