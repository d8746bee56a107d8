"""Cleaning and chunking on each of the five real documents: what must go, what must stay, sections."""

from __future__ import annotations


import pytest

from index.clean import clean
from index.load import LoadedDocument
from index.model import DocumentMeta
from index.split import chunk_document

from tests.conftest import CORPUS, cleaned_documents


@pytest.fixture(scope="module")
def docs():
    return cleaned_documents(CORPUS)


MUST_SURVIVE = {
    "kalouti-erster-tag": [
        "Begleitet durch Mitarbeitende und Medien bezog er heute seine neuen Amtsräume im Rathaus am Friedensplatz.",
        "Alexander Omar Kalouti wurde 1968 in Beirut geboren.",
        "Von 2014 bis 2025 leitete er die Presse- und Öffentlichkeitsarbeit am Theater Dortmund.",
        "1. Sauberkeit und Ordnung: „Die Menschen in dieser Stadt sollen sich wieder sicher fühlen.",
        "4. Neues Denken in der Verwaltung:",
    ],
    "ob-wahl-reaktionen": [
        "Am Sonntag ereignete sich Historisches – so war es vielfach im Dortmunder Rathaus zu hören.",
        "„Euer Wahlsieg ist das Wunder von Dortmund“, rief Wüst den CDU-Parteimitgliedern während seiner Ansprache zu.",
        "„Wir müssen die Themen Sauberkeit, Sicherheit und Ordnung in den Blick nehmen und handeln.“",
        "Die SPD wolle nun in Ruhe auswerten, was die Gründe für die Niederlage sind.",
        "Nun komme es darauf an, ob Kalouti in Sachen Verwaltung überzeugen könne.",
        "Zu denjenigen, welche die Stichwahl gewonnen haben, gehört letztlich auch die AfD.",
    ],
    "kod-sondereinsatz": [
        "Deshalb begleitete er am Donnerstagabend, 6. November, einen Schwerpunkteinsatz des Kommunalen Ordnungsdienstes (KOD) in der City.",
        "Bis zu 45 Mitarbeitende sind täglich in zwei Schichten im Einsatz – sichtbar in Uniform, teilweise aber auch in zivil.",
        "Auch Rechts- und Ordnungsdezernent Norbert Dahmen nahm an dem Rundgang teil.",
        "Sie leisten einen wichtigen Beitrag für mehr Lebensqualität in Dortmund",
    ],
    "projektpapier-2023": [
        "Dazu haben wir bereits Ende 2021 die Verwaltung mit der externen Erstellung eines neuen „Museumsentwicklungsplanes“ beauftragt.",
        "Dies ist für uns kein Zustand!",
        "Deshalb werden wir an der Optimierung der Barrierefreiheit arbeiten, für mehr Sitzgelegenheiten und Toiletten im öffentlichen Raum sorgen.",
        "Klimaneutralität bis 2035 ist unser Ziel. CO2-neutraler Wasserstoff gilt als eine mögliche Zukunftstechnologie",
        "Der Ansatz “Housing First” muss deshalb nicht nur endlich umgesetzt",
        "Die ordnungspartnerschaftliche Zusammenarbeit zwischen Stadt und Polizei hat sich über all die Jahre ihres Bestehens bewährt.",
        "Wir werden Wert legen auf entsprechende Festsetzungen für Neubaugebiete",
        "um zu den einzelnen Projekten frühzeitig einen politischen Beschluss hinsichtlich Sanierung oder Abriss fassen zu können, ähnlich wie beim Neubau",
    ],
    "citymanagement": [
        "Ähnlich wie der Nachtbeauftragte soll der/die City-Manager*in bei der Stadt angestellt werden",
        "Die Entscheidung über das stadtgetragene Citymanagement wird der Rat treffen.",
        "Allein von der Stadt Dortmund bringen sich 17 Ämter und Abteilungen in das gemeinsame Stärkungsprojekt für die City ein.",
    ],
}

MUST_GO = {
    "kod-sondereinsatz": ["Newsroom", "Weitere Nachrichten", "zur Nachricht", "Bild:", "Vogelgrippe",
                          "Ein Mann mit einer grünen Schürze", "Sichheit & Ordnung",
                          "OB Kalouti mit Mitarbeitern des des Kommunalen"],
    "citymanagement": ["Newsroom", "Mehr Nachrichten", "Tiny Houses", "IP-Adresse", "Datenschutz", "Bild:",
                       "Planen & Bauen", "Papiermännchen"],
    "ob-wahl-reaktionen": ["Sieh dir diesen Beitrag auf Instagram an", "Haben Sie bis zum Ende gelesen",
                           "Beef im Bunker", "Politisches Erdbeben"],
    "projektpapier-2023": ["<sub>", "**", "beauf-", "##"],
}


@pytest.mark.parametrize("doc_id", sorted(MUST_SURVIVE))
def test_article_sentences_survive(docs, doc_id):
    text = docs[doc_id].text
    missing = [s for s in MUST_SURVIVE[doc_id] if s not in text]
    assert not missing


@pytest.mark.parametrize("doc_id", sorted(MUST_GO))
def test_debris_is_removed(docs, doc_id):
    text = docs[doc_id].text
    assert [s for s in MUST_GO[doc_id] if s in text] == []


