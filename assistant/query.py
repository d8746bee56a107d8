"""Query understanding: normalise a German (or English, or colloquial) question into a plan.

The plan says what to search for (dense and lexical queries with glossary expansions and typo
corrections), which documents the question names, whether it asks for promises or a list, which
terms the evidence must cover, and whether the question is an attempt to instruct the assistant.
Corpus statistics (document frequencies, the vocabulary) are the index's; this module only asks.
"""

from __future__ import annotations

import difflib
import bisect
import re
from dataclasses import dataclass, field

import yaml

from assistant.answer_types import Wanted, counted_noun, wanted, without_question_phrase
from assistant.prompts import read_data
from index.lexical import SEPARABLE, STOPWORDS, WORD, compound_parts, lemma, tokenize, verb_without_prefix
from index.normalise import normalise_text
from index.offices import Holder, office_of
from index.options import RetrievalOptions
from index.retrieve import SearchIndex

ARTICLES = r"(?:der|die|das|den|dem|des|neue|neuen|neuer|vom|zum|beim|unser|unseren|unserem)"
FOLLOW_UP_START = re.compile(r"^\s*(und|aber|und was|was ist mit|wie ist es mit|wie sieht es mit|and|what about)\b", re.I)
PRONOUNS = re.compile(r"\b(er|sie|ihn|ihm|ihr|sein|seine|seinen|seinem|seiner|ihre|ihren|ihrem|dessen|deren|dort|"
                      r"dazu|davon|darüber|da|he|she|his|her|they|their|it)\b", re.I)
THING_PRONOUNS = re.compile(r"\b(dort|da|dazu|davon|darüber|damit|dabei|daran|there|that)\b", re.I)
GENERIC_TYPES = {"Pressemitteilung", "Zeitungsartikel", "Dokument"}
COMMENT_WORDS = re.compile(r"\b(leser|kommentar|kommentare|leserkommentar|reaktionen der leser)", re.I)
DEFINITION = re.compile(r"^\W*(?:und\s+)?was\s+(?:ist|sind|bedeutet|bedeuten|meint|versteht man unter)\b", re.I)
HEAD_CREDIT = 0.6  # a compound's head alone ("Beitrag" for "Mitgliedsbeitrag") says part of what is asked
NOT_A_NOUN_WEIGHT = 0.5  # lower-case words (verbs, adjectives) say less about what is asked than nouns and names
# A noun in a temporal phrase („vor seiner Wahl“, „nach dem Amtsantritt“) dates the question; it is
# not what the question is about.
TEMPORAL = re.compile(r"\b(?:vor|nach|seit|während|bis zu[mr]?|kurz vor|kurz nach)\s+(?:der|dem|den|seiner|seinem|ihrer|"
                      r"ihrem|einer|einem|meiner|unserer)?\s*([A-ZÄÖÜ][\wäöüß-]+)")
TEMPORAL_WEIGHT = 0.5
# „aktuell“, „derzeit“, „inzwischen“: the question asks for the newest state of things.
RECENT = re.compile(r"\b(?:aktuell\w*|derzeit\w*|zurzeit|momentan\w*|jetzt\w*|inzwischen|mittlerweile|neueste\w*|"
                    r"zuletzt|gegenwärtig\w*|currently|now|latest)\b", re.I)
# „der OB“, „vom neuen Oberbürgermeister“, „the mayor“: an office named as a person.
DEFINITE = re.compile(r"der|die|den|dem|des|vom|zum|zur|beim|unser\w*|the", re.I)
# „Wer ist (der) Bürgermeister von …?“, „Wie heißt die neue Kämmerin?“: a question for an office holder's name.
HOLDER_QUESTION = re.compile(r"^\W*(?i:(?:und\s+)?(?:wer\s+(?:ist|war|wird|wurde)|wie\s+hei(?:ßt|ßen|sst|eßt|ess))\s+"
                             r"(?:(?:der|die|denn|eigentlich|jetzt|unser\w*)\s+)*)(?:[a-zäöüß]\w*\s+)?([A-ZÄÖÜ][\w-]*)")
