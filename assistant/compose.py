"""The extractive answer: the sentences of the retrieved passages that answer, each with its citation.

Every sentence of the top passages is a candidate. It is scored by how much of the question's key
terms it covers on its own, with its neighbours, and with its document's title and section
(IDF-weighted, glossary expansions and compound parts included), by how well its passage ranked,
and by whether it holds an answer of the kind the question wants (a number for „wie viele“, a date
for „wann“, a name for „wer“ …; see `answer_types`). The best sentence answers; another is added
only when it is nearly as good and covers something the first does not, so answers stay short.
An enumeration is answered with its items, in document order, after their lead-in. Quotes are
slices of the passages, so they are verbatim by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.answer_types import CHECKABLE, GENERIC_COUNTS, MONEY_AMOUNT, TYPED, Wanted, holds, labelled
from assistant.query import Glossary, QueryPlan
from assistant.types import Claim, Source
from index.clean import BULLET, ITEM
from index.lexical import tokenize
from index.offices import office_mentions
from index.retrieve import Hit, SearchIndex
from index.split import sentence_spans

LABEL = re.compile(r"^(\d{1,2}\.\s+[^:„\"]{3,80}?):")
# Sentences that lean on the one before („Er …“, „Andererseits …“) are quoted with it.
LEANS_BACK = re.compile(r"^\W*(?:er|sie|es|dies\w*|das|dort|dabei|dazu|damit|daher|deshalb|andererseits|außerdem|zudem|"
                        r"auch|allerdings|jedoch|trotzdem|hierzu|hierfür|davon|darüber)\b", re.IGNORECASE)
NUMBERED = re.compile(r"^\s*(\d{1,2}[.)])\s+")
FINISHED = re.compile(r"[.!?…;]\W*$")  # a line that ends a sentence (closing quotes and brackets aside)
MAX_WORDS = 70  # a fact answer quotes at most about this many words (the lead-in aside)
SUMMARY_SENTENCES = 3


def opens_list(line: str) -> bool:
    """A line whose sentence the following list items continue: „Deshalb wollen wir:“, or one left
    unfinished („Wir wollen Fortschritte“ + „- beim Stadtbahnkonzept;“ …)."""
    line = line.rstrip()
    return line.endswith(":") or (bool(re.search(r"\w", line)) and not FINISHED.search(line))


@dataclass
class Candidate:
    hit: Hit
    text: str
    start: int  # offsets in the cleaned document
    end: int
    score: float = 0.0
    is_item: bool = False
    stems: frozenset[str] = frozenset()
    own: float = 0.0  # key-term coverage of the sentence alone
    focus: float = 0.0  # coverage of the key terms its title, section and publisher do not already name
    framed: float = 0.0  # … with its document's title and section
    typed: bool = False  # holds an answer of the wanted kind
    covered: frozenset[str] = field(default_factory=frozenset)  # key terms it covers
    pair: str = ""  # for two sentences quoted together: the first of them
    lead: frozenset[str] = frozenset()  # for a list item: the terms of its enumeration's lead-in
    context: frozenset[str] = frozenset()  # the terms of its document's title, section and publisher
    opens: bool = False  # the lead-in of list items quoted after it

    @property
    def words(self) -> int:
        return len(self.text.split())


OWN_WEIGHT = 0.15  # what the sentence itself says breaks ties among sentences under one heading


def passage_sentences(hit: Hit) -> list[Candidate]:
    """The sentences of a passage, line by line (list items are lines), with document offsets."""
    out, offset = [], 0
    for line in hit.chunk.text.split("\n"):
        for a, b in sentence_spans(line):
            text = line[a:b]
            out.append(Candidate(hit, text, hit.chunk.start + offset + a, hit.chunk.start + offset + b,
                                 is_item=bool(ITEM.match(line)) and a == 0, stems=frozenset(tokenize(text))))
        offset += len(line) + 1
    return out


def quotable(cand: Candidate) -> bool:
    """Bare headings, lone labels and markup are never quoted: a candidate has two words at least.
    Nor is a question in the text („Wo finde ich …?“): it asks, it does not answer (a question and
    the sentence after it are quoted together, as a pair)."""
    return len(re.findall(r"\w{2,}", cand.text)) >= 2 and not cand.text.rstrip(" \"'“”»«").endswith("?")


def paired(sentences: list[Candidate], explains: bool = False) -> list[Candidate]:
    """Each sentence, and each with the next one of the same line when both are short: an answer
    split by the sentence splitter („Vortrag „…“. Lars Brügner, Bürgermeister …“) is whole again.
    `explains` (a „warum“ question): a sentence also pairs with a labelled reason among the next two
    („X wird nicht aktiviert. (Quelle: …)“ + „Möglicher Hintergrund: …“), which shares no words with
    the question."""
    out = list(sentences)
    for i, (a, b) in enumerate(zip(sentences, sentences[1:])):
        joined = a.hit.chunk.text[a.start - a.hit.chunk.start:b.end - a.hit.chunk.start]
        introduces = a.text.rstrip().endswith(":") and not b.is_item  # „Schreiben Sie uns an:“ + the addresses
        reason = next((r for r in sentences[i + 1:i + 3] if explains and not r.is_item and labelled(Wanted.REASON, r.text)), None)
        if reason is not None and a.words + reason.words <= 80:
            text = a.hit.chunk.text[a.start - a.hit.chunk.start:reason.end - a.hit.chunk.start]
            out.append(Candidate(a.hit, text, a.start, reason.end, is_item=a.is_item,
                                 stems=frozenset().union(*(s.stems for s in sentences[i:i + 3] if s.end <= reason.end)),
                                 pair=a.text))
        elif ("\n" not in joined or introduces) and a.words + b.words <= 40:
            out.append(Candidate(a.hit, joined, a.start, b.end, is_item=a.is_item, stems=a.stems | b.stems, pair=a.text))
    return out


def lead_of(index: SearchIndex, item: Candidate) -> frozenset[str]:
    """The terms of the line that introduces a list item's enumeration („Deshalb wollen wir:“,
    „Position der Gemeinde beim …:“), found in the document above the run of items."""
    text = index.documents[item.hit.chunk.doc_id].text
    pos = text.rfind("\n", 0, item.start)
    while pos > 0:
        start = text.rfind("\n", 0, pos) + 1
        line = text[start:pos]
        if not ITEM.match(line) and line.strip():
            return frozenset(tokenize(line)) if is_lead_in(item.hit.chunk, line) else frozenset()
        pos = start - 1
    return frozenset()


def is_lead_in(chunk, line: str) -> bool:
    """Whether `line`, above a run of items in `chunk`'s document, is their lead-in (not a heading)."""
    return opens_list(line) and line.strip() not in (chunk.section, chunk.section_path.rsplit(" › ", 1)[-1])