def test_umlauts_and_german_quotes_preserved(docs):
    text = docs["kalouti-erster-tag"].text
    assert "„Heute geht es los" in text and "äußerte" in text and "King’s College" in text


def test_sections_found(docs):
    sections = {d: {b.section for b in doc.blocks} for d, doc in docs.items()}
    assert {"Kaloutis Schwerpunktthemen", "Vita"} <= sections["kalouti-erster-tag"]
    assert {"H-Bahn", "Housing First: Vom Modellversuch zum dauerhaften Baustein der Wohnungslosenhilfe",
            "Masterplan Wirtschaft", "Fachkräfteoffensive", "Solidarische Stadt", "Bühnenviertel am Wall"} \
        <= sections["projektpapier-2023"]
    assert "Team-Arbeit für die City" in sections["citymanagement"]
    assert "„KOD leistet wichtigen Beitrag für mehr Lebensqualität“" in sections["kod-sondereinsatz"]
    assert "Die Grünen stellen Anforderungen an den neuen OB" in sections["ob-wahl-reaktionen"]


def test_bullet_paths_keep_their_parent_heading(docs):
    hbahn = [b for b in docs["projektpapier-2023"].blocks if b.section == "H-Bahn"]
    assert hbahn and all(b.section_path == "Zukunftsfähige Stadt › H-Bahn" for b in hbahn)


def test_reader_comments_are_marked(docs):
    doc = docs["ob-wahl-reaktionen"]
    comments = [b for b in doc.blocks if b.is_comment]
    assert any("Profaschisten" in b.text for b in comments)
    assert not any(b.is_comment for b in doc.blocks if "Rosenbaum" in b.text)
    chunks = chunk_document(doc)
    assert any(c.is_comment and "AfD" in c.text for c in chunks)
    assert not any(c.is_comment for c in chunks if "Westphal" in c.text and "Genoss" in c.text)


def test_list_items_are_items(docs):
    items = [b.text for b in docs["kalouti-erster-tag"].blocks if b.kind == "item"]
    assert [i[:3] for i in items] == ["1. ", "2. ", "3. ", "4. "]
    assert not any(b.kind == "item" and b.text.startswith("16. August") for b in docs["projektpapier-2023"].blocks)


def test_chunks_never_span_sections_and_are_verbatim(docs):
    for doc in docs.values():
        text = doc.text
        for chunk in chunk_document(doc):
            assert text[chunk.start:chunk.end] == chunk.text
            section_texts = " ".join(b.text for b in doc.blocks if b.section_path == chunk.section_path)
            for line in chunk.text.split("\n"):
                assert not line or line in section_texts
            assert len(chunk.text.split()) <= 300


def test_chunk_ids_are_stable_and_content_addressed(docs):
    doc = docs["citymanagement"]
    first, second = chunk_document(doc), chunk_document(doc)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    assert len({c.chunk_id for c in first}) == len(first)
    assert all(c.chunk_id.startswith("citymanagement:") for c in first)


def test_chunk_size_is_suited_to_citation(docs):
    sizes = [len(c.text.split()) for d in docs.values() for c in chunk_document(d)]
    assert max(sizes) <= 250 + 60 and sum(sizes) / len(sizes) >= 50


def test_plain_text_hyphen_and_join_rules():
    raw = "Ein Satz über die Verkehrs-\n\nwende und das\n\nauch noch.\n\nKultur-\n\nund Freizeit sind wichtig."
    doc = clean(LoadedDocument(DocumentMeta("x", "X"), raw, "text"))
    assert doc.text == "Ein Satz über die Verkehrswende und das auch noch.\n\nKultur- und Freizeit sind wichtig."


def test_inline_html_in_markdown_is_structure_and_paragraphs_stay_apart():
    """Blog exports mix HTML into Markdown: „<h2>“ is a heading, „<li>“ an item; a paragraph without
    final punctuation is not glued to the next one when that one starts a sentence of its own."""
    raw = ("# News\n\n<h2>Haushalt und Beteiligung</h2>\nStürmische Zeiten stehen an.\n\n"
           "\"Der Rechner wird nicht aktiviert.\" (Quelle: Protokoll vom 23.09.2013)\n\n"
           "Möglicher Hintergrund: Die Buchführung hat sich geändert, so dass eine Anpassung nötig wäre\n\n"
           "Die Stadtverwaltung bietet selbst einen Ersatz an.\n\n<ul>\n\t<li>Der Stadtrat fordert den Rechner.</li>\n</ul>\n\n"
           "Ein Satz, der nach dem\n\nUmbruch weitergeht.")
    doc = clean(LoadedDocument(DocumentMeta("x", "X"), raw, "markdown"))
    kinds = [(b.kind, b.text[:24]) for b in doc.blocks]
    assert ("heading", "Haushalt und Beteiligung") in kinds
    assert ("item", "- Der Stadtrat fordert d") in kinds
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert any(p.startswith("Möglicher Hintergrund:") for p in paragraphs)
    assert any(p.startswith("Die Stadtverwaltung") for p in paragraphs)
    assert "Ein Satz, der nach dem Umbruch weitergeht." in paragraphs  # a broken sentence is still joined
