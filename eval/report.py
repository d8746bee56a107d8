"""Reports of an evaluation run, all sets side by side: terminal table, Markdown, HTML (Jinja2,
with a chart per set), JSON. Each metric shows its threshold, which direction is better and
whether it passed; failing questions come first, with the expected facts and the reason."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from assistant.render import answer_html
from eval.dataset import EVAL_DIR

REPORTS = EVAL_DIR / "reports"
# key: (German name, True when higher is better)
METRICS = {
    "fact_recall": ("Fakten-Recall", True), "items_fully_correct": ("vollständig richtig", True),
    "cites_expected_document": ("zitiert erwartetes Dokument", True), "refusal_recall": ("Ablehnung (unbeantwortbar)", True),
    "false_refusal_rate": ("falsche Ablehnungen", False), "median_answer_words": ("Antwortlänge (Median, Wörter)", False),
    "top_passage_fact_recall": ("Vergleich: Top-Passage, Fakten-Recall", True),
    "top_passage_median_words": ("Vergleich: Top-Passage, Wörter", False),
    "hit_at_1": ("Treffer@1", True), "hit_at_5": ("Treffer@5", True), "mrr_at_10": ("MRR@10", True),
    "citations_to_unexpected_documents": ("Zitate auf fremde Dokumente", False), "verbatim_quotes": ("wörtliche Zitate", True),
    "latency_p50_ms": ("Latenz p50 (ms)", False), "latency_p95_ms": ("Latenz p95 (ms)", False),
    "promises_precision": ("Versprechen: Präzision", True), "promises_recall": ("Versprechen: Recall", True),
    "promises_actor_accuracy": ("Versprechen: Akteur richtig", True), "promises_topic_accuracy": ("Versprechen: Thema richtig", True),
    "promises_achieved_recall": ("Erreichtes erkannt", True), "promises_achieved_listed_as_promise": ("Erreichtes als Versprechen", False),
    "followup_status_precision": ("Versprechen-Stand: Präzision", True), "followup_status_recall": ("Versprechen-Stand: Recall", True),
    "followup_evidence_correct": ("Versprechen-Stand: Beleg richtig", True),
    "followup_without_evidence": ("Versprechen-Stand ohne Beleg", False),
    "judge_faithful": ("LLM-Richter: belegt", True), "judge_faithful_errors": ("LLM-Richter: Fehler (belegt)", False),
    "judge_correct": ("LLM-Richter: richtig", True), "judge_correct_errors": ("LLM-Richter: Fehler (richtig)", False),
}
CATEGORY_COLUMNS = [("items", "Fragen"), ("hit_at_5", "Treffer@5"), ("fact_recall", "Fakten-Recall"),
                    ("items_fully_correct", "vollständig"), ("refusal_recall", "Ablehnung"),
                    ("false_refusal_rate", "falsche Abl."), ("median_answer_words", "Wörter")]


def metric_rows(result: dict) -> list[dict]:
    """One row per metric any set measured: name, direction, and per set value, threshold and verdict."""
    sets = result["sets"]
    rows = []
    for key, (name, higher) in METRICS.items():
        if not any(key in s["metrics"] for s in sets.values()):
            continue
        cells = []
        for s in sets.values():
            value = s["metrics"].get(key)
            limit = s["thresholds"].get(key, s["thresholds"].get(f"max_{key}"))
            ok = None if limit is None or value is None else (value >= limit if higher else value <= limit)
            cells.append({"value": "–" if value is None else value, "limit": limit, "ok": ok})
        rows.append({"key": key, "name": name, "direction": "höher ist besser" if higher else "niedriger ist besser",
                     "cells": cells})
    return rows


def category_value(group: dict, key: str):
    """A category's value, or '–' where the metric does not apply (no answerable or no unanswerable items)."""
    if key in ("fact_recall", "items_fully_correct", "hit_at_5", "false_refusal_rate", "median_answer_words") \
            and not group["answerable"]:
        return "–"
    if key == "refusal_recall" and not group["unanswerable"]:
        return "–"
    return group.get(key, "–")


def failing(result: dict) -> list[dict]:
    return [dict(r, set=name) for name, s in result["sets"].items() for r in s["rows"] if r["failed"]]


