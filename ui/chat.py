"""The chat tab: question, streamed answer, its sources, and the document viewer with the cited
passage highlighted; filters by document, type and publisher."""

from __future__ import annotations

import gradio as gr

from index.retrieve import Filters
from ui.api import answer_parts
from ui.present import answer_markdown, sources_html

EXAMPLES = [
    "Was hat der neue OB versprochen?",                       # citizen
    "Was sagt das Projektpapier zum ÖPNV?",                   # staff
    "Wie viele Mitarbeitende des KOD sind täglich im Einsatz?",
    "Wer entscheidet über den Verfügungsfonds der City?",
]
FILTERED_OUT = ("\n\n_Mit den gesetzten Filtern habe ich nichts gefunden – ohne Filter gibt es eine Antwort. "
                "Bitte die Filter entfernen („Neue Unterhaltung“ oder „Filter entfernen“) und erneut fragen._")
SCROLL_JS = "() => { setTimeout(() => document.getElementById('rc-cited')?.scrollIntoView({block: 'center'}), 300); }"


def chat_tab(assistant, settings, documents, render_document, not_busy) -> None:
    limit = settings.app.max_question_chars

    def respond(question, chat, questions, doc_ids, types, publishers):
        """Shows the question at once, streams the answer into the chat, then lists its sources. The
        document viewer is cleared: it opens only when a source is picked."""
        chat = list(chat or []) + [{"role": "user", "content": question or ""},
                                   {"role": "assistant", "content": "_wird beantwortet …_"}]
        filters = Filters(tuple(doc_ids or ()), tuple(types or ()), tuple(publishers or ()))
        yield chat, questions, [], sources_html([]), gr.update(choices=[], value=None), "", ""
        answer = None
        for answer in answer_parts(assistant, question, list(questions or []), filters, limit):
            chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
            yield chat, questions, [], sources_html([]), gr.update(), "", ""
        if answer.refused and filters != Filters() and answer.mode != "message":
            unfiltered = assistant.ask(question.strip(), list(questions or []))
            if not unfiltered.refused:  # the filter, not the documents, kept the answer away
                chat[-1] = {"role": "assistant", "content": answer_markdown(answer) + FILTERED_OUT}
        if answer.mode != "message":
            questions = list(questions or []) + [question.strip()]
        choices = [(f"[{s.n}] {s.title} – {s.section}", str(i)) for i, s in enumerate(answer.sources)]
        yield (chat, questions, [s.__dict__ for s in answer.sources], sources_html(answer.sources),
               gr.update(choices=choices, value=None), "", "")

    def show_source(choice, sources):
        if choice is None or not sources:
            return gr.update()
        source = sources[int(choice)]
        return render_document(source["doc_id"], source["start"], source["end"])

    questions = gr.State([])
    sources = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Unterhaltung", show_label=False, height=360, buttons=["copy"], elem_id="rc-chat")
            question = gr.Textbox(label="Ihre Frage", placeholder="z. B. Was hat der neue OB versprochen?",
                                  max_lines=4, elem_id="rc-question")
            with gr.Row():
                send = gr.Button("Fragen", variant="primary", elem_id="rc-send")
                new = gr.Button("Neue Unterhaltung", elem_id="rc-new")
            with gr.Row():
                active = gr.Markdown("", elem_id="rc-filters")
                clear_filters = gr.Button("Filter entfernen", size="sm", elem_id="rc-clear-filters")
            examples = gr.Examples(EXAMPLES, inputs=question, label="Beispielfragen")
        with gr.Column(scale=2):
            with gr.Accordion("Filter", open=False):
                doc_filter = gr.Dropdown([(d.meta.title, d.meta.doc_id) for d in documents], multiselect=True, label="Dokumente")
                type_filter = gr.Dropdown(sorted({d.meta.doc_type for d in documents}), multiselect=True, label="Dokumenttyp")
                pub_filter = gr.Dropdown(sorted({d.meta.publisher for d in documents}), multiselect=True, label="Herausgeber")
            gr.Markdown("### Quellen")
            sources_view = gr.HTML(sources_html([]), elem_id="rc-sources")
            pick = gr.Radio([], label="Quelle im Dokument anzeigen", elem_id="rc-pick")
            viewer = gr.HTML("", elem_id="rc-viewer")
    outputs = [chat, questions, sources, sources_view, pick, question, viewer]
    inputs = [question, chat, questions, doc_filter, type_filter, pub_filter]
    for trigger in (send.click, question.submit):
        trigger(respond, inputs, outputs, api_visibility="private", validator=not_busy)
    examples.load_input_event.then(respond, inputs, outputs, api_visibility="private")  # an example asks at once
    pick.change(show_source, [pick, sources], viewer, api_visibility="private").then(None, js=SCROLL_JS)
    filters = [doc_filter, type_filter, pub_filter]
    for dropdown in filters:
        dropdown.change(filter_text, filters, active, api_visibility="private")
    clear_filters.click(lambda: ([], [], []), None, filters, api_visibility="private")
    new.click(lambda: ([], [], [], sources_html([]), gr.update(choices=[], value=None), "", [], [], []), None,
              [chat, questions, sources, sources_view, pick, viewer, *filters], api_visibility="private")


def filter_text(doc_ids, types, publishers) -> str:
    """The active filters, shown next to the question so they are never forgotten."""
    parts = [f"{label}: {', '.join(values)}" for label, values in
             (("Dokumente", doc_ids), ("Typ", types), ("Herausgeber", publishers)) if values]
    return f"**Aktive Filter** – {'; '.join(parts)}" if parts else ""
