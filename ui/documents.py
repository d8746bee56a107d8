"""The Dokumente tab: what the app knows, newest first, and a reader for each document."""

from __future__ import annotations

import gradio as gr


def documents_tab(documents, render_document) -> None:
    gr.Dataframe(
        [[d.meta.title, d.meta.date_display(), d.meta.doc_type, d.meta.publisher, len(d.chunk_ids), d.meta.doc_id]
         for d in documents],
        headers=["Titel", "Datum", "Typ", "Herausgeber", "Abschnitte", "ID"], interactive=False, wrap=True,
        elem_id="rc-documents")
    doc_pick = gr.Dropdown([(d.meta.title, d.meta.doc_id) for d in documents], label="Dokument lesen")
    doc_view = gr.HTML("")
    doc_pick.change(lambda doc_id: render_document(doc_id) if doc_id else gr.update(), doc_pick, doc_view,
                    api_visibility="private")