def terminal_table(result: dict) -> str:
    names = list(result["sets"])
    lines = [f"{'Metrik':<40}" + "".join(f"{n[:20]:>24}" for n in names)]
    for row in metric_rows(result):
        cells = ""
        for cell in row["cells"]:
            mark = {True: " ✓", False: " ✗", None: ""}[cell["ok"]]
            limit = f" ({'≥' if row['direction'].startswith('höher') else '≤'}{cell['limit']})" if cell["limit"] is not None else ""
            cells += f"{str(cell['value']) + limit + mark:>24}"
        lines.append(f"{row['name'][:39]:<40}{cells}")
    bad = failing(result)
    if bad:
        lines += ["", f"{len(bad)} Fragen nicht bestanden (Liste in eval/reports/latest.html)"]
    verdict = "OK: alle Schwellen erreicht" if not result["failed_thresholds"] else \
        "NICHT BESTANDEN: " + "; ".join(result["failed_thresholds"])
    return "\n".join(lines + ["", verdict])


def markdown(result: dict) -> str:
    names = list(result["sets"])
    out = ["# Evaluation Rathaus-Chat", "",
           "Sets: " + "; ".join(f"**{n}** – {s['title']} ({s['metrics']['items']} Fragen)" for n, s in result["sets"].items()),
           "", "| Metrik | Richtung | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for row in metric_rows(result):
        cells = [f"{c['value']}" + (f" (Schwelle {c['limit']}) {'✓' if c['ok'] else '✗'}" if c["limit"] is not None else "")
                 for c in row["cells"]]
        out.append(f"| {row['name']} | {row['direction']} | " + " | ".join(cells) + " |")
    out += ["", "Schwellen: " + ("alle erreicht" if not result["failed_thresholds"] else "; ".join(result["failed_thresholds"]))]
    bad = failing(result)
    out += ["", f"## Nicht bestandene Fragen ({len(bad)})", "", "| Set | id | Frage | erwartet | Antwort | Grund |",
            "|---|---|---|---|---|---|"]
    for r in bad:
        answer = r["answer"].replace("\n", " ").replace("|", "\\|")
        out.append(f"| {r['set']} | {r['id']} | {r['question']} | {', '.join(r.get('facts', [])) or '(ablehnen)'} | "
                   f"{answer[:300]} | {'; '.join(r['failed'])} |")
    for name, s in result["sets"].items():
        out += ["", f"## {name}: nach Kategorie", "", "| | " + " | ".join(h for _, h in CATEGORY_COLUMNS) + " |",
                "|---|" + "---|" * len(CATEGORY_COLUMNS)]
        for category, m in s["by_category"].items():
            out.append(f"| {category} | " + " | ".join(str(category_value(m, k)) for k, _ in CATEGORY_COLUMNS) + " |")
        problems = [r for r in s.get("promise_rows", []) if r["problems"]]
        if problems:
            out += ["", f"### {name}: Versprechen, Abweichungen vom Goldstandard", "", "| Dokument | Satz | Abweichung |",
                    "|---|---|---|"]
            out += [f"| {r['doc']} | {r['text']} | {'; '.join(r['problems'])} |" for r in problems]
    return "\n".join(out) + "\n"


def category_chart(set_result: dict) -> str:
    """Fact recall and fully-correct share per category (categories without answerable items left
    out rather than drawn as zero), as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {n: m for n, m in set_result["by_category"].items() if m["answerable"]}
    names = list(groups)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [groups[n]["fact_recall"] for n in names], width=0.4, label="Fakten-Recall")
    ax.bar([i + 0.2 for i in x], [groups[n]["items_fully_correct"] for n in names], width=0.4, label="vollständig richtig")
    ax.set_xticks(list(x), names, rotation=35, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title(f"{set_result['name']}: Ergebnis nach Kategorie (beantwortbare Fragen)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def html_report(result: dict) -> str:
    env = Environment(loader=PackageLoader("eval", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["answer_html"] = answer_html
    return env.get_template("report.html").render(
        result=result, metrics=metric_rows(result), failing=failing(result), columns=CATEGORY_COLUMNS,
        charts={name: category_chart(s) for name, s in result["sets"].items()}, category_value=category_value)


def write_reports(result: dict, folder: Path = REPORTS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "latest.md", folder / "latest.html", folder / "latest.json"]
    paths[0].write_text(markdown(result), encoding="utf-8")
    paths[1].write_text(html_report(result), encoding="utf-8")
    paths[2].write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths
