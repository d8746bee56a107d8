"""Subcommands of the answering side: ask, eval, serve (registered into the main parser)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.errors import RathausError


def cmd_ask(args, settings) -> int:
    from assistant.wiring import build_assistant

    assistant = build_assistant(settings)
    if args.jsonl:
        source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
        with source:
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                    question, history = request["question"], list(request.get("history", []))
                except (ValueError, KeyError, TypeError) as exc:
                    raise RathausError(f"line {number} of {args.jsonl} is not a JSON object with 'question': {exc}") from None
                print(json.dumps(assistant.ask(question, history).to_dict(), ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        raise RathausError("no question given: rathaus ask \"Frage\" (or --jsonl FILE)")
    answer = assistant.ask(args.question, args.history or [])
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.notice:
        print(f"\nHinweis: {answer.notice}")
    if answer.sources:
        print("\nQuellen")
        for source in answer.sources:
            print(source.line())
    return 0


def cmd_eval(args, settings) -> int:
    from assistant.wiring import build_assistant
    from eval.report import terminal_table, write_reports
    from eval.runner import run_eval
    from index.load import discover

    assistant = build_assistant(settings)
    files = None
    if args.compare:
        files = {}
        for path, entry in discover([settings.corpus_dir]):
            doc_id = (entry or {}).get("id") or path.stem
            files[doc_id] = path.read_text(encoding="utf-8", errors="replace")
    judge = None
    if args.judge:
        from assistant.llm import build_llm
        from eval.judge import Judge

        if settings.llm.mode == "none":
            raise RathausError("--judge needs an LLM: set llm.mode, llm.base_url and llm.model "
                               "(RATHAUS_LLM__MODE=openai, RATHAUS_LLM__BASE_URL, RATHAUS_LLM__MODEL)")
        judge = Judge(build_llm(settings.llm).llm)
    result = run_eval(assistant, compare=args.compare, corpus_files=files, judge=judge)
    paths = write_reports(result, Path(args.out)) if args.out else write_reports(result)
    print(terminal_table(result))
    print("Berichte: " + ", ".join(str(p) for p in paths))
    return 1 if result["failed_thresholds"] else 0


def cmd_promises(args, settings) -> int:
    from assistant.promise_list import select, to_csv
    from assistant.wiring import build_embedder, build_store
    from index.promises import stored_promises

    store = build_store(settings, build_embedder(settings))
    store.chunks()  # IndexMissing / IndexOutOfDate with a clear message
    documents = {d.meta.doc_id: d for d in store.all_documents()}  # the statements live there: no BM25 to load
    if args.doc and args.doc not in documents:
        raise RathausError(f"no document '{args.doc}' in the index (see: rathaus docs)")
    found = select(stored_promises(documents.values()), actor=args.actor or "", topic=args.topic or "", doc=args.doc or "",
                   kind=args.kind or "", text=args.search or "", include_achieved=args.all)
    if args.json:
        print(json.dumps([p.to_dict() for p in found], ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(to_csv(found))
    else:
        for p in found:
            meta = documents[p.doc_id].meta
            print(f"[{p.topic}] {p.actor} – {p.kind}\n  „{p.statement}“\n  {meta.title} ({meta.date_display()}), "
                  f"Abschnitt „{p.section}“; erkannt an: {p.reason}\n")
        print(f"{len(found)} Aussagen")
    return 0


def cmd_serve(args, settings) -> int:
    import app

    app.main(["--host", args.host or settings.app.host, "--port", str(args.port or settings.app.port)])
    return 0


def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question", nargs="?")
    p.add_argument("--history", action="append", help="an earlier question of the chat (repeatable, oldest first)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--jsonl", metavar="FILE", help="answer one JSON request per line ('-' = stdin)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="run the known-answer set and write eval/reports/latest.*")
    p.add_argument("--compare", action="store_true", help="also run BM25, dense and stock llama-index baselines")
    p.add_argument("--out", help="report folder (default eval/reports)")
    p.add_argument("--judge", action="store_true", help="also let the configured LLM judge faithfulness and correctness")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("promises", help="statements of intent (who promised what), filterable")
    p.add_argument("--actor", help="part of the actor's name, e.g. Kalouti, Grüne")
    p.add_argument("--topic", help="policy area or part of it, e.g. Wohnen, Mobilität")
    p.add_argument("--doc", help="document id")
    p.add_argument("--kind", help="Ziel/Vorhaben, Forderung an die Verwaltung, Prüfauftrag, erreicht")
    p.add_argument("--search", help="words in the statement")
    p.add_argument("--all", action="store_true", help="include past achievements (kind 'erreicht')")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="a JSON list")
    out.add_argument("--csv", action="store_true", help="CSV with a header row")
    p.set_defaults(func=cmd_promises)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
