"""Rathaus-Chat web app: `python app.py [--host H] [--port P]`. Thin: builds the Blocks, calls the assistant."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import tempfile
from pathlib import Path

import gradio as gr

from assistant.present import NOTICE, answer_markdown, document_html, sources_html
from assistant.settings import Settings, load_settings
from assistant.types import Answer
from index.errors import IndexUnavailable, RathausError
from index.retrieve import Filters

log = logging.getLogger("rathaus.app")
EXAMPLES = [
    "Was hat der neue OB versprochen?",                       # citizen
    "Was sagt das Projektpapier zum ÖPNV?",                   # staff
    "Wie viele Mitarbeitende des KOD sind täglich im Einsatz?",
    "Wer entscheidet über den Verfügungsfonds der City?",
    "Wie wird das Wetter morgen?",                            # tester: must be refused
]
INTERNAL_ERROR = "Es ist ein interner Fehler aufgetreten. Bitte versuchen Sie es später erneut."
BUSY = "Gerade stellen sehr viele Menschen gleichzeitig Fragen. Bitte später erneut versuchen."
UNAVAILABLE = "Die Dokumentensuche ist gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut."
SCROLL_JS = "() => { setTimeout(() => document.getElementById('rc-cited')?.scrollIntoView({block: 'center'}), 300); }"


def waiting(app: gr.Blocks) -> int:
    """Events waiting in the app's queue. Gradio has no public accessor; its queue object supports len()."""
    queue = getattr(app, "_queue", None)
    return len(queue) if queue is not None else 0


def parse_history(history_json: str | None, limit: int, keep: int = 10) -> list[str]:
    """The earlier questions from the API's JSON list; anything else counts as no history."""
    try:
        history = json.loads(history_json or "[]")
    except (ValueError, RecursionError):
        return []
    if not isinstance(history, list):
        return []
    return [str(h)[:limit] for h in history if isinstance(h, (str, int, float))][-keep:]


def check_question(question: str, limit: int) -> str | None:
    """A friendly German message for input we do not answer, else None."""
    if not question or not question.strip():
        return "Bitte geben Sie eine Frage ein."
    if len(question) > limit:
        return f"Die Frage ist zu lang (höchstens {limit} Zeichen). Bitte kürzen Sie sie."
    return None


def message(question: str | None, text: str) -> Answer:
    """A reply that is not an answer from the documents (input problem or failure)."""
    return Answer(question=question or "", text=text, refused=True, mode="message")


