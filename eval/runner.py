"""`rathaus eval`: run the known-answer set through the same `Answer` path as the app, score it,
compare with baselines, write the reports, and gate on the thresholds."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from pathlib import Path

import yaml
from tqdm import tqdm

from assistant.grounding import grounding_problems
from eval.dataset import EVAL_DIR, Item, doc_ranking_scores, fact_present, load_items

THRESHOLDS = EVAL_DIR / "thresholds.yaml"


def score_item(assistant, item: Item, judge=None) -> dict:
    """Ask one question the way the app does and score the answer and the retrieval behind it."""
    started = time.perf_counter()
    answer = assistant.ask(item.question, item.history)
    latency = (time.perf_counter() - started) * 1000
    plan = assistant.analyzer.analyze(item.question, item.history)
    ranked = list(dict.fromkeys(h.chunk.doc_id for h in assistant.retrieve(plan)))
    documents = {d: s.text for d, s in assistant.index.documents.items()}
    cited = [s.doc_id for s in answer.sources]
    row = {
        "id": item.id, "question": item.question, "history": item.history, "category": item.category,
        "kind": item.kind, "answer": answer.text, "refused": answer.refused, "cited": cited,
        "expected_docs": item.docs, "latency_ms": round(latency, 1), "grounding": grounding_problems(answer, documents),
        "ranked_docs": ranked[:5],
    }
    if item.answerable:
        present = [fact_present(f, answer.text) for f in item.facts]
        h1, h5, rr = doc_ranking_scores(ranked, item.docs)
        row |= {
            "facts_present": sum(present), "facts_total": len(item.facts),
            "missing_facts": [f[0] for f, ok in zip(item.facts, present) if not ok],
            "fully_correct": all(present) and not answer.refused,
            "hit_at_1": h1, "hit_at_5": h5, "rr": rr,
            "cites_expected": bool(set(cited) & set(item.docs)),
            "unexpected_citations": sum(1 for d in cited if d not in item.docs),
        }
    if judge is not None and not answer.refused:
        verdict = judge.judge(item.question, answer.text, [s.quote for s in answer.sources], item.facts or None)
        row["judge"] = {"faithful": verdict.faithful, "faithful_asked": True, "correct": verdict.correct,
                        "correct_asked": bool(item.facts), "raw": verdict.raw}
    row["failed"] = failures(row, item)
    return row


def failures(row: dict, item: Item) -> list[str]:
    out = list(row["grounding"])
    verdict = row.get("judge", {})
    for key, label in (("faithful", "faithfulness"), ("correct", "correctness")):
        if verdict.get(f"{key}_asked"):
            if verdict[key] is None:
                out.append(f"judge {label}: unparseable verdict")
            elif not verdict[key]:
                out.append(f"judge {label}: NEIN")
    if not item.answerable:
        return out + ([] if row["refused"] else ["not refused"])
    if row["refused"]:
        out.append("refused")
    if row["missing_facts"]:
        out.append("missing: " + ", ".join(row["missing_facts"]))
    if not row["cites_expected"] and not row["refused"]:
        out.append("cites none of " + ", ".join(item.docs))
    return out


def aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    answered = [r for r in answerable if not r["refused"]]
    citations = sum(len(r["cited"]) for r in answerable)
    latencies = sorted(r["latency_ms"] for r in rows)

    def mean(key, items):
        return round(statistics.fmean(r[key] for r in items), 4) if items else 0.0

    return {
        "items": len(rows),
        "hit_at_1": mean("hit_at_1", answerable), "hit_at_5": mean("hit_at_5", answerable),
        "mrr_at_10": mean("rr", answerable),
        "fact_recall": round(sum(r["facts_present"] for r in answerable) / max(sum(r["facts_total"] for r in answerable), 1), 4),
        "items_fully_correct": mean("fully_correct", answerable),
        "cites_expected_document": mean("cites_expected", answered),
        "citations_to_unexpected_documents": round(sum(r["unexpected_citations"] for r in answerable) / max(citations, 1), 4),
        "verbatim_quotes": round(sum(1 for r in rows if not r["grounding"]) / max(len(rows), 1), 4),
        "refusal_recall": mean("refused", unanswerable),
        "false_refusal_rate": mean("refused", answerable),
        "latency_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else 0.0,
        "latency_p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 1) if latencies else 0.0,
    }


def grouped(rows: list[dict], key: str) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    return {name: aggregate(items) for name, items in sorted(groups.items())}


def check_thresholds(metrics: dict, path: Path = THRESHOLDS) -> list[str]:
    """Metrics outside their thresholds, as readable lines (empty = pass)."""
    failed = []
    for name, limit in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        if name.removeprefix("max_") not in metrics:
            failed.append(f"{name.removeprefix('max_')} was not measured")
        elif name.startswith("max_"):
            value = metrics[name[4:]]
            if value > limit:
                failed.append(f"{name[4:]} = {value} > {limit}")
        elif metrics[name] < limit:
            failed.append(f"{name} = {metrics[name]} < {limit}")
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
             corpus_files: dict[str, str] | None = None, judge=None) -> dict:
    """Score every item; `judge` (an `eval.judge.Judge`) adds the optional LLM verdicts."""
    items = items or load_items()
    rows = [score_item(assistant, item, judge) for item in tqdm(items, desc="eval", unit="Frage", disable=not progress)]
    metrics = aggregate(rows)
    if judge is not None:
        from eval.judge import judge_metrics

        metrics |= judge_metrics(rows)
    from eval.promise_scoring import score_promises

    extraction = score_promises(assistant.index.promises, docs=set(assistant.index.documents))
    metrics |= {k: v for k, v in extraction.items() if k.startswith("promises_")}
    result = {"metrics": metrics, "promise_rows": extraction["rows"], "by_category": grouped(rows, "category"), "by_kind": grouped(rows, "kind"),
              "rows": rows}
    if compare:
        from eval.baselines import BM25Only, DenseOnly, StockLlamaIndex

        systems = [BM25Only(assistant.index), DenseOnly(assistant.index)]
        if corpus_files:
            systems.append(StockLlamaIndex(corpus_files, assistant.index.embedder))
        result["baselines"] = {s.name: baseline_metrics(s, items) for s in systems}
    result["failed_thresholds"] = check_thresholds(result["metrics"])
    return result
