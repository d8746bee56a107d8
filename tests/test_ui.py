"""The chat's own presentation logic (no server): compact source lines, active filters shown."""

from __future__ import annotations

from assistant.types import Answer, Source
from ui.chat import filter_text
from ui.present import answer_markdown, citation, sources_html


def source(n: int, **extra) -> Source:
    return Source(n=n, doc_id="pp", title="Projektpapier 2.0", publisher="Grüne und CDU", date="16.08.2023",
                  section="Mobilität", quote="Wir wollen den Ringbus.", **extra)


def test_sources_appear_once_as_compact_lines_without_quotes():
    answer = Answer(question="q", text="Wir wollen den Ringbus. [1]", sources=(source(1), source(2, reference="AN/1")))
    shown = answer_markdown(answer)
    assert shown.count("Wir wollen den Ringbus") == 1  # the quote is in the answer, not repeated in the list
    assert "\\[1\\] Projektpapier 2\\.0 \\(16\\.08\\.2023\\), Abschnitt „Mobilität“" in shown
    assert "Vorlage AN/1" in shown


def test_active_filters_are_named():
    assert filter_text([], [], []) == ""
    shown = filter_text(["projektpapier-2023"], ["Pressemitteilung"], [])
    assert "Aktive Filter" in shown and "projektpapier-2023" in shown and "Pressemitteilung" in shown


def test_copy_citation_is_german_citation_form_and_escaped():
    assert citation(source(1)) == "„Wir wollen den Ringbus.“ (Projektpapier 2.0, Grüne und CDU, 16.08.2023, Abschnitt „Mobilität“)"
    assert "Vorlage AN/1" in citation(source(2, reference="AN/1"))
    hostile = Source(n=1, doc_id="x", title='T"><script>alert(1)</script>', publisher="P", date="", section="S",
                     quote="Zitat")
    html = sources_html([hostile])
    assert "<script>" not in html and "ohne Datum" in html and 'class="rc-copy"' in html


def test_start_screen_counts_documents_in_german():
    from types import SimpleNamespace

    from index.model import DocumentMeta
    from ui.present import overview_label, overview_markdown

    one = [SimpleNamespace(meta=DocumentMeta("a", "Haushalt", date="2024-03-01"))]
    assert overview_label(one) == "Was ich weiß: 1 Dokument (2024) – hier aufklappen"
    assert "**1 Dokument** (2024)" in overview_markdown(one)
    two = one + [SimpleNamespace(meta=DocumentMeta("b", "Protokoll", date="2025-01-02"))]
    assert overview_label(two).startswith("Was ich weiß: 2 Dokumente (2024 bis 2025)")
    assert "**2 Dokumenten** (2024 bis 2025)" in overview_markdown(two)
