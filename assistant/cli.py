"""`rathaus`: ingest, inspect, search, ask, evaluate, serve. Errors become one clear line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from assistant.settings import load_settings
from index.errors import RathausError

log = logging.getLogger("rathaus")


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_ingest(args, settings) -> int:
    from assistant.wiring import run_ingest

    report = run_ingest(settings, [Path(p) for p in args.paths] or None, prune=not args.no_prune,
                        rebuild=args.rebuild, progress=not args.json)
    if args.json:
        _print_json({"added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                     "removed": report.removed, "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
                     "chunks_embedded": report.chunks_embedded, "chunks_total": report.chunks_total,
                     "seconds": round(report.seconds, 3)})
    else:
        for file, reason in report.skipped:
            print(f"skipped {file}: {reason}")
        print(report.summary())
    return 0


def cmd_docs(args, settings) -> int:
    from assistant.wiring import build_search_index

    index = build_search_index(settings)
    if args.action == "show":
        return _show_doc(index, args.doc_id, args.json)
    rows = []
    for doc in sorted(index.documents.values(), key=lambda d: d.meta.date, reverse=True):
        count = len(doc.chunk_ids)
        rows.append({"doc_id": doc.meta.doc_id, "title": doc.meta.title, "publisher": doc.meta.publisher,
                     "date": doc.meta.date, "date_display": doc.meta.date_display(), "type": doc.meta.doc_type,
                     "chunks": count})
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['doc_id']:<24} {r['date_display']:<24} {r['type']:<16} {r['chunks']:>4} Abschnitte  {r['title']}")
    return 0


def _show_doc(index, doc_id: str | None, as_json: bool) -> int:
    if not doc_id or doc_id not in index.documents:
        raise RathausError(f"unknown document id '{doc_id}'; `rathaus docs` lists the ids")
    doc = index.documents[doc_id]
    chunks = sorted((c for c in index.chunks.values() if c.doc_id == doc_id), key=lambda c: c.position)
    if as_json:
        _print_json({"doc_id": doc_id, "title": doc.meta.title, "text": doc.text,
                     "chunks": [{"chunk_id": c.chunk_id, "section": c.section, "section_path": c.section_path,
                                 "is_comment": c.is_comment, "start": c.start, "end": c.end, "text": c.text}
                                for c in chunks]})
        return 0
    print(f"# {doc.meta.title}\n{doc.meta.publisher}, {doc.meta.date_display()}\n")
    print(doc.text)
    print("\n--- Abschnitte ---")
    for c in chunks:
        flag = " [Leserkommentar]" if c.is_comment else ""
        print(f"\n[{c.chunk_id}] {c.section_path}{flag}\n{c.text}")
    return 0


def cmd_search(args, settings) -> int:
    from assistant.wiring import build_search_index
    from index.retrieve import Filters

    index = build_search_index(settings)
    filters = Filters(tuple(args.doc or ()), tuple(args.type or ()), tuple(args.publisher or ()))
    hits = index.search(args.question, k=args.k, filters=filters)
    rows = [{"rank": i + 1, "chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "title": h.meta.title,
             "section": h.chunk.section_path, "score": round(h.score, 5), "dense": round(h.dense, 4),
             "bm25": round(h.lexical, 3), "text": h.chunk.text} for i, h in enumerate(hits)]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['rank']:>2}. {r['score']:.4f}  {r['doc_id']} – {r['section']}\n    {r['text'][:220]}…")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rathaus", description="Rathaus-Chat: Fragen zu kommunalpolitischen Dokumenten.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from documents")
    p.add_argument("paths", nargs="*", help="files or folders (default: corpus/)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    p.add_argument("--no-prune", action="store_true", help="keep indexed documents that are not under PATHS")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", help="list indexed documents, or `docs show ID`")
    p.add_argument("action", nargs="?", choices=["show"], help="show one document with its chunks")
    p.add_argument("doc_id", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=8)
    p.add_argument("--doc", action="append", help="only this document id (repeatable)")
    p.add_argument("--type", action="append", help="only this document type (repeatable)")
    p.add_argument("--publisher", action="append", help="only this publisher (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    from assistant import cli_more

    cli_more.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args, load_settings())
    except RathausError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("abgebrochen", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rathaus promises --csv | head`: the reader has enough, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