HOLDER_PLACE = re.compile(r"\b(?:von|in|der Stadt|der Gemeinde|des Kreises)\s+([A-ZÄÖÜ][\wäöüß-]+)")
# „der neue OB“, „die frühere Bürgermeisterin“: which holder of an office a question means.
CURRENT_ASKED = re.compile(r"(?:neu|amtierend|jetzig|heutig|aktuell|derzeitig|gegenwärtig)(?:e|er|en|em|es)?|new|current", re.I)
FORMER_ASKED = re.compile(r"(?:ehemalig|früher|vorherig|bisherig|alt|scheidend|damalig|vorig)(?:e|er|en|em|es)?|former|previous", re.I)
NEXT = re.compile(r"\b(?:nächste[nrsm]?|kommende[nrsm]?|künftige[nrsm]?|bevorstehende[nrsm]?|next|upcoming)\b", re.I)
YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
# Broad questions ("Was sagt … zu …?", "Was plant …?") may be answered with a few sentences.
SUMMARY = re.compile(r"^\W*(?:und\s+)?(?:was|welche\w*|wie)\b.{0,80}\b(?:sagt|sagen|steht|stehen|plant|planen|fordert|fordern|"
                     r"will|wollen|möchte|möchten|soll|sollen|schlägt|schlagen|geplant|passieren|geschehen|tun|vor|"
                     r"vorgenommen|erreichen|ändern|verändern)\b", re.I)


class AliasPattern:
    """Finds a document alias in a question: by stems for long aliases, literally for short ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stems = frozenset(tokenize(name))
        self.literal = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I if len(name) > 3 else 0)

    def search(self, text: str, text_stems: frozenset[str] | None = None) -> re.Match | None:
        """`text_stems`: the text's terms when the caller has them (one tokenization for many aliases)."""
        match = self.literal.search(text)
        if match or len(self.name) <= 3 or not self.stems:
            return match
        if self.stems <= (text_stems if text_stems is not None else frozenset(tokenize(text))):
            return re.match(r".*", self.name)  # a match object whose group() is the alias
        return None


@dataclass(frozen=True)
class Glossary:
    abbreviations: dict[str, str]
    colloquial: dict[str, str]
    english: dict[str, str]
    question_words: frozenset[str]
    intent_question: tuple[str, ...]
    intent_sentence: tuple[re.Pattern, ...]
    list_question: frozenset[str]
    injection: tuple[re.Pattern, ...]

    @classmethod
    def load(cls) -> "Glossary":
        data = yaml.safe_load(read_data("glossary.yaml"))
        patterns = [line.strip() for line in read_data("injection_patterns.txt").splitlines()
                    if line.strip() and not line.startswith("#")]
        return cls(
            abbreviations={str(k): str(v) for k, v in data["abbreviations"].items()},
            colloquial={str(k).lower(): str(v) for k, v in data["colloquial"].items()},
            english={str(k).lower(): str(v) for k, v in data["english"].items()},
            question_words=frozenset(w.lower() for w in data["question_words"]),
            intent_question=tuple(w.lower() for w in data["intent_question"]),
            intent_sentence=tuple(re.compile(p, re.I) for p in data["intent_sentence"]),
            list_question=frozenset(w.lower() for w in data["list_question"]),
            injection=tuple(re.compile(p, re.I) for p in patterns),
        )

    def is_injection(self, text: str) -> bool:
        text = normalise_text(text)  # „Ig\u200bnoriere“, a Cyrillic „о“: the same check as the plain form
        return any(p.search(text) for p in self.injection)

    def abbreviated(self, word: str) -> list[str]:
        """Abbreviations whose expansion contains the word („Ordnungsdienst“ → KOD)."""
        low = word.lower()
        return [abbr for abbr, expansion in self.abbreviations.items()
                if len(low) >= 4 and low in expansion.lower().split()]

    def is_intent_sentence(self, sentence: str) -> bool:
        return any(p.search(sentence) for p in self.intent_sentence)


