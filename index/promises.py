"""Statements of intent ("Versprechen") found in cleaned documents by explainable rules.

Each sentence (or short list item) that commits someone to something is recorded with its actor,
policy area, kind, verbatim text and offsets in the cleaned document, and the rule that matched.
Past achievements ("Wir haben … beschlossen") are recorded with kind `erreicht`, never as promises.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import takewhile
from pathlib import Path

import yaml

from index.lexical import STOPWORDS
from index.model import Block, CleanDocument, DocumentMeta
from index.offices import NAME, NAME_WORD, office_mentions
from index.split import block_offsets, sentence_spans

AREAS_FILE = Path(__file__).with_name("policy_areas.yaml")
KINDS = ("Ziel/Vorhaben", "Forderung an die Verwaltung", "Prüfauftrag", "erreicht")
ACHIEVED = "erreicht"

# Each rule: (why it counts, pattern). The first that matches is recorded as the reason.
COMMITMENT_RULES: list[tuple[str, re.Pattern]] = [(why, re.compile(p, re.IGNORECASE)) for why, p in [
    ("„wir wollen/werden/möchten …“", r"\bwir\s+(?:\w+\s+){0,2}?(?:wollen|werden|möchten|müssen|setzen|streben|erwarten|"
                                       r"fordern|unterstützen|drängen|beantragen|treiben|bringen|machen|schaffen|beschleunigen)\b"),
    ("„… wollen/werden wir“", r"\b(?:wollen|werden|möchten|müssen|setzen|fordern|erwarten|unterstützen|beantragen|bringen|"
                              r"machen|begleiten|wünschen)\s+wir\b|\bhalten\s+(?:wir\s+)?daran\s+fest\b"),
    ("„Unser Ziel ist …“", r"\b(?:unser(?:em)?\s+ziel|ziel\b[^.]{0,60}\bist\s+es|ist\s+unser\s+ziel|ziele\s+gesetzt|"
                          r"(?:an\s+dem|am)\s+ziel|unser\s+anspruch)\b"),
    ("„soll/sollen …“", r"\bsoll(?:en|e|te|ten)?\b"),
    ("„will/wolle …“", r"\b(?:will|wolle|wollen|möchte|möchten)\b"),
    ("„fordern/Forderung“", r"\b(?:forder(?:n|t|te|ten)|forderung(?:en)?)\b"),
    ("„setzt sich … ein“", r"\bsetz(?:en|t|e)\s+(?:uns|sich|mich)\b.*\bein\b"),
    ("„müssen/muss …“", r"\b(?:müssen|muss|müsse|müssten)\b"),
    ("„kündigt … an“", r"\bkündig(?:t|te)\b.*\ban\b"),
    ("„plant/beabsichtigt/schlägt vor …“", r"\b(?:plant|planen|beabsichtig\w*|vorhaben|schläg\w*\b.*\bvor)\b"),
    ("„wünscht sich …“", r"\b(?:wir|er|sie)\s+wünsch\w*|\bwünsch\w*\s+(?:wir|er)\b"),
    ("„Priorität/vorrangige Aufgabe“", r"\b(?:priorität|vorrangige\w*\s+aufgabe|ganz\s+oben\s+auf\s+der\s+liste|"
                                       r"schwerpunkt\s+unserer)\b"),
    ("„es geht darum, … zu …“", r"\b(?:geht|ginge|gehe)\s+es\s+darum\b|\bes\s+(?:geht|ginge)\s+darum\b"),
    ("„ist wichtig, dass …“", r"\bwichtig,\s+dass\b"),
]]
ACHIEVED_RULES: list[tuple[str, re.Pattern]] = [(why, re.compile(p, re.IGNORECASE)) for why, p in [
    ("„Wir haben … (getan)“", r"\b(?:wir\s+haben|haben\s+wir)\b(?!.*\b(?:wollen|werden|möchten)\b)"
                            r".*\b(?:\w*ge\w{2,}(?:t|en)|\w+iert|können|erreicht|beschlossen|beauftragt|eingesetzt)\b"),
    ("„… ist es zu verdanken“", r"\bzu\s+verdanken\b"),
    ("„durchgesetzt/erreicht“", r"\b(?:durchgesetzt|erwirkt|gerettet)\b"),
]]
ANY_COMMITMENT = re.compile("|".join(f"(?:{p.pattern})" for _, p in COMMITMENT_RULES), re.IGNORECASE)
ANY_ACHIEVED = re.compile("|".join(f"(?:{p.pattern})" for _, p in ACHIEVED_RULES), re.IGNORECASE)


def for_lowered(pattern: re.Pattern) -> re.Pattern:
    """A case-insensitive `pattern` as a case-sensitive one for lower-cased text: the same matches on
    `text.lower()` as `pattern` on `text`, found faster (case-insensitive matching lower-cases every
    character it compares; `classify` on 29,446 sentences of generated council documents: 2.5 → 1.5 s).
    Only for patterns whose literal letters are all lower-case: a class such as `[A-Z]` or an upper-case
    word would mean something else on lower-cased text (escapes such as `\\w` or `\\S` do not)."""
    letters = re.sub(r"\\.", "", pattern.pattern)
    if not pattern.flags & re.IGNORECASE or letters != letters.lower() or "(?-i" in pattern.pattern:
        raise ValueError(f"not a lower-case, case-insensitive pattern: {pattern.pattern!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


# Modal verbs that introduce an observation, not an intention ("Leider müssen wir feststellen, …").
OBSERVATION = re.compile(r"\b(?:müssen|muss|musste|mussten)\s+(?:\w+\s+){0,4}?(?:feststellen|festhalten|zugeben|einräumen|"
                         r"anerkennen|sagen)\b", re.IGNORECASE)
# „X soll Y sein“ with a noun as Y describes a role or a state („all das soll künftig der oder die
# City-Manager*in sein“), not something anyone will do: no statement of intent (a „dass“ or „zu“ clause
# would carry the action).
ROLE_OR_STATE = re.compile(r"\b(?i:soll|sollen|sollte|sollten|will|wollen|muss|müssen)\b(?!.*\b(?:dass|zu\s+\w+en)\b)"
                           r".*\s[A-ZÄÖÜ][\w*/-]*\s+sein\W*$")
PAST_ONLY = re.compile(r"\b(?:war|wurde|wurden|hatte|hatten)\s+(?:\w+\s+){0,3}?(?:geplant|vorgesehen)\b", re.IGNORECASE)
CHECK = re.compile(r"\b(?:prüf\w*|geprüft|machbarkeit\w*|untersuch\w*)\b", re.IGNORECASE)
DEMAND = re.compile(r"\b(?:forder\w*|drängen|auffordern|aufgefordert|beauftrag\w*|erwarten)\b", re.IGNORECASE)
ADMIN = re.compile(r"\bverwaltung\b", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(?:wir|uns|unser\w*)\b", re.IGNORECASE)
SPEECH = re.compile(r"(?:[“\"«]\s*,?\s*(?:so|sagte|sagt|erklärte|erklärt|betonte|betont|ergänzte|meinte|stellte?)|"
                    r",\s*(?:sagte|sagt|erklärte|erklärt|betonte|betont|ergänzte|meinte|fordert|forderte))"
                    r"\s+((?:[\w-]+\s+){0,4}[\w-]+)", re.IGNORECASE)
QUOTE_OPEN = re.compile(r"^\s*(?:(?:[-•*]|\d+[.)])?\s*[^:„“\"]{3,60}:\s*)?[„\"»“]")
ITEM_LABEL = re.compile(r"^\s*(?:[-•*]|\d+[.)])?\s*([^:„“\"]{3,60}):\s")
PARTIES = (("CDU", ("CDU", "Christdemokraten")), ("SPD", ("SPD", "Sozialdemokraten")),
           ("Grüne", ("Grünen", "Grüne")), ("Linke", ("Linke", "Linken")), ("FDP", ("FDP",)), ("AfD", ("AfD",)))


@dataclass(frozen=True, slots=True)
class Promise:
    doc_id: str
    actor: str
    topic: str
    kind: str
    statement: str
    section: str
    start: int  # offsets in the cleaned document text
    end: int
    date: str
    reason: str
    status: str = "offen"  # what became of it (index.follow_through): umgesetzt, in Arbeit, geändert/verworfen, offen
    evidence: tuple = ()  # later passages that show the status: {doc_id, date, section, quote}
    status_rule: str = ""  # the rule that set the status

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIELD_NAMES}  # asdict's deep copy took a third of the time

    def with_status(self, status: str, evidence: tuple, rule: str) -> Promise:
        """The statement with what became of it (`index.follow_through`)."""
        return Promise(self.doc_id, self.actor, self.topic, self.kind, self.statement, self.section, self.start,
                       self.end, self.date, self.reason, status, evidence, rule)


FIELD_NAMES = tuple(f.name for f in fields(Promise))


class PolicyAreas:
    """The policy areas of the data file and the words that point to each."""

    def __init__(self, areas: dict[str, list[str]], fallback: str) -> None:
        self.fallback = fallback
        rules = Path(__file__).read_bytes() + json.dumps([areas, fallback], sort_keys=True).encode()
        self.fingerprint = hashlib.sha256(rules).hexdigest()[:16]  # re-extract when rules or areas change
        self.patterns = {name: re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
                         for name, words in areas.items()}
        # where any area's word starts: most sentences name none, and an area's pattern is tried only there
        # (the words as a trie: the same places, found three times faster than with one long alternation)
        self.any_area = re.compile(r"(?<![\w])(?=" + trie_pattern(w for words in areas.values() for w in words) + ")",
                                   re.IGNORECASE)

    @classmethod
    @lru_cache(maxsize=4)
    def load(cls, path: Path = AREAS_FILE) -> "PolicyAreas":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(data["areas"], data.get("fallback", "Sonstiges"))

    @property
    def names(self) -> list[str]:
        return list(self.patterns) + [self.fallback]

    def mentioned(self, text: str) -> str | None:
        """The area a question names ("beim Klimaschutz" → Klima und Umwelt), if any."""
        topic = self.topic("", text)
        return None if topic == self.fallback else topic

    def topic(self, headings: str, text: str, heading_counts: list[int] | None = None) -> str:
        """The area whose words the headings (three times) and the text name most often
        (`heading_counts`: `counts(headings)`, when the caller has them for several texts)."""
        pairs = zip(self.counts(headings) if heading_counts is None else heading_counts, self.counts(text))
        scores = {name: 3 * h + t for name, (h, t) in zip(self.patterns, pairs)}
        best = max(scores, key=lambda n: scores[n])
        return best if scores[best] > 0 else self.fallback

    def counts(self, part: str) -> list[int]:
        """How often `part` names each area's words, in the order of `patterns`."""
        starts = [m.start() for m in self.any_area.finditer(part)]
        return [count_at(p, part, starts) for p in self.patterns.values()] if starts else [0] * len(self.patterns)


