"""`rathaus`: the command-line front door. Every subcommand lives here, named for what it does:

ingest · docs · search · ask · promises · eval · serve

Each one loads the settings once, asks the components built in `assistant.wiring`, and prints.
Errors become one German line starting with `Fehler:` and a non-zero exit; nothing below this
module prints or exits. Text from documents is printed with control characters escaped.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

from index.errors import RathausError

log = logging.getLogger("rathaus")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """Text for the terminal: control characters (escape sequences, carriage returns) made visible."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


# -- ingest, docs, search ------------------------------------------------------------------------
def cmd_ingest(args, settings) -> int:
    from assistant.wiring import run_ingest

    report = run_ingest(settings, [Path(p) for p in args.paths] or None, prune=not args.no_prune,
                        rebuild=args.rebuild, progress=not args.json)
    if args.json:
        print_json({"added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                    "removed": report.removed, "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
                    "chunks_embedded": report.chunks_embedded, "chunks_total": report.chunks_total,
                    "seconds": round(report.seconds, 3)})
    else:
        for file, reason in report.skipped:
            print(safe(f"übersprungen: {file}: {reason}"))
        print(report.summary())
    return 0


def cmd_import(args, settings) -> int:
    from assistant.wiring import run_ingest
    from index.oparl import OParlOptions, import_oparl

    options = OParlOptions(timeout=args.timeout, delay=args.delay)
    report = import_oparl(args.url, settings.data_dir, body=args.body, since=args.since, limit=args.limit,
                          options=options)
    for oparl_id, reason in report.skipped:
        print(safe(f"übersprungen: {oparl_id}: {reason}"), file=sys.stderr)
    print(safe(report.summary()))
    ingested = run_ingest(settings, [report.folder], progress=False)  # prunes only this endpoint's documents
    for file, reason in ingested.skipped:
        print(safe(f"übersprungen: {file}: {reason}"))
    print(ingested.summary())
    return 0


def document_row(doc) -> dict:
    meta = doc.meta
    return {"doc_id": meta.doc_id, "title": meta.title, "publisher": meta.publisher, "date": meta.date,
            "date_display": meta.date_display(), "type": meta.doc_type, "chunks": len(doc.chunk_ids),
            "file": meta.source_file, "reference": meta.reference, "ocr": meta.ocr,
            "origin": {name: meta.origin(name) for name in ("title", "publisher", "date", "doc_type")},
            "origin_detail": dict(meta.origins)}


def cmd_docs(args, settings) -> int:
    from assistant.wiring import build_search_index

    index = build_search_index(settings)
    if args.action == "show":
        return show_document(index, args.doc_id, args.json)
    rows = [document_row(doc) for doc in index.documents_by_date()]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        ocr = "  [Text per Texterkennung]" if r["ocr"] else ""
        print(safe(f"{r['doc_id']:<28} {r['date_display']:<24} {r['type']:<18} {r['chunks']:>4} Abschnitte  "
                   f"{r['title']} – {r['publisher']}{ocr}"))
    return 0


def show_document(index, doc_id: str | None, as_json: bool) -> int:
    if not doc_id or doc_id not in index.documents:
        raise RathausError(f"unbekannte Dokument-ID '{doc_id}'; `rathaus docs` listet die IDs")
    doc = index.documents[doc_id]
    chunks = index.document_chunks(doc_id)
    if as_json:
        print_json(document_row(doc) | {"text": doc.text, "chunks": [
            {"chunk_id": c.chunk_id, "section": c.section, "section_path": c.section_path, "is_comment": c.is_comment,
             "start": c.start, "end": c.end, "text": c.text} for c in chunks]})
        return 0
    meta = doc.meta
    print(safe(f"# {meta.title}\n{meta.publisher}, {meta.date_display()}, {meta.doc_type}"
               + ("\nText per Texterkennung: Zitate können Erkennungsfehler enthalten." if meta.ocr else "") + "\n"))
    print(safe(doc.text))
    print("\n--- Abschnitte ---")
    for c in chunks:
        flag = " [Leserkommentar]" if c.is_comment else ""
        print(safe(f"\n[{c.chunk_id}] {c.section_path}{flag}\n{c.text}"))
    return 0


def cmd_search(args, settings) -> int:
    from assistant.wiring import build_search_index
    from index.retrieve import Filters

    question = checked_question(args.question, settings)
    index = build_search_index(settings)
    filters = Filters(tuple(args.doc or ()), tuple(args.type or ()), tuple(args.publisher or ()))
    hits = index.search(question, k=args.k, filters=filters)
    rows = [{"rank": i + 1, "chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "title": h.meta.title,
             "section": h.chunk.section_path, "score": round(h.score, 5), "dense": round(h.dense, 4),
             "bm25": round(h.lexical, 3), "text": h.chunk.text} for i, h in enumerate(hits)]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(safe(f"{r['rank']:>2}. {r['score']:.4f}  {r['doc_id']} – {r['section']}\n    {r['text'][:220]}…"))
    return 0