def lead_sentence(index: SearchIndex, hit: Hit, run_start: int) -> Candidate | None:
    """The sentence that introduces the list starting at `run_start`: the last sentence of the line
    above it when that line opens the list, cited from the passage that holds it."""
    text = index.documents[hit.chunk.doc_id].text
    end = run_start - 1
    while end > 0 and text[end - 1] == "\n":  # a blank line between lead-in and list
        end -= 1
    start = text.rfind("\n", 0, end) + 1
    line = text[start:end]
    if ITEM.match(line) or not is_lead_in(hit.chunk, line):
        return None
    spans = sentence_spans(line)
    if not spans:
        return None
    a, b = start + spans[-1][0], start + spans[-1][1]
    chunk = hit.chunk if hit.chunk.start <= a and b <= hit.chunk.end else next(
        (c for c in index.document_chunks(hit.chunk.doc_id) if c.start <= a and b <= c.end), None)
    if chunk is None:
        return None
    lead_hit = hit if chunk is hit.chunk else Hit(chunk, hit.meta, 0.0)
    return Candidate(lead_hit, text[a:b], a, b, stems=frozenset(tokenize(text[a:b])))


def score_candidates(index: SearchIndex, plan: QueryPlan, hits: list[Hit], glossary: Glossary) -> list[Candidate]:
    """Every quotable sentence of the passages, scored; one candidate per document position."""
    plan = with_names(plan, hits)
    must = measured(plan)
    # „wie viele Stolpersteine“: the sentence itself counts them (not its title), and money counts nothing
    counting = plan.wanted == Wanted.NUMBER and must is not None and bool(COUNT_QUESTION.search(plan.question))
    dates = sorted({h.meta.date for h in hits if h.meta.date}, reverse=True)  # newest first
    by_position: dict[tuple[str, int], Candidate] = {}
    for rank, hit in enumerate(hits):
        named = " ".join(hit.meta.aliases) if hit.chunk.doc_id in plan.routed_docs else ""
        context = frozenset(tokenize(f"{hit.meta.title} {hit.chunk.section_path} {hit.meta.publisher} {named}"))
        rest = [t for t in plan.key_terms if t.coverage(context) < 1]  # what the document's name does not say
        sentences = passage_sentences(hit)
        for cand in paired(sentences, plan.wanted == Wanted.REASON):
            if not quotable(cand) or glossary.is_injection(cand.text):  # a planted instruction is never repeated
                continue
            near = set(cand.stems).union(*(s.stems for s in sentences if cand.start - 300 < s.start < cand.end + 300))
            lead = cand.lead = lead_of(index, cand) if cand.is_item else frozenset()  # an item says what its lead-in says
            cand.context = context
            cand.own = plan.support(set(cand.stems))
            cand.framed = plan.support(set(cand.stems | context | lead))
            cand.focus = plan.support(set(cand.stems | lead), rest) if rest else 0.5
            cand.covered = frozenset(t.word for t in plan.key_terms if t.covered(cand.stems | context))
            cand.typed = plan.wanted in TYPED and holds(plan.wanted, MONEY_AMOUNT.sub(" ", cand.text) if counting else cand.text) and \
                (must is None or names(must, cand.stems | lead | (frozenset() if counting else context))) and \
                (not plan.asks_next or upcoming(cand.text, hit.meta.date))
            prior = 1 / (1 + 0.25 * rank)  # the passage ranking (dense and BM25 fused) as a prior
            if hit.chunk.doc_id == hits[0].chunk.doc_id:
                prior += 0.2  # the best-ranked document is the right one far more often than not
            prior += timeliness(plan, hit.meta.date, dates)
            cand.score = (0.35 * cand.framed + 0.2 * cand.focus + OWN_WEIGHT * cand.own + 0.1 * plan.support(near)
                          + 0.25 * prior)
            if cand.pair.rstrip().endswith("?") and plan.support(set(tokenize(cand.pair))) >= 0.5:
                cand.score += 0.1  # the text asks the question itself; the next sentence answers it
            if cand.typed:
                strong = 0.3 if plan.wanted in CHECKABLE else 0.2  # an amount, number or date is unmistakable
                if labelled(plan.wanted, cand.text):  # „Ort: Rathaus“ says it outright, about its section
                    strong += 0.3 + OWN_WEIGHT * (cand.framed - cand.own)
                cand.score += strong
            if plan.asks_holder and names_holder(plan, cand.text):
                cand.score += 0.3  # „Wer ist der OB?“: „Oberbürgermeister Alexander Kalouti …“ says it outright
            if plan.wants_intent and glossary.is_intent_sentence(cand.text):
                cand.score += 0.15
            if hit.chunk.is_comment and not plan.wants_comments:
                cand.score *= 0.4
            if cand.words > 60:
                cand.score *= 0.9
            key = (hit.chunk.doc_id, cand.start, cand.end)
            if key not in by_position or by_position[key].score < cand.score:
                by_position[key] = cand
    return sorted(by_position.values(), key=lambda c: -c.score)