def trie_pattern(words) -> str:
    """A regex matching where any of `words` begins (for case-insensitive use: the words are
    lower-cased), with shared beginnings written once („ordnung(?:sdienst|spartner)?“). For where a
    match starts only: it takes the longest word, an alternation the first listed, so ends may differ."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def count_at(pattern: re.Pattern, text: str, starts: list[int]) -> int:
    """`len(pattern.findall(text))` when every match of `pattern` begins at one of `starts` (ascending):
    tried there only, each match skipping the starts it covers, as findall does."""
    count = end = 0
    for start in starts:
        if start >= end and (match := pattern.match(text, start)):
            count, end = count + 1, match.end()
    return count


# „Petra Beispiel sagte“: a name right before a speech verb (searched back from the verb).
SPEECH_VERB = re.compile(r"\b(?:sagte|sagt|erklärte|erklärt|betonte|betont|ergänzte|meinte|kündigte|kündigt|forderte|"
                         r"fordert|versprach|verspricht|hob)\b")
NAME_SPEAKS = re.compile(rf"(?<![\wäöüß-])({NAME})[^\S\n]+\Z")


def people_named(text: str, mentions: list | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """The people a document names as speakers („sagte Alexander Kalouti“, „so Kalouti“) or with an
    office („Oberbürgermeisterin Petra Beispiel“), each as (full name, words naming them: the full
    name and the surname). Only people the document gives with a first name somewhere: a lone
    capitalised word before „sagte“ may be anything. `mentions`: the text's `office_mentions` when
    the caller has them."""
    names = [m.name for m in (office_mentions(text) if mentions is None else mentions)]
    for match in SPEECH.finditer(text):
        words = [w for w in match.group(1).split() if re.fullmatch(NAME_WORD, w)]
        lead = list(takewhile(lambda w: w.lower() not in STOPWORDS, words))
        if lead and match.group(1).startswith(lead[0]):
            names.append(" ".join(lead[:2]))
    for verb in SPEECH_VERB.finditer(text):
        name = NAME_SPEAKS.search(text, max(0, verb.start() - 60), verb.start())
        if name:
            names.append(name.group(1))
    full = {n.split()[-1]: n for n in names if len(n.split()) == 2 and n.split()[0].lower() not in STOPWORDS}
    return [(name, (name, surname)) for surname, name in full.items()]


class ActorFinder:
    """Attributes a statement to a person or group: the named speaker, the subject, or the document's
    voice. Actors are the manifest's, the parties, and the people the document names (`people_named`)."""

    def __init__(self, meta: DocumentMeta, text: str = "", mentions: list | None = None) -> None:
        self.meta = meta
        listed = {w for name, words in meta.actors for w in (name, *words)}
        people = [(name, words) for name, words in people_named(text, mentions) if not listed & set(words)
                  and not any(words[1] in w.split() for w in listed)]
        known = list(meta.actors) + [p for p in PARTIES if not any(p[0] == name for name, _ in meta.actors)] + people
        self.actors = [(name, tuple(words), re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])"))
                       for name, words in known]
        self.words = tuple({w for _, words in known for w in words})

    def mentioned(self, text: str) -> list[tuple[int, str]]:
        """Actors named in `text` with the position of their first mention, earliest first."""
        if not any(w in text for w in self.words):  # the common case, nobody named: plain substring tests
            return []
        found = []
        for name, words, pattern in self.actors:  # the pattern only where one of its words is a substring
            if any(w in text for w in words) and (match := pattern.search(text)):
                found.append((match.start(), name))
        return sorted(found)

    def speaker(self, text: str) -> str | None:
        for match in SPEECH.finditer(text):
            named = self.mentioned(match.group(1))
            if named:
                return named[0][1]
        return None

    def default(self) -> str:
        return self.meta.speaker or self.meta.publisher


