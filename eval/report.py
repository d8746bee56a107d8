"""Reports of an evaluation run: terminal table, Markdown, HTML (with a chart per category), JSON."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from eval.dataset import EVAL_DIR

REPORTS = EVAL_DIR / "reports"
METRIC_NAMES = {
    "hit_at_1": "Treffer@1", "hit_at_5": "Treffer@5", "mrr_at_10": "MRR@10", "fact_recall": "Fakten-Recall",
    "items_fully_correct": "vollständig richtig", "cites_expected_document": "zitiert erwartetes Dokument",
    "citations_to_unexpected_documents": "Zitate auf fremde Dokumente", "verbatim_quotes": "wörtliche Zitate",
    "refusal_recall": "Ablehnung (unbeantwortbar)", "false_refusal_rate": "falsche Ablehnungen",
    "latency_p50_ms": "Latenz p50 (ms)", "latency_p95_ms": "Latenz p95 (ms)",
    "promises_precision": "Versprechen: Präzision", "promises_recall": "Versprechen: Recall",
    "promises_actor_accuracy": "Versprechen: Akteur richtig", "promises_topic_accuracy": "Versprechen: Thema richtig",
    "promises_achieved_recall": "Erreichtes erkannt", "promises_achieved_listed_as_promise": "Erreichtes als Versprechen",
    "judge_faithful": "LLM-Richter: belegt", "judge_faithful_errors": "LLM-Richter: Fehler (belegt)",
    "judge_correct": "LLM-Richter: richtig", "judge_correct_errors": "LLM-Richter: Fehler (richtig)",
}


def shown_metrics(result: dict) -> list[tuple[str, str]]:
    """The named metrics this run has (the judge's only when it ran)."""
    return [(key, name) for key, name in METRIC_NAMES.items() if key in result["metrics"]]


def terminal_table(result: dict) -> str:
    lines = [f"{'Metrik':<32}{'Rathaus-Chat':>14}" + "".join(f"{n[:16]:>18}" for n in result.get("baselines", {}))]
    for key, name in shown_metrics(result):
        row = f"{name:<32}{result['metrics'][key]:>14}"
        for base in result.get("baselines", {}).values():
            value = base.get(key, "–")
            row += f"{value:>18}"
        lines.append(row)
    verdict = "OK: alle Schwellen erreicht" if not result["failed_thresholds"] else \
        "NICHT BESTANDEN: " + "; ".join(result["failed_thresholds"])
    return "\n".join(lines + ["", verdict])


def markdown(result: dict) -> str:
    out = ["# Evaluation Rathaus-Chat", "", f"{result['metrics']['items']} Fragen.", "", "## Gesamt", "",
           "| Metrik | Rathaus-Chat | " + " | ".join(result.get("baselines", {})) + " |",
           "|---|---|" + "---|" * len(result.get("baselines", {}))]
    for key, name in shown_metrics(result):
        out.append(f"| {name} | {result['metrics'][key]} | " +
                   " | ".join(str(b.get(key, "–")) for b in result.get("baselines", {}).values()) + " |")
    out += ["", "Schwellen: " + ("alle erreicht" if not result["failed_thresholds"] else "; ".join(result["failed_thresholds"]))]
    for title, key in (("Nach Kategorie", "by_category"), ("Nach Art", "by_kind")):
        out += ["", f"## {title}", "", "| | Fragen | Treffer@5 | Fakten-Recall | vollständig | Ablehnung | falsche Abl. |",
                "|---|---|---|---|---|---|---|"]
        for name, m in result[key].items():
            out.append(f"| {name} | {m['items']} | {m['hit_at_5']} | {m['fact_recall']} | {m['items_fully_correct']} | "
                       f"{m['refusal_recall']} | {m['false_refusal_rate']} |")
    problems = [r for r in result.get("promise_rows", []) if r["problems"]]
    if problems:
        out += ["", "## Versprechen: Abweichungen vom Goldstandard", "", "| Dokument | Satz | Abweichung |", "|---|---|---|"]
        out += [f"| {r['doc']} | {r['text']} | {'; '.join(r['problems'])} |" for r in problems]
    out += ["", "## Fragen", "", "| id | Frage | Antwort | Zitate | Fehler |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        answer = r["answer"].replace("\n", " ").replace("|", "\\|")
        out.append(f"| {r['id']} | {r['question']} | {answer[:300]} | {', '.join(r['cited'])} | "
                   f"{'; '.join(r['failed']) or '–'} |")
    return "\n".join(out) + "\n"


def category_chart(result: dict) -> str:
    """A bar chart of fact recall and refusal per category, as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["by_category"])
    recall = [result["by_category"][n]["fact_recall"] for n in names]
    correct = [result["by_category"][n]["items_fully_correct"] for n in names]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], recall, width=0.4, label="Fakten-Recall")
    ax.bar([i + 0.2 for i in x], correct, width=0.4, label="vollständig richtig")
    ax.set_xticks(list(x), names, rotation=35, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Ergebnis nach Kategorie")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def html_report(result: dict) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class='{'bad' if r['failed'] else 'ok'}'><td>{esc(r['id'])}</td><td>{esc(r['question'])}</td>"
        f"<td>{esc(r['answer']).replace(chr(10), '<br>')}</td><td>{esc(', '.join(r['cited']))}</td>"
        f"<td>{esc('; '.join(r['failed']) or '–')}</td></tr>" for r in result["rows"])
    bases = result.get("baselines", {})
    metrics = "".join(f"<tr><td>{esc(name)}</td><td>{result['metrics'][k]}</td>"
                      + "".join(f"<td>{b.get(k, '–')}</td>" for b in bases.values()) + "</tr>"
                      for k, name in shown_metrics(result))
    verdict = "alle Schwellen erreicht" if not result["failed_thresholds"] else "; ".join(result["failed_thresholds"])
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Evaluation Rathaus-Chat</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}}tr.bad{{background:#fff0f0}}</style></head>
<body><h1>Evaluation Rathaus-Chat</h1><p>{result['metrics']['items']} Fragen. Schwellen: {esc(verdict)}</p>
<table><tr><th>Metrik</th><th>Rathaus-Chat</th>{''.join(f'<th>{esc(n)}</th>' for n in bases)}</tr>{metrics}</table>
<img alt="Ergebnis nach Kategorie" src="data:image/png;base64,{category_chart(result)}">
<h2>Fragen</h2><table><tr><th>id</th><th>Frage</th><th>Antwort</th><th>Zitate</th><th>Fehler</th></tr>{rows}</table>
</body></html>"""


def write_reports(result: dict, folder: Path = REPORTS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "latest.md", folder / "latest.html", folder / "latest.json"]
    paths[0].write_text(markdown(result), encoding="utf-8")
    paths[1].write_text(html_report(result), encoding="utf-8")
    paths[2].write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths
