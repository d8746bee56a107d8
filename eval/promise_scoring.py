"""Score the extraction of statements of intent against the hand-labelled sentences in
`eval/promises_labelled.yaml`: precision and recall of commitments, accuracy of actor and topic,
recall of achievements and how many achievements were listed as promises."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from eval.dataset import EVAL_DIR
from index.promises import ACHIEVED, Promise

LABELS = EVAL_DIR / "promises_labelled.yaml"


@dataclass(frozen=True)
class Label:
    doc: str
    text: str
    commitment: bool
    achieved: bool = False
    actor: str = ""
    topic: str = ""


def load_labels(path=LABELS) -> list[Label]:
    return [Label(**item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]


def actor_matches(predicted: str, expected: str) -> bool:
    """Equal, or the same party where one side names the party and the other a person of it
    ("SPD" vs "SPD (Jens Peick)")."""
    if predicted == expected:
        return True
    party = lambda name: name.split(" (")[0]  # noqa: E731
    return party(predicted) == party(expected) and "(" in (predicted + expected) and \
        (party(predicted) == predicted or party(expected) == expected)


def find(label: Label, promises: list[Promise]) -> Promise | None:
    return next((p for p in promises if p.doc_id == label.doc and label.text in p.statement), None)


def score_promises(promises: list[Promise], labels: list[Label] | None = None, docs: set[str] | None = None) -> dict:
    labels = [l for l in (labels or load_labels()) if docs is None or l.doc in docs]
    rows, tp, fp, fn, actor_ok, topic_ok = [], 0, 0, 0, 0, 0
    achieved_found, achieved_as_promise, achieved_total = 0, 0, 0
    for label in labels:
        found = find(label, promises)
        predicted = found is not None and found.kind != ACHIEVED
        problems = []
        if label.commitment and predicted:
            tp += 1
            actor_ok += actor_matches(found.actor, label.actor)
            topic_ok += found.topic == label.topic
            if not actor_matches(found.actor, label.actor):
                problems.append(f"actor {found.actor!r}, expected {label.actor!r}")
            if found.topic != label.topic:
                problems.append(f"topic {found.topic!r}, expected {label.topic!r}")
        elif label.commitment:
            fn += 1
            problems.append("missed" if found is None else "marked as achieved")
        elif predicted:
            fp += 1
            problems.append(f"not a commitment, but extracted ({found.reason})")
        if label.achieved:
            achieved_total += 1
            achieved_found += found is not None and found.kind == ACHIEVED
            achieved_as_promise += predicted
        rows.append({"doc": label.doc, "text": label.text, "expected": label.commitment, "predicted": predicted,
                     "actor": found.actor if found else "", "topic": found.topic if found else "",
                     "kind": found.kind if found else "", "problems": problems})
    return {
        "labelled": len(labels),
        "promises_precision": round(tp / max(tp + fp, 1), 4),
        "promises_recall": round(tp / max(tp + fn, 1), 4),
        "promises_actor_accuracy": round(actor_ok / max(tp, 1), 4),
        "promises_topic_accuracy": round(topic_ok / max(tp, 1), 4),
        "promises_achieved_recall": round(achieved_found / max(achieved_total, 1), 4),
        "promises_achieved_listed_as_promise": round(achieved_as_promise / max(achieved_total, 1), 4),
        "rows": rows,
    }


FOLLOW_UP = EVAL_DIR / "followup_labelled.yaml"


def score_follow_through(promises: list[Promise], path=FOLLOW_UP) -> dict:
    """Status of statements of intent against `eval/followup_labelled.yaml`: precision of the statuses
    set (not `offen`), recall of the labelled ones, share of set statuses whose evidence is in the
    labelled document, accuracy over all pairs, statuses without evidence (must be 0)."""
    pairs = yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]
    found = []
    for pair in pairs:
        match = next((p for p in promises if p.doc_id == pair["doc"] and p.statement.startswith(pair["starts"])), None)
        found.append((pair, match))
    missing = [pair["starts"] for pair, match in found if match is None]
    predicted = [(pair, m) for pair, m in found if m is not None and m.status != "offen"]
    labelled = [(pair, m) for pair, m in found if pair["status"] != "offen"]
    right = [(pair, m) for pair, m in predicted if m.status == pair["status"]]
    with_evidence = [(pair, m) for pair, m in right if any(e["doc_id"] == pair.get("evidence") for e in m.evidence)]
    return {
        "followup_pairs": len(pairs),
        "followup_unmatched": len(missing),
        "followup_status_precision": round(len(right) / len(predicted), 4) if predicted else 1.0,
        "followup_status_recall": round(sum(1 for p, m in labelled if m and m.status == p["status"]) / len(labelled), 4)
        if labelled else 1.0,
        "followup_evidence_correct": round(len(with_evidence) / len(right), 4) if right else 1.0,
        "followup_accuracy": round(sum(1 for p, m in found if m and m.status == p["status"]) / len(pairs), 4),
        "followup_without_evidence": sum(1 for p in promises if p.status != "offen" and not p.evidence),
    }