def build_app(assistant, settings: Settings) -> gr.Blocks:
    index = assistant.index
    docs = sorted(index.documents.values(), key=lambda d: d.meta.date, reverse=True)
    limit = settings.app.max_question_chars

    def answer_parts(question: str, history: list[str], doc_ids, types, publishers, stream: bool = True):
        """The answer, or its growing parts; bad input and failures become German messages."""
        problem = check_question(question, limit)
        if problem:
            yield message(question, problem)
            return
        filters = Filters(tuple(doc_ids or ()), tuple(types or ()), tuple(publishers or ()))
        try:
            if stream:
                yield from assistant.stream(question.strip(), history, filters)
            else:
                yield assistant.ask(question.strip(), history, filters)
        except IndexUnavailable as exc:
            log.error("index unavailable: %s", exc)
            yield message(question, UNAVAILABLE)
        except RathausError as exc:
            log.warning("question failed: %s", exc)
            yield message(question, f"Das hat nicht geklappt: {exc}")
        except Exception:  # the edge: log the detail, show a German message, never a stack trace
            log.exception("internal error while answering %r", question)
            yield message(question, INTERNAL_ERROR)

    def api_ask(question: str, history_json: str = "[]") -> tuple[str, str]:
        """Public API: the answer text and the answer (with sources) as JSON."""
        *_, answer = answer_parts(question, parse_history(history_json, limit), [], [], [], stream=False)
        return answer.text, json.dumps(answer.to_dict(), ensure_ascii=False)

    def not_busy(*inputs):
        """Runs before an event is queued: a full queue gets a German message (on the question) instead of a wait."""
        ok = waiting(app) < settings.app.max_queue_size
        return [gr.validate(ok, BUSY)] + [gr.validate(True, "") for _ in inputs[1:]]

    def respond(question, chat, questions, doc_ids, types, publishers):
        """Streams the answer into the chat, then shows its sources."""
        chat = list(chat or []) + [{"role": "user", "content": question or ""}, {"role": "assistant", "content": ""}]
        for answer in answer_parts(question, list(questions or []), doc_ids, types, publishers):
            chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
            yield chat, questions, [], sources_html([]), gr.update(), ""
        if answer.mode != "message":
            questions = list(questions or []) + [question.strip()]
        choices = [(f"[{s.n}] {s.title} – {s.section}", str(i)) for i, s in enumerate(answer.sources)]
        yield (chat, questions, [s.__dict__ for s in answer.sources], sources_html(answer.sources),
               gr.update(choices=choices, value=choices[0][1] if choices else None), "")

    def render_document(doc_id: str, start: int = 0, end: int = 0) -> str:
        stored = index.documents.get(doc_id)
        if stored is None:
            return "<p>Dokument nicht gefunden.</p>"
        meta = stored.meta
        return document_html(meta.title, f"{meta.publisher}, {meta.date_display()}, {meta.doc_type}", stored.text,
                             start, end)

    def show_source(choice, sources):
        if choice is None or not sources:
            return gr.update()
        source = sources[int(choice)]
        return render_document(source["doc_id"], source["start"], source["end"])

    def show_document(doc_id):
        return render_document(doc_id) if doc_id else gr.update()

    with gr.Blocks(title="Rathaus-Chat") as app:
        gr.Markdown("# Rathaus-Chat\nFragen zu kommunalpolitischen Dokumenten – jede Antwort mit Quellen.")
        gr.Markdown(f"_{NOTICE}_", elem_id="rc-notice")
        with gr.Tab("Chat"):
            questions = gr.State([])
            sources = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Unterhaltung", height=480, buttons=["copy"], elem_id="rc-chat")
                    question = gr.Textbox(label="Ihre Frage", placeholder="z. B. Was hat der neue OB versprochen?",
                                          max_lines=4, elem_id="rc-question")
                    with gr.Row():
                        send = gr.Button("Fragen", variant="primary", elem_id="rc-send")
                        new = gr.Button("Neue Unterhaltung", elem_id="rc-new")
                    gr.Examples(EXAMPLES, inputs=question, label="Beispielfragen (Bürger, Verwaltung, Test)")
                with gr.Column(scale=2):
                    with gr.Accordion("Filter", open=False):
                        doc_filter = gr.Dropdown([(d.meta.title, d.meta.doc_id) for d in docs], multiselect=True, label="Dokumente")
                        type_filter = gr.Dropdown(sorted({d.meta.doc_type for d in docs}), multiselect=True, label="Dokumenttyp")
                        pub_filter = gr.Dropdown(sorted({d.meta.publisher for d in docs}), multiselect=True, label="Herausgeber")
                    gr.Markdown("### Quellen")
                    sources_view = gr.HTML(sources_html([]), elem_id="rc-sources")
                    pick = gr.Radio([], label="Quelle im Dokument anzeigen", elem_id="rc-pick")
                    viewer = gr.HTML("", elem_id="rc-viewer")
            outputs = [chat, questions, sources, sources_view, pick, question]
            inputs = [question, chat, questions, doc_filter, type_filter, pub_filter]
            send.click(respond, inputs, outputs, api_visibility="private", validator=not_busy).then(
                show_source, [pick, sources], viewer, api_visibility="private").then(None, js=SCROLL_JS)
            question.submit(respond, inputs, outputs, api_visibility="private", validator=not_busy).then(
                show_source, [pick, sources], viewer, api_visibility="private").then(None, js=SCROLL_JS)
            pick.change(show_source, [pick, sources], viewer, api_visibility="private").then(None, js=SCROLL_JS)
            new.click(lambda: ([], [], [], sources_html([]), gr.update(choices=[], value=None), ""), None,
                      [chat, questions, sources, sources_view, pick, viewer], api_visibility="private")
        with gr.Tab("Versprechen") as tab:
            promises_tab(tab, index, render_document)
        with gr.Tab("Dokumente"):
            gr.Dataframe(
                [[d.meta.title, d.meta.date_display(), d.meta.doc_type, d.meta.publisher, len(d.chunk_ids), d.meta.doc_id]
                 for d in docs],
                headers=["Titel", "Datum", "Typ", "Herausgeber", "Abschnitte", "ID"], interactive=False)
            doc_pick = gr.Dropdown([(d.meta.title, d.meta.doc_id) for d in docs], label="Dokument lesen")
            doc_view = gr.HTML("")
            doc_pick.change(show_document, doc_pick, doc_view, api_visibility="private")
        api_q = gr.Textbox(visible=False)
        api_h = gr.Textbox(visible=False)
        api_text = gr.Textbox(visible=False)
        api_json = gr.Textbox(visible=False)
        gr.Button(visible=False).click(api_ask, [api_q, api_h], [api_text, api_json], api_name="ask", validator=not_busy)
    # Gradio's own limit (an English "busy" message) lies above ours, which answers in German first.
    app.queue(default_concurrency_limit=settings.app.concurrency_limit, max_size=2 * settings.app.max_queue_size)
    return app


PROMISE_HEADERS = ["Akteur", "Thema", "Art", "Aussage", "Dokument", "Datum"]
ALL = "Alle"
PROMISE_SCROLL_JS = ("() => { setTimeout(() => document.querySelector('#rc-p-viewer #rc-cited')"
                     "?.scrollIntoView({block: 'center'}), 300); }")


