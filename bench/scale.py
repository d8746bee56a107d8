"""`make bench-scale`: a council archive of 100k and 1M chunks through the real ingest path.

Per size: a folder of generated German documents (`bench.generate`, sentences of the corpus) is
ingested by `index.ingest.ingest` with an instant embedder (vectors of the bundled model's 384
dimensions derived from each text's words at no cost, see `InstantEmbedding`: the timings are ours
and Chroma's, not the embedder's; `--random-vectors` for random ones). Then a
serving process (a separate Python process, as the app) loads the index, answers questions, reports
its RSS, and measures how long after another process's ingest of one new document that document is
searchable, while it keeps answering from the previous snapshot. This is done twice: with Chroma
embedded in the serving process, and with Chroma as `chroma run` beside it (its memory reported
apart, under "with_chroma_server"). The stock llama-index pipeline is measured where it can run at
that size. Writes bench/results/scale.json.

`python -m bench.scale --sizes 100000 1000000` (the default); `--sizes 20000` for a quick look;
`--chroma server` serves with the server only; `--keep DIR` keeps each size's index for a later run
that measures serving again without the build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import numpy as np
from pydantic import PrivateAttr
from scipy import sparse

from bench.chroma_server import ChromaServer
from bench.load import rss_mb
from index.embedding import CountingEmbedding

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BUCKETS = 4096  # hashed words of the instant embedder (its projection: 6 MB)
WORD = re.compile(r"\w+")
WORDS_PER_DOC = 1400  # about 17 chunks per generated document (`chunks_per_document` measures it)
NEW_DOC = ("# Neue Vorlage: Fahrradstraße am Wall\n\nDie Stadt plant eine Fahrradstraße am Wall zwischen Hauptbahnhof "
           "und Stadtgarten. Der Rat entscheidet im Juni über die Quarzsandmarkierung.\n")


class InstantEmbedding(CountingEmbedding):
    """Vectors at (almost) no cost that the vector index treats as it treats a real model's: each text's
    words hashed into `BUCKETS` buckets (damped counts), projected to the bundled model's 384
    dimensions by a fixed random matrix, normalised, so similar texts get similar vectors. Measured on
    29,500 chunks of generated documents (Chroma, ef_construction 100, recall@8 against exact search):
    all-MiniLM-L6-v2 13.1 s CPU to index, recall 0.995; these vectors 12.0 s, 0.983; seeded random unit
    vectors (`random=True`, what this benchmark used before) 21.4 s, 0.28: random vectors have no
    structure and are the worst case for HNSW, not a model of any embedder."""

    dim: int = 384
    random: bool = False
    _projection: np.ndarray = PrivateAttr(default=None)
    _buckets: dict = PrivateAttr(default_factory=dict)

    def __init__(self, dim: int = 384, random: bool = False, **kwargs) -> None:
        super().__init__(model_id=f"instant:{dim}{':random' if random else ''}", model_name="instant", dim=dim, random=random, **kwargs)
        self._projection = np.random.default_rng(0).standard_normal((BUCKETS, dim)).astype(np.float32)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self.random:
            rng = np.random.default_rng(len(texts) + sum(map(len, texts)))
            vectors = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        else:
            table, rows, cols = self._buckets, [], []  # word → bucket (a private attribute is slow to reach)
            for row, text in enumerate(texts):
                for word in WORD.findall(text.lower()) or [""]:  # a text without words still gets a vector
                    bucket = table.get(word)
                    if bucket is None:
                        bucket = table[word] = zlib.crc32(word.encode("utf-8")) % BUCKETS
                    rows.append(row)
                    cols.append(bucket)
            counts = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(texts), BUCKETS))
            counts.sum_duplicates()
            counts.data = np.log1p(counts.data)  # log(1 + count) per word
            vectors = np.asarray(counts @ self._projection)  # sparse: no BLAS threads competing with the ingest's
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1) if ordered else 0.0


def reference_loop_s() -> float:
    """Seconds this machine takes for a fixed pure-Python loop (best of three), to compare runs on
    machines of different speed: the 2-core VMs this runs on differ by about two times between
    sessions (the same code's 100k build took 113 s in one and 254 s in another)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(range(50_000_000))
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def build(folder: Path, data: Path, random_vectors: bool = False) -> dict:
    """Ingest `folder` into `data` with the instant embedder; the ingest's own step timings."""
    from index.ingest import ingest
    from index.store import ChromaStore

    embedder = InstantEmbedding(random=random_vectors)
    store = ChromaStore.open(data, "rathaus", embedder.model_id, create=True)
    started = time.perf_counter()
    report = ingest([folder], store, embedder, data, progress=False, batch_size=256)
    seconds = time.perf_counter() - started
    return {"build_s": round(seconds, 1), "chunks": report.chunks_total,
            "chunks_per_s_fake_embedder": round(report.chunks_total / seconds, 1),
            "steps_s": {k: round(v, 1) for k, v in report.steps.items()}}


SERVE = r"""
import json, sys, time, threading
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from bench.scale import InstantEmbedding
from bench.load import rss_mb
from index.store import ChromaStore
from index.retrieve import SearchIndex
from assistant.wiring import build_assistant
from assistant.settings import load_settings
import os

data = Path(sys.argv[1]); questions = json.loads(Path(sys.argv[2]).read_text()); port = int(sys.argv[4]); new_id = sys.argv[5]
embedder = InstantEmbedding(random=sys.argv[6] == "random")
started = time.perf_counter()
store = ChromaStore.open(data, "rathaus", embedder.model_id, host="127.0.0.1" if port else "", port=port)
index = SearchIndex(store, embedder, data, refresh_seconds=0.05)
load_s = time.perf_counter() - started
assistant = build_assistant(load_settings(data_dir=data), index)
for q in questions[:5]:
    assistant.ask(q)
times = []
for q in questions:
    t = time.perf_counter(); assistant.ask(q); times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ready": True, "load_s": load_s, "answer_ms": times, "rss_mb": rss_mb(os.getpid())}), flush=True)
sys.stdin.readline()  # the other process has ingested one document
ingested = time.perf_counter()
during, seen = [], None
while seen is None and time.perf_counter() - ingested < 600:
    t = time.perf_counter()
    hits = index.search("Quarzsandmarkierung Fahrradstraße", k=8)  # answered while the refresh runs
    during.append((time.perf_counter() - t) * 1000)
    if any(h.chunk.doc_id == new_id for h in hits):
        seen = time.perf_counter() - ingested
    time.sleep(0.01)
print(json.dumps({"refresh_after_one_doc_s": seen, "search_during_refresh_ms": during,
                  "refresh_stats": index.refresh_stats, "rss_mb_after": rss_mb(os.getpid())}), flush=True)
"""


def serve_and_refresh(data: Path, questions: list[str], new_id: str, server: bool = False,
                      random_vectors: bool = False) -> dict:
    """Serving figures from a separate process; one more document (`new_id`) ingested by this one
    meanwhile. With `server`, Chroma runs as `chroma run` on the same data (its memory reported apart)."""
    from index.ingest import ingest
    from index.store import ChromaStore

    qfile = data / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    chroma = ChromaServer(data / "chroma") if server else None
    if chroma:
        chroma.start()
    port = chroma.port if chroma else 0
    child = subprocess.Popen([sys.executable, "-c", SERVE, str(data), str(qfile), str(ROOT), str(port), new_id,
                              "random" if random_vectors else "text"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, HF_HUB_OFFLINE="1"))
    try:
        first = json.loads(child.stdout.readline())
        extra = data.parent / "extra"
        extra.mkdir(exist_ok=True)
        name = f"{new_id}.md"
        (extra / name).write_text(NEW_DOC, encoding="utf-8")
        embedder = InstantEmbedding(random=random_vectors)
        store = ChromaStore.open(data, "rathaus", embedder.model_id, create=True,
                                 host="127.0.0.1" if chroma else "", port=port)
        started = time.perf_counter()
        ingest([extra], store, embedder, data, progress=False, prune=False)
        one_doc_ingest_s = time.perf_counter() - started
        child.stdin.write("go\n")
        child.stdin.flush()
        second = json.loads(child.stdout.readline())
        chroma_rss = rss_mb(chroma.process.pid) if chroma else None
    finally:
        child.kill()
        child.wait()
        if chroma:
            chroma.stop()
        (extra / name).unlink(missing_ok=True)
    row = {"load_s": round(first["load_s"], 1), "answer_p50_ms": pct(first["answer_ms"], 0.5),
           "answer_p95_ms": pct(first["answer_ms"], 0.95), "rss_mb": round(max(first["rss_mb"], second["rss_mb_after"])),
           "ingest_one_doc_s": round(one_doc_ingest_s, 2),
           "refresh_after_one_doc_s": None if second["refresh_after_one_doc_s"] is None else round(second["refresh_after_one_doc_s"], 3),
           "search_during_refresh_p95_ms": pct(second["search_during_refresh_ms"], 0.95),
           "refresh_stats": second["refresh_stats"]}
    return row | ({"chroma_server_rss_mb": round(chroma_rss)} if chroma else {})


def stock(folder: Path, questions: list[str], n_chunks: int, limit: int, random_vectors: bool = False) -> dict:
    """The stock llama-index pipeline (SimpleDirectoryReader → VectorStoreIndex on Chroma) with the same
    instant embedder, where it runs in reasonable time."""
    if n_chunks > limit:
        return {"skipped": f"not run above {limit} chunks (see the smaller size for its build time); it has no "
                           "incremental ingest, so every new document means rebuilding the whole index"}
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    embedder = InstantEmbedding(random=random_vectors)
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(path=tmp, settings=chromadb.Settings(anonymized_telemetry=False))
        store = ChromaVectorStore(chroma_collection=client.create_collection("stock"))
        started = time.perf_counter()
        docs = SimpleDirectoryReader(str(folder), required_exts=[".md"]).load_data()
        index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store),
                                                embed_model=embedder, transformations=[SentenceSplitter()],
                                                show_progress=False)
        build_s = time.perf_counter() - started
        nodes = client.get_collection("stock").count()
        retriever = index.as_retriever(similarity_top_k=8)
        times = []
        for q in questions:
            t = time.perf_counter()
            retriever.retrieve(q)
            times.append((time.perf_counter() - t) * 1000)
        return {"build_s": round(build_s, 1), "nodes": nodes, "chunks_per_s_fake_embedder": round(nodes / build_s, 1),
                "retrieve_p50_ms": pct(times, 0.5), "retrieve_p95_ms": pct(times, 0.95), "disk_mb": disk_mb(Path(tmp)),
                "refresh_after_one_doc": "no incremental path: rebuild the index (build_s)"}