@dataclass
class KeyTerm:
    word: str
    stems: frozenset[str]  # the word's stem and the stems of its expansions and corrections: any one covers it
    weight: float
    noun: bool = False  # capitalised inside the question: a German noun or a name
    own: frozenset[str] = frozenset()  # stems without typo corrections
    parts: tuple[frozenset[str], ...] = ()  # a compound's parts: all stems of one set together cover it
    known: bool = True  # the corpus has it (itself, an expansion, a correction or all its parts)
    head: str = ""  # a compound's head ('beitrag' of 'Mitgliedsbeitrag'): covers it in part
    partial: frozenset[str] = frozenset()  # compounds that begin with it ('softwareplattform' for 'Software')
    unknown_parts: float = 0.0  # share of a compound's parts the corpus does not have („Gewerbesteuer“-Hebesatz)
    in_compound: bool = False  # the corpus has it only as a compound's first part („Abstimmung“ in „Abstimmungsergebnis“)

    def coverage(self, stems) -> float:
        """1 when the term (or all its parts) is there, 0.6 when only its head noun or a compound
        beginning with it is, else 0."""
        if self.stems & stems or any(p <= stems for p in self.parts):
            return 1.0
        return HEAD_CREDIT if (self.head and self.head in stems) or self.partial & stems else 0.0

    def covered(self, stems) -> bool:
        return self.coverage(stems) > 0


@dataclass
class QueryPlan:
    question: str
    resolved: str
    dense_query: str
    lexical_query: str
    key_terms: list[KeyTerm] = field(default_factory=list)
    doc_boost: dict[str, float] = field(default_factory=dict)
    routed_docs: list[str] = field(default_factory=list)
    wants_intent: bool = False
    wants_list: bool = False
    wants_comments: bool = False
    injection: bool = False
    is_follow_up: bool = False
    wanted: Wanted = Wanted.OTHER  # the kind of answer asked for (number, date, person …)
    wants_summary: bool = False  # a broad question: a few sentences may answer
    counted: str = ""  # „Wie viele Sitze …“: the key term of what is counted (lower case)
    prefers_recent: bool = False  # „aktuell“, „inzwischen“: newer documents first
    year: str = ""  # „… 2024“: documents of that year first
    asks_next: bool = False  # „Wann ist die nächste Sitzung?“: an upcoming date, not the one reported
    holders: dict[str, list[str]] = field(default_factory=dict)  # „OB“ → the names of its holders, current first
    asks_holder: str = ""  # „Wer ist Bürgermeister von …?“: the office whose holder's name is asked for
    holder_place: str = ""  # … and the place it names („Heuweiler“)

    def unknown_share(self, knows) -> float:
        """Weighted share of key nouns and names that occur nowhere in the corpus ('Hamburg', 'Wetter');
        `knows(stem)` says whether the corpus has a term."""
        total = sum(t.weight for t in self.key_terms)
        if not total:
            return 0.0
        return sum(t.weight * (1.0 if not t.parts and not t.in_compound and not any(knows(s) for s in t.own) else t.unknown_parts)
                   for t in self.key_terms if t.noun) / total

    def term(self, word: str) -> KeyTerm | None:
        return next((t for t in self.key_terms if t.word == word), None)

    def support(self, stems: set[str], terms: list[KeyTerm] | None = None) -> float:
        """Weighted share of the key terms (or of `terms`) the corpus knows that are found in `stems`
        (1.0 when there are none). Terms nowhere in the corpus cannot be found anywhere:
        `unknown_share` judges those."""
        known = [t for t in (self.key_terms if terms is None else terms) if t.known]
        total = sum(t.weight for t in known)
        if not total:
            return 1.0
        return sum(t.weight * t.coverage(stems) for t in known) / total


PLURAL_QUESTION = re.compile(r"^\W*(?i:(?:und\s+)?(?:welche|was\s+(?:sind|waren)\s+(?:die|seine|ihre|deren)))\s+"
                             r"(?:[a-zäöüß0-9]\w*\s+){0,2}?([A-ZÄÖÜ][\wäöüß-]+)")