UPCOMING = re.compile(r"\b(?:nächste[nrsm]?|kommende[nrsm]?|folgende[nrsm]?|künftig\w*|geplant\w*|voraussichtlich|"
                      r"anschließend|demnächst|bald)\b", re.I)


def upcoming(sentence: str, doc_date: str) -> bool:
    """Whether a sentence can say when something comes next: it says „nächste/geplant/künftig …“ or
    names a year after its document's (the date a report gives for itself is past)."""
    if UPCOMING.search(sentence):
        return True
    years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", sentence)]
    return bool(doc_date) and any(y > int(doc_date[:4]) for y in years)


def names_holder(plan: QueryPlan, sentence: str) -> bool:
    """Whether a sentence names the asked office together with the holder the question means (the
    current one, or the former ones for „der frühere …“): „Oberbürgermeister Alexander Kalouti“."""
    names = {people[0].split()[-1] for people in plan.holders.values() if people}
    return any(m.surname in names and (m.office == plan.asks_holder or m.office.endswith(plan.asks_holder))
               for m in office_mentions(sentence))


COUNT_QUESTION = re.compile(r"\bwie ?viele|\bwieviele|\bhow many", re.I)
RECENCY_BONUS = 0.25  # on the passage prior, for the newest document when a question asks „aktuell“ …


