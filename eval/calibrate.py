"""Fit the refusal thresholds (`answer.min_support`, `answer.max_unknown_share`,
`answer.rescue_dense`, `answer.min_typed_support`) on all evaluation sets together, never on one.

`python -m eval.calibrate` ingests each set (as `rathaus eval` does), records for every question
the signals the refusal is decided on, and searches a grid for the thresholds that refuse the most
unanswerable questions while no set refuses more than `--max-false` (2 %) of its answerable ones. It
prints the chosen values and, per set, refusal recall and false refusals, so they can be put into
`assistant/settings.py` with their evidence.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass

from assistant.answer_types import CHECKABLE


@dataclass(frozen=True)
class Signals:
    set: str
    item: str
    answerable: bool
    support: float
    unknown: float
    dense: float
    typed: float
    checkable: bool
    has_hits: bool


def collect(settings, names: list[str] | None = None) -> list[Signals]:
    """The refusal signals of every question of the selected sets, from their own data directories."""
    from assistant.compose import score_candidates
    from assistant.wiring import build_assistant, build_embedder, build_search_index, run_ingest
    from eval.dataset import load_items
    from eval.sets import selected

    embedder = build_embedder(settings)
    out = []
    for eval_set in selected(names):
        s = settings.model_copy(update={"data_dir": settings.data_dir / "eval" / eval_set.name, "corpus_dir": eval_set.corpus})
        run_ingest(s, embedder=embedder, progress=False)
        assistant = build_assistant(s, build_search_index(s, embedder))
        for item in load_items(eval_set.questions):
            plan = assistant.plan(item.question, item.history)
            if plan.injection or assistant.promises.understand(plan.resolved):
                continue  # decided by other rules
            hits = assistant.retrieve(plan)
            candidates = score_candidates(assistant.index, plan, hits, assistant.glossary) if hits else []
            e = assistant.evidence(plan, hits, candidates)
            out.append(Signals(eval_set.name, item.id, item.answerable, e.support, e.unknown, e.dense, e.typed,
                               plan.wanted in CHECKABLE, bool(candidates)))
    return out


def refuses(s: Signals, min_support: float, max_unknown: float, rescue: float, min_typed: float) -> bool:
    """The same decision as `Assistant.refusal_reason`, on recorded signals."""
    if not s.has_hits or s.support < min_support:
        return True
    if s.unknown > max_unknown and s.dense < rescue:
        return True
    return s.checkable and s.typed < min_typed


def rates(signals: list[Signals], params) -> dict[str, tuple[float, float]]:
    """Per set: (refusal recall, false refusal rate)."""
    out = {}
    for name in sorted({s.set for s in signals}):
        mine = [s for s in signals if s.set == name]
        bad = [s for s in mine if not s.answerable]
        good = [s for s in mine if s.answerable]
        out[name] = (sum(refuses(s, *params) for s in bad) / max(len(bad), 1),
                     sum(refuses(s, *params) for s in good) / max(len(good), 1))
    return out


def fit(signals: list[Signals], max_false: float = 0.02):
    """Grid search: the most refused unanswerable questions over all sets, no set above `max_false`
    false refusals; ties go to fewer false refusals, then to the milder thresholds."""
    grid = itertools.product([x / 100 for x in range(5, 65, 5)], [x / 100 for x in range(20, 65, 5)],
                             [0.86, 0.88, 0.90, 0.92, 1.01], [x / 10 for x in range(0, 9)])
    best, best_key = None, None
    for params in grid:
        r = rates(signals, params)
        if any(false > max_false for _, false in r.values()):
            continue
        key = (sum(recall for recall, _ in r.values()), -sum(false for _, false in r.values()),
               -params[0], params[1], -params[3])
        if best_key is None or key > best_key:
            best, best_key = params, key
    return best


def main(argv: list[str] | None = None) -> None:
    from assistant.settings import load_settings

    parser = argparse.ArgumentParser(description="Fit the refusal thresholds on all evaluation sets together.")
    parser.add_argument("--set", action="append", help="only these sets (default: all)")
    parser.add_argument("--max-false", type=float, default=0.02, help="most false refusals allowed in any set")
    args = parser.parse_args(argv)
    settings = load_settings()
    signals = collect(settings, args.set)
    current = (settings.answer.min_support, settings.answer.max_unknown_share, settings.answer.rescue_dense,
               settings.answer.min_typed_support)
    best = fit(signals, args.max_false)
    for label, params in (("current", current), ("fitted", best)):
        if params is None:
            print(f"{label}: no thresholds meet the false-refusal limit")
            continue
        print(f"{label}: min_support={params[0]} max_unknown_share={params[1]} rescue_dense={params[2]} "
              f"min_typed_support={params[3]}")
        for name, (recall, false) in rates(signals, params).items():
            print(f"  {name}: refusal recall {recall:.3f}, false refusals {false:.3f}")


if __name__ == "__main__":
    main()