# -- ask -----------------------------------------------------------------------------------------
def checked_question(question, settings) -> str:
    """The question, or a German error for one that is not a string, empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise RathausError("keine Frage angegeben: rathaus ask \"Frage\" (oder --jsonl DATEI)")
    limit = settings.app.max_question_chars
    if len(question) > limit:
        raise RathausError(f"die Frage ist zu lang ({len(question)} Zeichen, höchstens {limit})")
    return question


def jsonl_request(line: str, settings) -> tuple[str, list[str]]:
    """One `{"question": …, "history": […]}` line, checked; a German error says what is wrong."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise RathausError(f"kein gültiges JSON ({type(exc).__name__})") from None
    if not isinstance(request, dict):
        raise RathausError("erwartet ein JSON-Objekt mit 'question'")
    history = request.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise RathausError("'history' muss eine Liste von Texten sein")
    return checked_question(request.get("question"), settings), history


def cmd_ask(args, settings) -> int:
    from assistant.wiring import build_assistant

    if args.jsonl:
        assistant = build_assistant(settings)
        return ask_jsonl(assistant, args.jsonl, settings)
    question = checked_question(args.question, settings)
    assistant = build_assistant(settings)
    answer = assistant.ask(question, args.history or [])
    if args.json:
        print_json(answer.to_dict())
        return 0
    print(safe(answer.text))
    if answer.notice:
        print(safe(f"\nHinweis: {answer.notice}"))
    if answer.sources:
        print("\nQuellen")
        for source in answer.sources:
            print(safe(source.line()))
    return 0