def timeliness(plan: QueryPlan, date: str, dates: list[str]) -> float:
    """Prior bonus by date: the newest documents for „aktuell/derzeit/inzwischen“, the named year's
    documents for „… 2024“. Undated documents get none: they are never presented as current."""
    bonus = 0.0
    if plan.prefers_recent and date and dates:
        bonus += RECENCY_BONUS * (1 - dates.index(date) / max(len(dates) - 1, 1))  # newest full, oldest none
    if plan.year and date.startswith(plan.year):
        bonus += RECENCY_BONUS
    return bonus


def with_names(plan: QueryPlan, hits: list[Hit]) -> QueryPlan:
    """A person's first and last name („Sascha Mader“) count as one key term when the passages name
    the person so: the person then does not weigh twice as much as what is asked about them."""
    text = " ".join(h.chunk.text.lower() for h in hits)
    terms, merged = list(plan.key_terms), False
    for i in range(len(terms) - 1):
        a, b = terms[i], terms[i + 1]
        comparable = a and b and min(a.weight, b.weight) >= 0.5 * max(a.weight, b.weight)  # not „Theater Dortmund“
        if comparable and a.noun and b.noun and " " not in a.word + b.word and f"{a.word} {b.word}" in text:
            terms[i] = replace(a, word=f"{a.word} {b.word}", stems=a.stems | b.stems, own=a.own | b.own,
                               weight=max(a.weight, b.weight))
            terms[i + 1] = None
            merged = True
    return replace(plan, key_terms=[t for t in terms if t]) if merged else plan


def _similar(a: Candidate, b: Candidate) -> bool:
    """Overlapping spans of the same document, or nearly the same words."""
    if a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end:
        return True
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) >= 0.6 or a.text in b.text or b.text in a.text


def select_sentences(index: SearchIndex, candidates: list[Candidate], plan: QueryPlan,
                     max_sentences: int) -> list[Candidate]:
    """The best sentence; then, for broad questions a few more, for specific ones only a sentence
    that is nearly as good and covers a key term the others do not. Stays within `MAX_WORDS`."""
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    broad = plan.wants_summary or plan.wants_list
    typed = plan.wanted in TYPED
    limit = min(max_sentences, SUMMARY_SENTENCES if broad else 2)
    floor = best.score * (0.7 if broad else 0.8 if not typed else 0.85)
    covered = set(best.covered)
    for cand in candidates[1:]:
        if len(chosen) >= limit or cand.score < floor:
            break
        if any(_similar(cand, c) for c in chosen) or cand.hit.chunk.doc_id != best.hit.chunk.doc_id and not broad:
            continue
        adds = cand.covered - covered
        if typed and not adds and not (cand.typed and (not best.typed or plan.wants_list)):
            continue  # a number or a name is answered once (for „welche Parteien …“ each one that answers)
        if sum(c.words for c in chosen) + cand.words > MAX_WORDS:
            continue
        chosen.append(cand)
        covered |= cand.covered
    return with_context(index, chosen)