def statement_units(block: Block) -> list[tuple[int, int]]:
    """Spans inside a block: a short list item is one statement, anything else is split into sentences."""
    spans = sentence_spans(block.text)
    if block.kind == "item" and len(spans) <= 1:
        bullet = re.match(r"\s*[-•*–]\s+", block.text)
        return [(bullet.end() if bullet else 0, len(block.text.rstrip()))]
    return spans


def classify(sentence: str, lead: str) -> tuple[str, str] | None:
    """(kind, reason) when the sentence is a statement of intent or an achievement, else None."""
    low, low_lead = sentence.lower(), lead.lower()  # the rules are searched in lower case (`for_lowered`)
    achieved = LOW.any_achieved.search(low) is not None  # some rule of ACHIEVED_RULES matches
    if not lead and not achieved and not LOW.any_commitment.search(low):
        return None  # what most sentences are; one search each instead of every rule
    if achieved:
        return ACHIEVED, next(why for why, pattern in LOW.achieved_rules if pattern.search(low))
    if LOW.past_only.search(low) or LOW.observation.search(low) or sentence.rstrip().endswith("?") \
            or ROLE_OR_STATE.search(sentence):
        return None
    reason = next((why for why, pattern in LOW.commitment_rules if pattern.search(low)), None)
    if reason is None and lead:
        reason = f"Listenpunkt nach „{lead.strip()[-40:]}“"
    if reason is None:
        return None
    if LOW.check.search(low) or LOW.check.search(low_lead):
        return "Prüfauftrag", reason
    if LOW.demand.search(low) and (LOW.admin.search(low) or LOW.admin.search(low_lead)) or \
            (LOW.admin.search(low) and LOW.shall.search(low) and LOW.first_person.search(low_lead + low)):
        return "Forderung an die Verwaltung", reason
    return "Ziel/Vorhaben", reason