def ask_jsonl(assistant, name: str, settings) -> int:
    """Answer one request per line; a bad line is reported with its number and the batch goes on."""
    source = sys.stdin if name == "-" else _open_text(name)
    failed = answered = 0
    with source:
        for number, line in enumerate(source, 1):
            line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            try:
                question, history = jsonl_request(line, settings)
            except RathausError as exc:
                print(f"Fehler: Zeile {number} von {name}: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(json.dumps(assistant.ask(question, history).to_dict(), ensure_ascii=False), flush=True)
            answered += 1
    print(f"{answered} beantwortet, {failed} fehlerhafte Zeilen", file=sys.stderr)
    return 1 if failed else 0


def _open_text(name: str):
    try:
        return open(name, encoding="utf-8-sig")
    except OSError as exc:
        raise RathausError(f"Datei '{name}' nicht lesbar ({exc.strerror})") from None


# -- promises, eval, serve -----------------------------------------------------------------------
def cmd_promises(args, settings) -> int:
    from assistant.promise_list import select, to_csv
    from assistant.wiring import build_search_index

    index = build_search_index(settings)  # IndexMissing / IndexOutOfDate with a clear message
    documents = index.documents
    if args.doc and args.doc not in documents:
        raise RathausError(f"kein Dokument '{args.doc}' im Index (siehe: rathaus docs)")
    promises = index.promises_with_status()  # what became of each statement: found by searching later documents
    found = select(promises, actor=args.actor or "", topic=args.topic or "", doc=args.doc or "",
                   kind=args.kind or "", text=args.search or "", include_achieved=args.all, status=args.status or "")
    if args.json:
        print(json.dumps([p.to_dict() for p in found], ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write("\ufeff" + to_csv(found, lambda d: documents[d].meta.title,
                                            lambda d: documents[d].meta.date_display()))
    else:
        for p in found:
            meta = documents[p.doc_id].meta
            stand = "".join(f"\n  Beleg ({e['date']}, {documents[e['doc_id']].meta.title}): „{e['quote']}“"
                            for e in p.evidence)
            print(safe(f"[{p.topic}] {p.actor} – {p.kind} – Stand: {p.status}\n  „{p.statement}“\n  {meta.title} "
                       f"({meta.date_display()}), Abschnitt „{p.section}“; erkannt an: {p.reason}{stand}\n"))
        print(f"{len(found)} Aussagen")
    return 0


def cmd_eval(args, settings) -> int:
    from eval.report import terminal_table, write_reports
    from eval.runner import run_sets

    judge = None
    if args.judge:
        from assistant.llm import build_llm
        from eval.judge import Judge

        if settings.llm.mode == "none":
            raise RathausError("--judge braucht ein LLM: llm.mode, llm.base_url und llm.model setzen "
                               "(RATHAUS_LLM__MODE=openai, RATHAUS_LLM__BASE_URL, RATHAUS_LLM__MODEL)")
        judge = Judge(build_llm(settings.llm).llm)
    result = run_sets(settings, args.set or None, compare=args.compare, judge=judge)
    paths = write_reports(result, Path(args.out)) if args.out else write_reports(result)
    print(terminal_table(result))
    print("Berichte: " + ", ".join(str(p) for p in paths))
    return 1 if result["failed_thresholds"] else 0


def cmd_serve(args, settings) -> int:
    import app

    app.serve(settings, args.host or settings.app.host, settings.app.port if args.port is None else args.port)
    return 0


# -- the parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rathaus", description="Rathaus-Chat: Fragen zu kommunalpolitischen Dokumenten.")
    parser.add_argument("-v", "--verbose", action="store_true", help="Details nach stderr protokollieren")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="Index aus Dokumenten bauen oder aktualisieren")
    p.add_argument("paths", nargs="*", help="Dateien oder Ordner (Standard: corpus/)")
    p.add_argument("--rebuild", action="store_true", help="Index verwerfen und neu bauen")
    p.add_argument("--no-prune", action="store_true", help="Dokumente behalten, die nicht unter PATHS liegen")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("import", help="Dokumente aus einem Ratsinformationssystem importieren (OParl)")
    p.add_argument("kind", choices=["oparl"], help="Art der Quelle")
    p.add_argument("url", help="URL des OParl-Systems, z. B. https://…/oparl/v1/system")
    p.add_argument("--body", help="nur diese Körperschaft (ID oder Kurzname)")
    p.add_argument("--since", help="nur seit diesem Zeitpunkt geänderte Objekte (ISO, z. B. 2025-01-01)")
    p.add_argument("--limit", type=int, help="höchstens so viele Drucksachen und Sitzungen je Körperschaft")
    p.add_argument("--timeout", type=float, default=20.0, help="Sekunden je Anfrage (Standard 20)")
    p.add_argument("--delay", type=float, default=0.2, help="Pause zwischen Anfragen in Sekunden (Standard 0.2)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("docs", help="indexierte Dokumente auflisten, oder `docs show ID`")
    p.add_argument("action", nargs="?", choices=["show"], help="ein Dokument mit seinen Abschnitten zeigen")
    p.add_argument("doc_id", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("search", help="gerankte Passagen zu einer Frage")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=8, choices=range(1, 101), metavar="K")
    p.add_argument("--doc", action="append", help="nur diese Dokument-ID (mehrfach möglich)")
    p.add_argument("--type", action="append", help="nur dieser Dokumenttyp (mehrfach möglich)")
    p.add_argument("--publisher", action="append", help="nur dieser Herausgeber (mehrfach möglich)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="eine Frage mit Quellen beantworten")
    p.add_argument("question", nargs="?")
    p.add_argument("--history", action="append", help="eine frühere Frage des Chats (mehrfach, älteste zuerst)")
    p.add_argument("--json", action="store_true", help="ein JSON-Objekt")
    p.add_argument("--jsonl", metavar="DATEI", help="eine JSON-Anfrage pro Zeile beantworten ('-' = stdin)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("promises", help="Absichtserklärungen (wer hat was versprochen), filterbar")
    p.add_argument("--actor", help="Teil des Akteursnamens, z. B. Kalouti, Grüne")
    p.add_argument("--topic", help="Politikfeld oder Teil davon, z. B. Wohnen, Mobilität")
    p.add_argument("--doc", help="Dokument-ID")
    p.add_argument("--kind", help="Ziel/Vorhaben, Forderung an die Verwaltung, Prüfauftrag, erreicht")
    p.add_argument("--status", choices=["umgesetzt", "in Arbeit", "geändert/verworfen", "offen"],
                   help="nur Aussagen mit diesem Stand (was aus ihnen wurde)")
    p.add_argument("--search", help="Wörter in der Aussage")
    p.add_argument("--all", action="store_true", help="auch Erreichtes (Art „erreicht“)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="eine JSON-Liste")
    out.add_argument("--csv", action="store_true", help="CSV mit Kopfzeile")
    p.set_defaults(func=cmd_promises)

    p = sub.add_parser("eval", help="die Evaluationssets prüfen und eval/reports/latest.* schreiben")
    p.add_argument("--set", action="append", help="nur dieses Set (mehrfach möglich; Standard: alle)")
    p.add_argument("--compare", action="store_true", help="auch BM25, dense und Standard-llama-index messen")
    p.add_argument("--out", help="Berichtsordner (Standard eval/reports)")
    p.add_argument("--judge", action="store_true", help="zusätzlich das eingestellte LLM Treue und Richtigkeit prüfen lassen")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="die Web-App starten")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.INFO if args.verbose else logging.WARNING)  # it sets DEBUG itself
    try:
        from assistant.settings import load_settings

        return args.func(args, load_settings())
    except RathausError as exc:
        print(safe(f"Fehler: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("abgebrochen", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rathaus promises --csv | head`: the reader has enough, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the edge: a German line instead of a traceback; details with -v
        log.debug("internal error", exc_info=True)
        if args.verbose:
            log.exception("internal error")
        print(safe(f"Fehler: interner Fehler ({type(exc).__name__}); Details mit `rathaus -v …`"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
