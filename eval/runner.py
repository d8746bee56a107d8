"""`rathaus eval`: run every evaluation set through the same answer path as the app, each in its
own data directory, score it beside the "top passage as the answer" baseline, compare with other
baselines on request, and gate on each set's thresholds."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from pathlib import Path

import yaml
from tqdm import tqdm

from assistant.grounding import grounding_problems
from eval.dataset import EVAL_DIR, Item, doc_ranking_scores, fact_present, load_items
from eval.sets import EvalSet, selected

THRESHOLDS = EVAL_DIR / "thresholds.yaml"
NOT_CONCISE_KINDS = ("list", "summary", "unanswerable")


def words(text: str) -> int:
    """Words of an answer without its citation markers and list dashes."""
    return len([w for w in text.split() if not (w.startswith("[") and w.rstrip(".,;:").endswith("]")) and w != "-"])


def score_item(assistant, item: Item, judge=None) -> dict:
    """Ask one question the way the app does and score the answer and the retrieval behind it."""
    started = time.perf_counter()
    answer = assistant.ask(item.question, item.history)
    latency = (time.perf_counter() - started) * 1000
    ranked = list(answer.ranked_docs)
    documents = {d: s.text for d, s in assistant.index.documents.items()}
    cited = [s.doc_id for s in answer.sources]
    top = assistant.index.search(item.question, k=1)  # the baseline: `rathaus search`'s first passage as it is
    top_text = top[0].chunk.text if top else ""
    row = {
        "id": item.id, "question": item.question, "history": item.history, "category": item.category,
        "kind": item.kind, "asks": item.asks, "answer": answer.text, "refused": answer.refused, "cited": cited,
        "expected_docs": item.docs, "latency_ms": round(latency, 1), "grounding": grounding_problems(answer, documents),
        "ranked_docs": ranked[:5], "words": words(answer.text), "top_passage_words": words(top_text),
    }
    if item.answerable:
        present = [fact_present(f, answer.text) for f in item.facts]
        h1, h5, rr = doc_ranking_scores(ranked, item.docs)
        row |= {
            "facts": [f[0] for f in item.facts], "facts_present": sum(present), "facts_total": len(item.facts),
            "missing_facts": [f[0] for f, ok in zip(item.facts, present) if not ok],
            "fully_correct": all(present) and not answer.refused,
            "hit_at_1": h1, "hit_at_5": h5, "rr": rr,
            "cites_expected": bool(set(cited) & set(item.docs)),
            "unexpected_citations": sum(1 for d in cited if d not in item.docs),
            "top_passage_facts": sum(fact_present(f, top_text) for f in item.facts),
        }
    if judge is not None and not answer.refused:
        verdict = judge.judge(item.question, answer.text, [s.quote for s in answer.sources], item.facts or None)
        row["judge"] = {"faithful": verdict.faithful, "faithful_asked": True, "correct": verdict.correct,
                        "correct_asked": bool(item.facts), "raw": verdict.raw}
    row["failed"] = failures(row, item)
    return row


def failures(row: dict, item: Item) -> list[str]:
    """Why an item failed, in German, for the report (empty = passed)."""
    out = [f"nicht wörtlich belegt: {p}" for p in row["grounding"]]
    verdict = row.get("judge", {})
    for key, label in (("faithful", "belegt"), ("correct", "richtig")):
        if verdict.get(f"{key}_asked"):
            if verdict[key] is None:
                out.append(f"LLM-Richter ({label}): Urteil nicht lesbar")
            elif not verdict[key]:
                out.append(f"LLM-Richter ({label}): NEIN")
    if not item.answerable:
        return out + ([] if row["refused"] else ["beantwortet, obwohl die Dokumente es nicht hergeben"])
    if row["refused"]:
        out.append("abgelehnt, obwohl beantwortbar")
    if row["missing_facts"]:
        out.append("fehlt: " + ", ".join(row["missing_facts"]))
    if not row["cites_expected"] and not row["refused"]:
        out.append("zitiert keines von: " + ", ".join(item.docs))
    return out


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    answered = [r for r in answerable if not r["refused"]]
    concise = [r for r in answered if r["kind"] not in NOT_CONCISE_KINDS]
    citations = sum(len(r["cited"]) for r in answerable)
    latencies = sorted(r["latency_ms"] for r in rows)
    facts_total = max(sum(r["facts_total"] for r in answerable), 1)

    def mean(key, items):
        return round(statistics.fmean(r[key] for r in items), 4) if items else 0.0

    return {
        "items": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "hit_at_1": mean("hit_at_1", answerable), "hit_at_5": mean("hit_at_5", answerable),
        "mrr_at_10": mean("rr", answerable),
        "fact_recall": round(sum(r["facts_present"] for r in answerable) / facts_total, 4),
        "items_fully_correct": mean("fully_correct", answerable),
        "cites_expected_document": mean("cites_expected", answered),
        "citations_to_unexpected_documents": round(sum(r["unexpected_citations"] for r in answerable) / max(citations, 1), 4),
        "verbatim_quotes": round(sum(1 for r in rows if not r["grounding"]) / max(len(rows), 1), 4),
        "refusal_recall": mean("refused", unanswerable),
        "false_refusal_rate": mean("refused", answerable),
        "median_answer_words": _median([r["words"] for r in concise]),
        "top_passage_fact_recall": round(sum(r.get("top_passage_facts", 0) for r in answerable) / facts_total, 4),
        "top_passage_median_words": _median([r["top_passage_words"] for r in answerable if r["kind"] not in NOT_CONCISE_KINDS]),
        "latency_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else 0.0,
        "latency_p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 1) if latencies else 0.0,
    }


def grouped(rows: list[dict], key: str) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r[key] or "–"].append(r)
    return {name: aggregate(items) for name, items in sorted(groups.items())}


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, float]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def check_thresholds(metrics: dict, path: Path = THRESHOLDS) -> list[str]:
    """Metrics outside their thresholds, as readable lines (empty = pass)."""
    failed = []
    for name, limit in load_thresholds(path).items():
        key = name.removeprefix("max_")
        if key not in metrics:
            failed.append(f"{key} was not measured")
        elif name.startswith("max_"):
            if metrics[key] > limit:
                failed.append(f"{key} = {metrics[key]} > {limit}")
        elif metrics[key] < limit:
            failed.append(f"{key} = {metrics[key]} < {limit}")
    return failed


def baseline_metrics(system, items: list[Item]) -> dict:
    """Retrieval and citation metrics of a baseline whose answer is its top passage."""
    rows = []
    for item in items:
        if not item.answerable:
            continue
        started = time.perf_counter()
        passages = system.search(item.question, 10)
        latency = (time.perf_counter() - started) * 1000
        ranked = list(dict.fromkeys(p.doc_id for p in passages))
        h1, h5, rr = doc_ranking_scores(ranked, item.docs)
        top = passages[0] if passages else None
        present = [fact_present(f, top.text if top else "") for f in item.facts]
        rows.append({"hit_at_1": h1, "hit_at_5": h5, "rr": rr, "facts": sum(present), "total": len(present),
                     "full": all(present), "cites": bool(top and top.doc_id in item.docs), "latency": latency})
    n = max(len(rows), 1)
    return {
        "hit_at_1": round(sum(r["hit_at_1"] for r in rows) / n, 4), "hit_at_5": round(sum(r["hit_at_5"] for r in rows) / n, 4),
        "mrr_at_10": round(sum(r["rr"] for r in rows) / n, 4),
        "fact_recall": round(sum(r["facts"] for r in rows) / max(sum(r["total"] for r in rows), 1), 4),
        "items_fully_correct": round(sum(r["full"] for r in rows) / n, 4),
        "cites_expected_document": round(sum(r["cites"] for r in rows) / n, 4),
        "refusal_recall": 0.0,  # a retriever always returns a passage
        "latency_p50_ms": round(statistics.median(r["latency"] for r in rows), 1) if rows else 0.0,
    }


def run_eval(assistant, items: list[Item] | None = None, compare: bool = False, progress: bool = True,
             corpus_files: dict[str, str] | None = None, judge=None, thresholds: Path = THRESHOLDS,
             promises: Path | None = None) -> dict:
    """Score every item of one set against `assistant` (already built over that set's documents)."""
    items = items or load_items()
    rows = [score_item(assistant, item, judge) for item in tqdm(items, desc="eval", unit="Frage", disable=not progress)]
    metrics = aggregate(rows)
    if judge is not None:
        from eval.judge import judge_metrics

        metrics |= judge_metrics(rows)
    result = {"metrics": metrics, "by_category": grouped(rows, "category"), "by_kind": grouped(rows, "kind"),
              "by_asks": grouped([r for r in rows if r["asks"]], "asks"), "rows": rows, "promise_rows": []}
    if promises is not None:
        from eval.promise_scoring import load_labels, score_promises

        extraction = score_promises(assistant.index.promises, labels=load_labels(promises), docs=set(assistant.index.documents))
        metrics |= {k: v for k, v in extraction.items() if k.startswith("promises_")}
        from eval.promise_scoring import score_follow_through

        metrics |= score_follow_through(assistant.index.promises_with_status())
        result["promise_rows"] = extraction["rows"]
    if compare:
        from eval.baselines import BM25Only, DenseOnly, StockLlamaIndex

        systems = [BM25Only(assistant.index), DenseOnly(assistant.index)]
        if corpus_files:
            systems.append(StockLlamaIndex(corpus_files, assistant.index.embedder))
        result["baselines"] = {s.name: baseline_metrics(s, items) for s in systems}
    result["thresholds"] = load_thresholds(thresholds)
    result["failed_thresholds"] = check_thresholds(result["metrics"], thresholds)
    return result


def run_set(settings, eval_set: EvalSet, embedder=None, compare: bool = False, judge=None, progress: bool = True,
            assistant=None) -> dict:
    """Ingest one set's documents into its own data directory, build the assistant, score the set
    (`assistant`: one already built over exactly this set's documents, e.g. a test's index)."""
    from assistant.wiring import build_assistant, build_embedder, build_search_index, run_ingest
    from index.load import discover

    if assistant is None:
        settings = settings.model_copy(update={"data_dir": settings.data_dir / "eval" / eval_set.name,
                                               "corpus_dir": eval_set.corpus})
        embedder = embedder or build_embedder(settings)
        run_ingest(settings, embedder=embedder, progress=progress)
        assistant = build_assistant(settings, build_search_index(settings, embedder))
    files = None
    if compare:
        sources, _ = discover([eval_set.corpus])
        files = {s.doc_id: s.path.read_text(encoding="utf-8", errors="replace") for s in sources}
    result = run_eval(assistant, load_items(eval_set.questions), compare=compare, progress=progress,
                      corpus_files=files, judge=judge, thresholds=eval_set.thresholds, promises=eval_set.promises)
    return result | {"name": eval_set.name, "title": eval_set.title}


def run_sets(settings, names: list[str] | None = None, compare: bool = False, judge=None, progress: bool = True,
             embedder=None) -> dict:
    """Every selected set, side by side; the run fails when any set misses one of its thresholds."""
    from assistant.wiring import build_embedder

    embedder = embedder or build_embedder(settings)
    return combine({s.name: run_set(settings, s, embedder, compare, judge, progress) for s in selected(names)})


def combine(results: dict[str, dict]) -> dict:
    """The report of several sets: each set's result, and every set's failed thresholds named by set."""
    failed = [f"{name}: {line}" for name, r in results.items() for line in r["failed_thresholds"]]
    return {"sets": results, "failed_thresholds": failed}