class _Lowered:
    """The rules `classify` searches, for lower-cased text (`for_lowered`)."""

    def __init__(self) -> None:
        self.any_commitment, self.any_achieved = for_lowered(ANY_COMMITMENT), for_lowered(ANY_ACHIEVED)
        self.commitment_rules = [(why, for_lowered(p)) for why, p in COMMITMENT_RULES]
        self.achieved_rules = [(why, for_lowered(p)) for why, p in ACHIEVED_RULES]
        self.past_only, self.observation, self.check, self.demand, self.admin, self.first_person = map(
            for_lowered, (PAST_ONLY, OBSERVATION, CHECK, DEMAND, ADMIN, FIRST_PERSON))
        self.shall = for_lowered(re.compile(r"\bsoll", re.IGNORECASE))


LOW = _Lowered()


HE = re.compile(r"\b(?:er|für\s+ihn)\b", re.IGNORECASE)
PRIORITY_LEAD = re.compile(r"\b(?:schwerpunkt\w*|prioritäten|ziele|themen|vorhaben)\b", re.IGNORECASE)
NUMBERED = re.compile(r"^\s*\d+[.)]\s")


def list_lead(blocks: list[Block], index: int) -> Block | None:
    """For a list item: the block just before its list, if that is a paragraph."""
    j = index - 1
    while j >= 0 and blocks[j].kind == "item":
        j -= 1
    return blocks[j] if j >= 0 and blocks[j].kind == "paragraph" else None