def chunks_per_document(sample: int = 40) -> float:
    """Chunks per generated document, measured on a sample (so that a size's corpus has about that many chunks)."""
    from bench.generate import generate
    from index.clean import clean
    from index.load import discover, load_file
    from index.split import chunk_document

    with tempfile.TemporaryDirectory() as tmp:
        generate(sample, Path(tmp), words=WORDS_PER_DOC)
        sources = discover([Path(tmp)])[0]
        return sum(len(chunk_document(clean(load_file(s)))) for s in sources) / len(sources)


def measure(n_chunks: int, questions: list[str], stock_limit: int, modes: list[str], random_vectors: bool = False,
            keep: Path | None = None) -> dict:
    """One size's figures. With `keep`, the generated documents and the index stay in `keep/<size>`,
    and a later run with the same `keep` serves that index again instead of building it (its build
    figures are the first run's, marked `build_reused`)."""
    from bench.generate import generate

    tmp = keep / str(n_chunks) if keep else Path(tempfile.mkdtemp(prefix=f"rathaus-scale-{n_chunks}-"))
    vectors = "random" if random_vectors else "text"
    built = tmp / "build.json"
    try:
        folder, data = tmp / "docs", tmp / "data"
        earlier = json.loads(built.read_text(encoding="utf-8")) if keep and built.exists() else None
        if earlier and earlier.get("vectors") == vectors:
            row = earlier | {"build_reused": True}
            print(f"  {n_chunks}: the index built earlier in {tmp} ({row['build_s']} s)", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            n_docs = max(1, round(n_chunks / chunks_per_document()))
            started = time.perf_counter()
            generate(n_docs, folder, words=WORDS_PER_DOC)
            print(f"  {n_chunks}: {n_docs} documents generated in {time.perf_counter() - started:.0f} s", flush=True)
            row = {"target_chunks": n_chunks, "documents": n_docs, "vectors": vectors} | build(folder, data, random_vectors)
            print(f"  {n_chunks}: built in {row['build_s']} s ({row['chunks_per_s_fake_embedder']} chunks/s)", flush=True)
            if keep:
                built.write_text(json.dumps(row), encoding="utf-8")
        row["disk_mb"] = disk_mb(data)
        for mode in modes:
            # a new document of its own in every run (a kept index has those of earlier runs)
            served = serve_and_refresh(data, questions, f"neue-vorlage-{mode}-{uuid.uuid4().hex[:8]}",
                                       server=mode == "server", random_vectors=random_vectors)
            if mode == "server":
                row["with_chroma_server"] = served
            else:
                row |= served
            print(f"  {n_chunks} (Chroma {mode}): answer p95 {served['answer_p95_ms']} ms, RSS {served['rss_mb']} MB"
                  f"{' + Chroma server ' + str(served.get('chroma_server_rss_mb')) + ' MB' if mode == 'server' else ''}, "
                  f"refresh {served['refresh_after_one_doc_s']} s", flush=True)
        row["stock"] = stock(folder, questions, n_chunks, stock_limit, random_vectors)
        return row
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--chroma", nargs="+", choices=["embedded", "server"], default=["embedded", "server"],
                        help="serve with Chroma in the serving process, as `chroma run` beside it, or both, one after the other")
    parser.add_argument("--random-vectors", action="store_true",
                        help="seeded random vectors instead of text-derived ones (the worst case for Chroma's HNSW index)")
    parser.add_argument("--stock-limit", type=int, default=100_000, help="largest size the stock pipeline is run at")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep each size's documents and index in DIR/<size>; a later run with the same DIR "
                             "serves them again without building (build figures of the first run)")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    from eval.dataset import load_items

    questions = [i.question for i in load_items() if not i.history][:40]
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "reference_loop_s": reference_loop_s(),
              "vectors": "random" if args.random_vectors else "text-derived (hashed words, projected)", "sizes": []}
    for n in args.sizes:
        started = time.perf_counter()
        result["sizes"].append(measure(n, questions, args.stock_limit, args.chroma, args.random_vectors, args.keep) | {"total_s": 0})
        result["sizes"][-1]["total_s"] = round(time.perf_counter() - started)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "scale.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(RESULTS / "scale.json")


if __name__ == "__main__":
    main()