def count_text(n: int) -> str:
    return "1 Aussage" if n == 1 else f"{n} Aussagen"


def promises_tab(tab: gr.Tab, index, render_document) -> None:
    """The Versprechen-Übersicht: who promised what, filterable, each row opens its source passage.
    It keeps no per-session state: the rows are recomputed from the filters (cheap), so thousands of
    sessions cost no memory here."""
    from assistant.promise_list import select, to_csv

    docs = sorted(index.documents.values(), key=lambda d: d.meta.date, reverse=True)
    export_dir = Path(tempfile.mkdtemp(prefix="rathaus-export-"))

    def matching(actor, topic, doc_id, kind, text):
        return select(index.promises, actor="" if actor == ALL else actor, topic="" if topic == ALL else topic,
                      doc="" if doc_id == ALL else doc_id, kind="" if kind == ALL else kind, text=text or "")

    def rows(found) -> list[list[str]]:
        return [[p.actor, p.topic, p.kind, p.statement, index.meta(p.doc_id).title, index.meta(p.doc_id).date_display()]
                for p in found]

    def export(found) -> str:
        """The selected rows as CSV (UTF-8 with BOM, so spreadsheet programs keep the umlauts)."""
        content = to_csv(found)
        path = export_dir / f"versprechen-{hashlib.sha256(content.encode()).hexdigest()[:10]}.csv"
        if not path.exists():
            path.write_text(content, encoding="utf-8-sig")
        return str(path)

    def refresh(*filters):
        found = matching(*filters)
        return rows(found), count_text(len(found)), export(found)

    def open_row(actor, topic, doc_id, kind, text, evt: gr.SelectData):
        found = matching(actor, topic, doc_id, kind, text)
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or not 0 <= int(row) < len(found):
            return gr.update()
        p = found[int(row)]
        return render_document(p.doc_id, p.start, p.end)

    gr.Markdown("Absichtserklärungen, Ziele und Forderungen aus den Dokumenten, automatisch erkannt. "
                "Bereits Erreichtes wird nur mit der Art „erreicht“ angezeigt. Eine Zeile anklicken, um die Stelle im Dokument zu sehen.")
    with gr.Row():
        actor = gr.Dropdown([ALL] + sorted({p.actor for p in index.promises}), value=ALL, label="Akteur", elem_id="rc-p-actor")
        topic = gr.Dropdown([ALL] + sorted({p.topic for p in index.promises}), value=ALL, label="Thema", elem_id="rc-p-topic")
        doc_id = gr.Dropdown([(ALL, ALL)] + [(d.meta.title, d.meta.doc_id) for d in docs], value=ALL, label="Dokument")
        kind = gr.Dropdown([ALL, "Ziel/Vorhaben", "Forderung an die Verwaltung", "Prüfauftrag", "erreicht"], value=ALL,
                           label="Art")
        text = gr.Textbox(label="Suche im Wortlaut", elem_id="rc-p-search")
    filters = [actor, topic, doc_id, kind, text]
    count = gr.Markdown("", elem_id="rc-p-count")
    # Filled when the tab is opened, not in the page config: Gradio copies the config into every session.
    table = gr.Dataframe([], headers=PROMISE_HEADERS, interactive=False, wrap=True, elem_id="rc-promises")
    download = gr.DownloadButton("Als CSV exportieren", elem_id="rc-p-export")
    source = gr.HTML("", elem_id="rc-p-viewer")
    tab.select(refresh, filters, [table, count, download], api_visibility="private")
    for control in filters:
        control.change(refresh, filters, [table, count, download], api_visibility="private")
    table.select(open_row, filters, source, api_visibility="private").then(None, js=PROMISE_SCROLL_JS)


def prepare(settings: Settings):
    """Build or update the index (incremental; a no-op when nothing changed), then the assistant."""
    from assistant.wiring import build_assistant, build_embedder, build_search_index, run_ingest

    embedder = build_embedder(settings)
    report = run_ingest(settings, embedder=embedder, progress=False)
    log.info("index: %s", report.summary())
    return build_assistant(settings, build_search_index(settings, embedder))


def launch(app: gr.Blocks, settings: Settings, host: str, port: int, block: bool = True):
    return app.launch(server_name=host, server_port=port or None, prevent_thread_lock=not block, quiet=not block,
                      allowed_paths=[], blocked_paths=[str(settings.data_dir.resolve())], footer_links=["api"],
                      show_error=False, state_session_capacity=settings.app.max_sessions)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rathaus-Chat web app")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    settings = load_settings()
    app = build_app(prepare(settings), settings)
    launch(app, settings, args.host or settings.app.host, args.port if args.port is not None else settings.app.port)


if __name__ == "__main__":
    main()