def priority_lead(blocks: list[Block], index: int) -> str:
    """For a numbered list item: the paragraph before the list when it names priorities ("vier Themen …:")."""
    lead = list_lead(blocks, index)
    if lead is None or not NUMBERED.match(blocks[index].text) or not lead.text.rstrip().endswith(":"):
        return ""
    return lead.text.strip() if PRIORITY_LEAD.search(lead.text) else ""


def intent_lead(blocks: list[Block], index: int) -> str:
    """For a list item: the paragraph before the list when it announces intentions ("Deshalb wollen wir:")."""
    lead = list_lead(blocks, index)
    if lead is None:
        return ""
    text = lead.text.strip()
    last = [text[a:b] for a, b in sentence_spans(text)][-1:] or [text]
    return last[0] if any(p.search(last[0]) for _, p in COMMITMENT_RULES) else ""


def extract_promises(doc: CleanDocument, areas: PolicyAreas | None = None, mentions: list | None = None) -> list[Promise]:
    """All statements of intent and achievements of one cleaned document, in document order
    (`mentions`: the document's `office_mentions` when the caller has them)."""
    areas = areas or PolicyAreas.load()
    finder = ActorFinder(doc.meta, doc.text, mentions)
    out: list[Promise] = []
    last_actor: dict[str, str] = {}  # per section: the actor named most recently
    for index, (block, offset) in enumerate(zip(doc.blocks, block_offsets(doc.blocks))):
        if block.is_comment:
            continue
        named = finder.mentioned(block.text)
        if block.kind == "heading":
            if named:
                last_actor[block.section_path] = named[0][1]
            continue
        lead = intent_lead(doc.blocks, index) if block.kind == "item" else ""
        label = ITEM_LABEL.match(block.text)
        headings = block.section_path.replace("›", " ") + " " + (label.group(1) if label else "")
        heading_counts = None  # `areas.counts(headings)`, made for the block's first statement
        block_speaker = finder.speaker(block.text)
        priorities = priority_lead(doc.blocks, index) if block.kind == "item" else ""
        for number, (a, b) in enumerate(statement_units(block)):
            sentence = block.text[a:b]
            found = classify(sentence, lead)
            if found is None and priorities and number == 0:
                found = ("Ziel/Vorhaben", "nummerierter Schwerpunkt nach „" + priorities[-40:] + "“")
            if found and _is_list_lead(doc.blocks, index, sentence, b):
                found = None  # "Deshalb wollen wir:" itself: its list items are the statements
            if found and FIRST_PERSON.search(sentence) and not QUOTE_OPEN.search(sentence) \
                    and not any(q in sentence for q in "„“") and not doc.meta.speaker:
                found = None  # the "wir" of a news article is its newsroom, not a political actor
            mentions = finder.mentioned(sentence)
            recent = last_actor.get(block.section_path)
            if mentions:
                last_actor[block.section_path] = mentions[0][1]
            if found is None:
                continue
            actor = _actor(finder, sentence, mentions, block_speaker, recent)
            kind, reason = found
            heading_counts = areas.counts(headings) if heading_counts is None else heading_counts
            out.append(Promise(doc.meta.doc_id, actor, areas.topic(headings, sentence, heading_counts), kind, sentence.strip(),
                               block.section_path, offset + a, offset + a + len(sentence.rstrip()), doc.meta.date, reason))
        if named and block_speaker is None:
            last_actor[block.section_path] = named[-1][1] if not doc.meta.speaker else last_actor.get(block.section_path, named[0][1])
        elif block_speaker:
            last_actor[block.section_path] = block_speaker
    return out