def previous_sentence(index: SearchIndex, cand: Candidate) -> Candidate | None:
    """The sentence right before `cand` in the same block of the document, cited from the passage
    that holds it (an overlapping chunk may start right at `cand`)."""
    text = index.documents[cand.hit.chunk.doc_id].text
    start = text.rfind("\n", 0, cand.start) + 1
    spans = [(start + a, start + b) for a, b in sentence_spans(text[start:cand.start])]
    if not spans or spans[-1][1] < cand.start - 2:
        return None
    a, b = spans[-1]
    chunk = cand.hit.chunk if cand.hit.chunk.start <= a else next(
        (c for c in index.document_chunks(cand.hit.chunk.doc_id) if c.start <= a and b <= c.end), None)
    if chunk is None:
        return None
    hit = cand.hit if chunk is cand.hit.chunk else Hit(chunk, cand.hit.meta, 0.0)
    return Candidate(hit, text[a:b], a, b, stems=frozenset(tokenize(text[a:b])))


def with_context(index: SearchIndex, chosen: list[Candidate]) -> list[Candidate]:
    """A sentence that leans on the one before it („Diesen Leitsatz …“, „Er …“, „Andererseits …“)
    is quoted with it, when the answer stays short."""
    out = list(chosen)
    for cand in chosen:
        if cand.is_item and continues(cand.text):  # „beim Stadtbahnkonzept;“ needs „Wir wollen Fortschritte“
            run = item_run(index, cand.hit, cand.start)
            lead = lead_sentence(index, cand.hit, run[0][0]) if run else None
            if lead and not any(_similar(lead, c) for c in out):
                lead.opens = True
                out.insert(out.index(cand), lead)
            continue
        if not LEANS_BACK.match(cand.text) or cand.is_item or cand.pair:
            continue
        previous = previous_sentence(index, cand)
        if previous and quotable(previous) and not any(_similar(previous, c) for c in out) \
                and sum(c.words for c in out) + previous.words <= MAX_WORDS:
            out.insert(out.index(cand), previous)
    return out


def continues(item: str) -> bool:
    """An item that continues its lead-in's sentence: it starts in lower case („beim …“, „die …“)."""
    first = re.search(r"[^\W\d_]", BULLET.sub("", item))
    return bool(first) and first.group(0).islower()


def item_run(index: SearchIndex, hit: Hit, offset: int) -> list[tuple[int, int]]:
    """Document spans of the list items that follow `offset` (or contain it): one contiguous
    enumeration of the cleaned document, in order."""
    text = index.documents[hit.chunk.doc_id].text
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line), line))
        pos += len(line) + 1
    start = next((i for i, (a, b, _) in enumerate(lines) if a <= offset <= b), None)
    if start is None:
        return []
    depth = lambda line: len(line) - len(line.lstrip())  # noqa: E731
    if ITEM.match(lines[start][2]) and start + 1 < len(lines) and ITEM.match(lines[start + 1][2]) \
            and depth(lines[start + 1][2]) > depth(lines[start][2]):  # „- Hauptthemen“ and its sub-items
        level, children = depth(lines[start + 1][2]), []
        for a, b, line in lines[start + 1:]:
            if not ITEM.match(line) or depth(line) < level:
                break
            if depth(line) == level:
                children.append((a, b))
        return children
    i = start if ITEM.match(lines[start][2]) else start + 1
    while i < len(lines) and not lines[i][2].strip():  # the list may follow its lead-in after a blank line
        i += 1
    if i >= len(lines) or not ITEM.match(lines[i][2]):
        return []
    while i > 0 and ITEM.match(lines[i - 1][2]) and lines[i - 1][2].strip():
        i -= 1
    run = []
    while i < len(lines) and ITEM.match(lines[i][2]):
        run.append((lines[i][0], lines[i][1]))
        i += 1
    return run


def next_line(index: SearchIndex, cand: Candidate) -> str:
    """The next non-empty line of the document after `cand`, when `cand` ends its line."""
    text = index.documents[cand.hit.chunk.doc_id].text
    rest = text[cand.end:cand.end + 2000]
    if not rest.startswith("\n"):
        return ""
    return next((line for line in rest.split("\n") if line.strip()), "")


