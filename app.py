"""Rathaus-Chat web app: `python app.py [--host H] [--port P]` (or `rathaus serve`).

Thin: builds the index (incrementally), composes the tabs from `ui/`, and launches Gradio.
"""

from __future__ import annotations

import argparse
import logging
import sys

import gradio as gr

from assistant.settings import Settings, load_settings
from index.errors import RathausError
from ui import server
from ui.api import add_ask_endpoint, busy_check
from ui.chat import chat_tab
from ui.documents import documents_tab
from ui.present import NOTICE, document_html, overview_label, overview_markdown
from ui.promises import promises_tab

log = logging.getLogger("rathaus.app")


def build_app(assistant, settings: Settings) -> gr.Blocks:
    index = assistant.index
    documents = index.documents_by_date()

    def render_document(doc_id: str, start: int = 0, end: int = 0) -> str:
        stored = index.documents.get(doc_id)
        if stored is None:
            return "<p>Dokument nicht gefunden.</p>"
        meta = stored.meta
        return document_html(meta.title, f"{meta.publisher}, {meta.date_display()}, {meta.doc_type}", stored.text,
                             start, end, meta.ocr)

    temp = server.temp_dir(settings.data_dir)  # Gradio's temp files under the data directory, emptied at start
    with gr.Blocks(title="Rathaus-Chat", delete_cache=(600, 600)) as app:
        not_busy = busy_check(app, settings.app.max_queue_size)
        gr.Markdown("# Rathaus-Chat")
        gr.Markdown(f"Fragen zu kommunalpolitischen Dokumenten – jede Antwort mit Quellen. _{NOTICE}_", elem_id="rc-notice")
        with gr.Accordion(overview_label(documents), open=False, elem_id="rc-overview"):
            gr.Markdown(overview_markdown(documents))
        with gr.Tab("Chat"):
            chat_tab(assistant, settings, documents, render_document, not_busy)
        with gr.Tab("Versprechen") as tab:
            promises_tab(tab, index, documents, render_document, temp / "exports")
        with gr.Tab("Dokumente"):
            documents_tab(documents, render_document)
        add_ask_endpoint(assistant, settings, not_busy)
    # Gradio's own limit (an English "busy" message) lies above ours, which answers in German first.
    app.queue(default_concurrency_limit=settings.app.concurrency_limit, max_size=2 * settings.app.max_queue_size)
    return app


def prepare(settings: Settings):
    """Build or update the index (incremental; a no-op when nothing changed), then the assistant."""
    from assistant.wiring import build_assistant, build_embedder, build_search_index, run_ingest

    embedder = build_embedder(settings)
    report = run_ingest(settings, embedder=embedder, progress=False)
    log.info("index: %s", report.summary())
    return build_assistant(settings, build_search_index(settings, embedder))


def launch(app: gr.Blocks, settings: Settings, host: str, port: int, block: bool = True):
    """Serve the app behind our HTTP guard (`ui.server`): body limit, closed upload route, same-origin
    POSTs, a Content-Security-Policy, timeouts for slow clients. Returns the running server."""
    return server.run(app, settings, host, port, block)


def serve(settings: Settings, host: str, port: int) -> None:
    """Prepare the index and serve the app until interrupted (`rathaus serve`, `python app.py`)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    launch(build_app(prepare(settings), settings), settings, host, port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rathaus-Chat web app")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        serve(settings, args.host or settings.app.host, settings.app.port if args.port is None else args.port)
    except RathausError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