def _is_list_lead(blocks: list[Block], index: int, sentence: str, end: int) -> bool:
    """A short announcing sentence at the end of a paragraph followed by a list ("Deshalb wollen wir:")."""
    block = blocks[index]
    follows = index + 1 < len(blocks) and blocks[index + 1].kind == "item"
    return block.kind == "paragraph" and follows and not block.text[end:].strip() and len(sentence.split()) <= 6


def _actor(finder: ActorFinder, sentence: str, named: list[tuple[int, str]], block_speaker: str | None,
           recent: str | None) -> str:
    """Named speaker → quoted speech of the paragraph's speaker → 'wir' of the document → subject → context."""
    own = finder.speaker(sentence)
    if own:
        return own
    quoted = bool(QUOTE_OPEN.search(sentence))
    if quoted and (block_speaker or recent):
        return block_speaker or recent
    if FIRST_PERSON.search(sentence) and not quoted and finder.meta.speaker:
        return finder.meta.speaker
    if recent and HE.search(sentence) and not named:  # "Er wünsche sich …": the person just named
        return recent
    if named:
        subject = named[0][1]
        specific = block_speaker or recent
        if specific and specific.startswith(subject + " ("):  # "müsse die CDU …" after Mader (CDU) spoke
            return specific
        return subject
    if block_speaker:
        return block_speaker
    if finder.meta.speaker:
        return finder.meta.speaker
    return recent or finder.default()