def item_label(line: str) -> str:
    """A verbatim, short form of an item: its numbered title, else its first sentence."""
    match = LABEL.match(line)
    if match:
        return match.group(1)
    spans = sentence_spans(line)
    return line[spans[0][0]:spans[0][1]] if spans else line


def list_answer(index: SearchIndex, best: Candidate, plan: QueryPlan, candidates: list[Candidate]) -> list[Candidate] | None:
    """When the best evidence is (or introduces) an enumeration, give its items after their lead-in."""
    if plan.wants_summary and not best.is_item and not best.text.rstrip().endswith(":"):
        intro = next((c for c in candidates[:8] if c.text.rstrip().endswith(":") and not c.pair
                      and c.hit.chunk.doc_id == best.hit.chunk.doc_id and c.score >= 0.8 * best.score), None)
        best = intro or best  # „Was fordern … beim Schulbau?“: the demands listed after „Deshalb wollen wir:“
    introduces = best.text.rstrip().endswith(":") or (
        not best.is_item and opens_list(best.text) and bool(ITEM.match(next_line(index, best))))
    short_item = best.is_item and best.words <= 15 and plan.wants_summary  # one point of a list of measures
    if not (introduces or plan.wants_list or short_item):
        return None  # a specific question answered by one item gets that item's sentence
    run = item_run(index, best.hit, best.end if introduces or best.is_item else best.start)
    if len(run) < 2:
        return None
    text = index.documents[best.hit.chunk.doc_id].text
    intro = best if introduces else next(
        (c for c in candidates if c.hit.chunk.doc_id == best.hit.chunk.doc_id and c.text.rstrip().endswith(":")
         and 0 <= run[0][0] - c.end <= 3), None) or lead_sentence(index, best.hit, run[0][0])
    out = [intro] if intro else []
    for a, b in run:
        line = text[a:b]
        label = item_label(line)
        chunk = next((c for c in index.section_chunks(best.hit.chunk) if c.start <= a and a + len(label) <= c.end), None)
        chunk = chunk or next((c for c in index.document_chunks(best.hit.chunk.doc_id) if c.start <= a < c.end), None)
        if chunk is None:
            continue
        hit = next((c.hit for c in candidates if c.hit.chunk.chunk_id == chunk.chunk_id), None) or \
            Hit(chunk, index.meta(chunk.doc_id), 0.0)
        out.append(Candidate(hit, label, a, a + len(label), is_item=True))
    return out if len(out) >= 2 else None


def lead_in(meta, is_comment: bool) -> str:
    """How the answer introduces a document: its manifest wording, else title, publisher and date."""
    date = meta.date_display() if meta.date else ""
    if is_comment:
        return f"Ein Leserkommentar unter dem Beitrag „{meta.title}“{f' ({date})' if date else ''} lautet:"
    if meta.cite_as:
        return f"{meta.cite_as}{f' ({date})' if date else ''} heißt es:"
    who = [meta.author] if meta.author and meta.author not in meta.publisher else []  # the speaker of a signed speech
    about = ", ".join(p for p in (*who, meta.publisher if meta.publisher != "unbekannt" else "", date) if p)
    return f"In „{meta.title}“{f' ({about})' if about else ''} heißt es:"


def shown(cand: Candidate, as_list: bool) -> str:
    """The line an item is shown as: its own number kept („1. …“), a bullet for the rest."""
    if not (as_list and cand.is_item):
        return f" {BULLET.sub('', cand.text).strip() if cand.is_item else cand.text}"  # an item quoted in a sentence
    number = NUMBERED.match(cand.text)
    text = BULLET.sub("", cand.text) if not number else cand.text
    return f"\n{text}" if number else f"\n- {text}"