def asks_for_many(question: str) -> bool:
    """„Welche Maßnahmen …“, „Was waren die Hauptthemen …“: a question for a plural noun wants a
    list; „Welche Software …“ (the noun is its own singular) does not."""
    match = PLURAL_QUESTION.search(question)
    if not match:
        return False
    noun = match.group(1)
    if not noun.endswith(("e", "en", "n", "er", "s")):
        return False
    if lemma(noun) != noun:
        return True
    splits = compound_parts(noun)  # an unknown compound („Hauptthemen“): is its head a plural?
    head = splits[0][2] if splits else ""
    return bool(head) and lemma(head) != head


class QueryAnalyzer:
    """Turns a question (and the chat history) into a `QueryPlan` against one loaded index."""

    def __init__(self, index: SearchIndex, glossary: Glossary, options: RetrievalOptions = RetrievalOptions()) -> None:
        self.index = index
        self.glossary = glossary
        self.options = options
        self._version = None
        self._aliases: list[tuple[AliasPattern, tuple[str, ...]]] = []
        self._corrected: dict[str, list[str]] = {}

    def _refresh(self) -> None:
        """Per index version: the document names users say, and a fresh typo-correction cache."""
        if self._version == self.index.version:
            return
        self._aliases = self._alias_table()
        self._corrected = {}
        self._version = self.index.version

    def _alias_table(self) -> list[tuple[AliasPattern, tuple[str, ...]]]:
        """Document names users say: manifest aliases, distinctive types, short publishers; one
        pattern per name, with every document it names (a council archive repeats a few names).
        Long names match by their stems ('grünen und cdu' names 'Grüne und CDU'); short ones
        ('OB') only as written, so the conjunction 'ob' does not."""
        named: dict[str, list[str]] = {}
        for doc in self.index.documents.values():
            names = set(doc.meta.aliases)
            if doc.meta.doc_type not in GENERIC_TYPES:  # "Projektpapier" names one document, "Pressemitteilung" many
                names.add(doc.meta.doc_type)
            if doc.meta.publisher and len(doc.meta.publisher) < 30:
                names.add(doc.meta.publisher.split(" (")[0])
            for name in sorted(n for n in names if n):
                named.setdefault(name, []).append(doc.meta.doc_id)
        return [(AliasPattern(name), tuple(doc_ids)) for name, doc_ids in named.items()]

    # -- the plan ---------------------------------------------------------------------------
    def analyze(self, question: str, history: list[str] | None = None) -> QueryPlan:
        self._refresh()
        resolved, follow_up = self.resolve_follow_up(question, history or [])
        normalised = self.normalise(resolved)
        expansions = self.expansions(normalised)
        corrections = self.corrections(normalised)
        parts = [p for word in WORD.findall(normalised) if not self.knows_word(word) for p in self.parts_of(word)]
        routed = self.route(normalised)
        lowered = normalised.lower()
        offices = self.office_holders(self.restore_abbreviations(resolved))
        holders = [h.name for people in offices.values() for h in people]
        plan = QueryPlan(
            question=question, resolved=resolved,
            dense_query=" ".join([normalised, *expansions, *holders]),
            lexical_query=" ".join([normalised, *expansions, *holders, *corrections, *parts]),
            routed_docs=routed, doc_boost={d: self.options.route_boost for d in routed},
            wants_intent=any(w in lowered for w in self.glossary.intent_question),
            wants_list=bool(set(WORD.findall(lowered)) & self.glossary.list_question - {"welche"}) or asks_for_many(question),
            wants_comments=bool(COMMENT_WORDS.search(question)),
            injection=self.glossary.is_injection(question),
            is_follow_up=follow_up,
            wanted=wanted(question),
            wants_summary=bool(SUMMARY.search(question) or DEFINITION.search(question)),
            counted=counted_noun(question).lower(),
            prefers_recent=bool(RECENT.search(resolved)),
            asks_next=bool(NEXT.search(resolved)),
            year=(YEAR.findall(resolved) or [""])[-1],
            holders={word: [h.name for h in people] for word, people in offices.items() if not people[0].former},
        )
        plan.asks_holder = self.asks_holder(resolved)
        if plan.asks_holder:
            plan.holder_place = (HOLDER_PLACE.search(resolved) or [None, ""])[1]
        plan.key_terms = self.key_terms(self.restore_abbreviations(without_question_phrase(resolved)))
        return plan

    def restore_abbreviations(self, text: str) -> str:
        """'der ob' → 'der OB': lower-case abbreviations right after an article or adjective."""
        for abbr in self.glossary.abbreviations:
            text = re.sub(rf"\b({ARTICLES}) {re.escape(abbr.lower())}\b", rf"\1 {abbr}", text, flags=re.I)
        return text

    def normalise(self, question: str) -> str:
        """Colloquial and English words replaced, lower-case abbreviations after articles restored."""
        def swap(match: re.Match) -> str:
            word = match.group()
            low = word.lower()
            if low in self.glossary.colloquial:
                return self.glossary.colloquial[low]
            if low in self.glossary.english:
                return self.glossary.english[low]
            return word
        return WORD.sub(swap, self.restore_abbreviations(question))

    def expansions(self, text: str) -> list[str]:
        out = []
        for abbr, expansion in self.glossary.abbreviations.items():
            if re.search(rf"(?<!\w){re.escape(abbr)}(?!\w)", text):
                out.append(expansion)
        return out

    def corrections(self, text: str) -> list[str]:
        """Closest corpus words for words the corpus does not know (typos, inflections)."""
        out = []
        for word in WORD.findall(text.lower()):
            if len(word) < 5 or word in self.glossary.question_words or word in STOPWORDS:
                continue
            if all(self.index.knows(t) for t in tokenize(word)):
                continue
            if word not in self._corrected:  # key_terms asks again for the same words
                if len(self._corrected) > 20_000:  # bounded: the public sends arbitrary words
                    self._corrected.clear()
                bucket = self.index.surface_words(word[0])
                self._corrected[word] = difflib.get_close_matches(word, bucket, n=1, cutoff=0.78)
            out.extend(self._corrected[word])
        return out

    def knows_word(self, word: str) -> bool:
        stems = [s for s in tokenize(word) if len(s) > 1]
        return bool(stems) and all(self.index.knows(s) for s in stems)

    def parts_of(self, word: str) -> list[str]:
        """A compound the corpus does not know, split into parts it knows ('Anwohnerparkgebühr' →
        Anwohner, Park, Gebühr); empty when no such split exists."""
        if len(word) < 8 or "-" in word:
            return []
        key = f"parts:{word}"
        if key not in self._corrected:
            self._corrected[key] = self._split(word, depth=2)
        return self._corrected[key]

    def _split(self, word: str, depth: int) -> list[str]:
        for score, modifier, head in compound_parts(word):
            pieces = []
            for part in (modifier, head):
                if self.knows_word(part):
                    pieces.append(part)
                elif depth > 1 and len(part) >= 8 and (sub := self._split(part, depth - 1)):
                    pieces.extend(sub)
                else:
                    pieces = []
                    break
            if pieces:
                return pieces
        return []

    def route(self, text: str) -> list[str]:
        stems = frozenset(tokenize(text))
        return sorted({doc_id for pattern, doc_ids in self._aliases if pattern.search(text, stems) for doc_id in doc_ids})

    def derived(self, word: str) -> set[str]:
        """Corpus terms of the same root in another word class: „moderiert“ ↔ Moderation,
        „finanzieren“ ↔ Finanzierung, „angekündigt“ ↔ „kündigt … an“."""
        out = set()
        base = verb_without_prefix(word)
        if base:
            out.add(base)
        low = lemma(word).lower()
        root = next((low[:-len(s)] for s in ("ieren", "ierung", "ation", "ion") if low.endswith(s) and len(low) > len(s) + 3), "")
        if root:
            out |= {t for s in ("ieren", "ierung", "ation", "ion") for t in tokenize(root + s)}
        return {t for t in out if self.index.knows(t)}

    def begins_a_word(self, word: str) -> bool:
        """Whether a corpus word is a compound beginning with `word` („abstimmung“ → „abstimmungsergebnis“)."""
        if len(word) < 4:
            return False
        words = self.index.surface_words(word[0])
        i = bisect.bisect_left(words, word)
        while i < len(words) and words[i].startswith(word):
            if len(words[i]) >= len(word) + 4:
                return True
            i += 1
        return False

    def compounds(self, stems: set[str]) -> tuple[set[str], set[str]]:
        """Corpus compounds whose head is one of `stems` (they cover it) and that begin with one (in part)."""
        heads, firsts = set(), set()
        for stem in stems:
            h, f = self.index.compounds_of(stem)
            heads |= set(h)
            firsts |= set(f)
        return heads, firsts - heads

    def mapped(self, word: str) -> str:
        """The glossary's words for `word` (an abbreviation's long form, the official word for a
        colloquial or English one); '' when it has none."""
        low = word.lower()
        return self.glossary.abbreviations.get(word) or self.glossary.colloquial.get(low) or self.glossary.english.get(low) or ""

    def office_holders(self, question: str) -> dict[str, list[Holder]]:
        """The offices the question names as a person („der OB“, „vom neuen Oberbürgermeister“, not
        „keinen CDU-Oberbürgermeister“), each with the people the documents name as its holders
        (`index.offices`): „der neue OB“ → the current holder, „der frühere OB“ → the former ones,
        „der OB“ → all of them, the current one first (at most three). Left out: an office whose holder
        the question names itself, and one of a place the documents do not know („der Kölner
        Oberbürgermeister“, „der Bürgermeister von Hamburg“: their holders are not the ones named here)."""
        words = WORD.findall(question)
        named = {w.lower() for w in words}
        out: dict[str, list[Holder]] = {}
        for i, word in enumerate(words):
            offices = {office_of(w) for w in [word, *self.mapped(word).split()]} - {""}
            if not offices or not any(DEFINITE.fullmatch(w) for w in words[max(0, i - 2):i]):
                continue
            before = words[i - 1] if i else ""
            place = before if re.fullmatch(r"[A-ZÄÖÜ]\w+er", before) else \
                words[i + 2] if i + 2 < len(words) and words[i + 1].lower() in ("von", "in", "aus", "of") else ""
            if place and not self.knows_word(place):
                continue
            era = "former" if FORMER_ASKED.fullmatch(before) else "current" if CURRENT_ASKED.fullmatch(before) else ""
            where = place if place and place != before else ""  # „von Heuweiler“: not the holders placed elsewhere
            people = list({h.surname: h for o in sorted(offices) for h in self.index.offices.holders(o, era, where)}.values())
            if people and not any(h.surname.lower() in named for h in people):
                out[word] = people[:3]
        return out

    def asks_holder(self, question: str) -> str:
        """The office a question asks the holder's name of („Wer ist der Bürgermeister …?“, „Wie heißt
        die Kämmerin?“), '' for any other question."""
        match = HOLDER_QUESTION.match(question)
        if not match:
            return ""
        word = match.group(1)
        return next((o for o in (office_of(w) for w in [word, *self.mapped(word).split()]) if o), "")

    def alternatives(self, word: str, corrected: bool = True, particle: str = "",
                     holders: dict[str, list[Holder]] | None = None) -> set[str]:
        """Stems that count as this word: its own (a hyphenated compound only as a whole), its glossary
        expansions and abbreviations, derived forms, the verb with a separated particle ("arbeitet …
        zu" → zuarbeiten), its typo correction, and for an office the names of its holders
        (`holders`, from `office_holders`)."""
        stems = {t for t in tokenize(word) if len(t) > 1}
        if "-" in word:  # „One-Stop-Shop-Lösungen“: the whole, not any of its parts (they are `parts`)
            stems = {t for t in tokenize(word.replace("-", "")) if len(t) > 1}
        stems |= self.derived(word)
        if particle and not word[:1].isupper():
            stems |= {t for t in tokenize(particle + lemma(word)) if self.index.knows(t)}
        stems |= {t for abbr in self.glossary.abbreviated(word) for t in tokenize(abbr) if self.index.knows(t)}
        stems |= {t for h in (holders or {}).get(word, ()) for t in tokenize(h.surname)}
        mapped = self.mapped(word)
        if mapped:
            stems |= {t for t in tokenize(mapped) if len(t) > 1}
        if corrected and not mapped and len(word) >= 6 and stems and not any(self.index.knows(t) for t in stems):
            for correction in self.corrections(word):
                stems |= set(tokenize(correction))
        return stems

    def key_terms(self, question: str) -> list[KeyTerm]:
        """The words of the question the evidence must cover, each weighted by its rarity."""
        terms: dict[str, KeyTerm] = {}
        words = WORD.findall(question)
        particle = words[-1].lower() if words and words[-1].lower() in SEPARABLE else ""  # „Wer arbeitet … zu?“
        dating = {m.group(1).lower() for m in TEMPORAL.finditer(question)}
        holders = self.office_holders(question)
        for position, word in enumerate(words):
            low = word.lower()
            if low in self.glossary.question_words or (low in STOPWORDS and word not in self.glossary.abbreviations):
                continue
            if re.fullmatch(rf"{ARTICLES} ob", low) or (low == "ob" and word != "OB") or RECENT.fullmatch(word):
                continue  # the conjunction „ob“; „aktuell“ asks for recency, it is not the topic
            stems = self.alternatives(word, particle=particle, holders=holders)
            if stems:
                noun = word[0].isupper() and word not in self.glossary.abbreviations
                own = frozenset(self.alternatives(word, corrected=False, holders=holders))
                parts = self.parts_of(word) if not any(self.index.knows(s) for s in stems) else []
                if "-" in word:
                    parts = [p for p in word.split("-") if p]
                part_stems = frozenset(s for p in parts for s in tokenize(p))
                heads, firsts = self.compounds(set(own))
                known = [s for s in stems | part_stems | heads if self.index.knows(s)]
                weight = max(self.index.idf(s) for s in (known or stems))
                if not (word[0].isupper() or word in self.glossary.abbreviations or word.isdigit()):
                    weight *= NOT_A_NOUN_WEIGHT
                if low in dating:
                    weight *= TEMPORAL_WEIGHT
                head = (tokenize(parts[-1]) or [""])[-1] if parts else ""
                unknown_parts = sum(1 for p in parts if not self.knows_word(p)) / len(parts) if parts else 0.0
                terms.setdefault(low, KeyTerm(low, frozenset(stems | heads), weight, noun, own | heads,
                                              (part_stems,) if part_stems else (), bool(known), head, frozenset(firsts),
                                              unknown_parts, not known and self.begins_a_word(lemma(word).lower())))
        return list(terms.values())

    def resolve_follow_up(self, question: str, history: list[str]) -> tuple[str, bool]:
        """Carry the documents, names and (for bare pronoun questions) the topic of earlier turns."""
        if not history:
            return question, False
        previous = history[-1]
        own_terms = self.key_terms(self.restore_abbreviations(question))
        elliptical = FOLLOW_UP_START.search(question) or PRONOUNS.search(question) or len(own_terms) <= 1
        if not elliptical or (self.route(self.normalise(question)) and not PRONOUNS.search(question)):
            return question, False
        carried = [m.group() for pattern, _ in self._aliases for m in [pattern.search(previous)] if m]
        if not own_terms or THING_PRONOUNS.search(question):  # "Was hat er dort gemacht?": the earlier topic
            carried += [t.word for t in self.key_terms(self.restore_abbreviations(previous))]
        carried = list(dict.fromkeys(c for c in carried if c.lower() not in question.lower()))
        if not carried:
            return question, False
        return f"{question} ({' '.join(carried)})", True