def render(selected: list[Candidate], as_list: bool) -> tuple[str, list[Source], list[Claim]]:
    """Group sentences by document (best group first, each in document order; when the documents
    have different dates, the newest first, introduced as „Neuester Stand“), number the passages,
    and cite each sentence."""
    groups: dict[tuple[str, bool], list[Candidate]] = {}
    for cand in selected:
        groups.setdefault((cand.hit.chunk.doc_id, cand.hit.chunk.is_comment), []).append(cand)
    dated = [g for g in groups.values() if g[0].hit.meta.date]
    by_time = len({g[0].hit.meta.date for g in dated}) > 1  # sources of different dates: the newest state first
    order = sorted(groups.items(), key=lambda kv: kv[1][0].hit.meta.date or "", reverse=True) if by_time \
        else list(groups.items())
    numbers: dict[str, int] = {}  # passages numbered in the order they are shown
    spans: dict[str, list[Candidate]] = {}
    for _, cands in order:
        for cand in (cands if as_list else sorted(cands, key=lambda c: c.start)):
            cid = cand.hit.chunk.chunk_id
            numbers.setdefault(cid, len(numbers) + 1)
            spans.setdefault(cid, []).append(cand)
    paragraphs, claims = [], []
    for i, ((doc_id, is_comment), cands) in enumerate(order):
        meta = cands[0].hit.meta
        lead = lead_in(meta, is_comment)
        if by_time and meta.date:
            lead = f"Neuester Stand ({meta.date_display()}): {lead}" if i == 0 else lead.replace("heißt es:", "hieß es noch:")
        parts = [lead]
        ordered = cands if as_list else sorted(cands, key=lambda c: c.start)
        listing = False  # items after their lead-in are shown as a list
        for cand in ordered:
            n = numbers[cand.hit.chunk.chunk_id]
            claims.append(Claim(cand.text, n))
            listing = as_list or (cand.is_item and listing)
            parts.append(f"{shown(cand, listing)} [{n}]")
            listing = listing or cand.opens
        paragraphs.append("".join(parts).replace(": \n", ":\n"))
    sources = [make_source(n, spans[cid]) for cid, n in numbers.items()]
    return "\n\n".join(paragraphs), sources, claims


def make_source(n: int, cands: list[Candidate]) -> Source:
    """The quote is the contiguous slice of the passage that covers every sentence cited from it."""
    hit = cands[0].hit
    return Source.from_chunk(n, hit.chunk, hit.meta, min(c.start for c in cands), max(c.end for c in cands))


def compose(index: SearchIndex, plan: QueryPlan, candidates: list[Candidate],
            max_sentences: int) -> tuple[str, list[Source], list[Claim], bool]:
    """The extractive answer text, its sources and claims, and whether it is a list."""
    if not candidates:
        return "", [], [], False
    listed = list_answer(index, candidates[0], plan, candidates)
    selected = listed or select_sentences(index, candidates, plan, max_sentences)
    text, sources, claims = render(selected, bool(listed))
    return text, sources, claims, bool(listed)


def names(term, stems) -> bool:
    """Whether `stems` name the term itself: fully, or by its head noun when the corpus knows all of
    its other parts („Beitrag“ for „Mitgliedsbeitrag“, not „Hebesatz“ for a „Gewerbesteuer“ it never mentions)."""
    cover = term.coverage(stems)
    return cover == 1.0 or (cover > 0 and term.unknown_parts == 0 and bool(term.parts or term.head))


def measured(plan: QueryPlan):
    """The key term a typed answer must name: what is counted or measured („wie viele Sitze“, „wie hoch
    ist der Hebesatz“: a number of something else is no answer); for a date, the question's main noun."""
    if plan.wanted not in TYPED:
        return None
    counts = plan.wanted in (Wanted.NUMBER, Wanted.MONEY)  # a vote result answers „wie viele Ja-Stimmen“ itself
    must = plan.term(plan.counted) if counts and plan.counted and plan.counted not in GENERIC_COUNTS else None
    if must is None and plan.wanted == Wanted.DATE:
        nouns = [t for t in plan.key_terms if t.noun and t.known]
        must = max(nouns, key=lambda t: t.weight) if nouns else None
    return must


def best_typed_support(candidates: list[Candidate], plan: QueryPlan) -> float:
    """How well the best sentence that holds an answer of the wanted kind (and names what is measured)
    covers the question; 1.0 when no kind of answer is wanted."""
    if plan.wanted not in TYPED:
        return 1.0
    return max((c.framed for c in candidates if c.typed), default=0.0)
