"""Query understanding: normalise a German (or English, or colloquial) question into a plan.

The plan says what to search for (dense and lexical queries with glossary expansions and typo
corrections), which documents the question names, whether it asks for promises or a list, which
terms the evidence must cover, and whether the question is an attempt to instruct the assistant.
Corpus statistics (document frequencies, the vocabulary) are the index's; this module only asks.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import yaml

from assistant.prompts import read_data
from index.lexical import STOPWORDS, WORD, tokenize
from index.options import RetrievalOptions
from index.retrieve import SearchIndex

ARTICLES = r"(?:der|die|das|den|dem|des|neue|neuen|neuer|vom|zum|beim|unser|unseren|unserem)"
FOLLOW_UP_START = re.compile(r"^\s*(und|aber|und was|was ist mit|wie ist es mit|wie sieht es mit|and|what about)\b", re.I)
PRONOUNS = re.compile(r"\b(er|sie|ihn|ihm|ihr|sein|seine|seinen|seinem|seiner|ihre|ihren|ihrem|dessen|deren|dort|"
                      r"dazu|davon|darüber|da|he|she|his|her|they|their|it)\b", re.I)
THING_PRONOUNS = re.compile(r"\b(dort|da|dazu|davon|darüber|damit|dabei|daran|there|that)\b", re.I)
GENERIC_TYPES = {"Pressemitteilung", "Zeitungsartikel", "Dokument"}
COMMENT_WORDS = re.compile(r"\b(leser|kommentar|kommentare|leserkommentar|reaktionen der leser)", re.I)


class AliasPattern:
    """Finds a document alias in a question: by stems for long aliases, literally for short ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stems = frozenset(tokenize(name))
        self.literal = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I if len(name) > 3 else 0)

    def search(self, text: str) -> re.Match | None:
        match = self.literal.search(text)
        if match or len(self.name) <= 3 or not self.stems:
            return match
        if self.stems <= set(tokenize(text)):
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
        return any(p.search(text) for p in self.injection)

    def is_intent_sentence(self, sentence: str) -> bool:
        return any(p.search(sentence) for p in self.intent_sentence)


@dataclass
class KeyTerm:
    word: str
    stems: frozenset[str]  # the word's stem and the stems of its expansions and corrections
    weight: float
    noun: bool = False  # capitalised inside the question: a German noun or a name
    own: frozenset[str] = frozenset()  # stems without typo corrections


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

    def unknown_share(self, knows) -> float:
        """Weighted share of key nouns and names that occur nowhere in the corpus ('Hamburg', 'Wetter');
        `knows(stem)` says whether the corpus has a term."""
        total = sum(t.weight for t in self.key_terms)
        if not total:
            return 0.0
        return sum(t.weight for t in self.key_terms if t.noun and not any(knows(s) for s in t.own)) / total

    def support(self, stems: set[str]) -> float:
        """Weighted share of the key terms found in `stems` (1.0 when the question has none)."""
        total = sum(t.weight for t in self.key_terms)
        if not total:
            return 1.0
        return sum(t.weight for t in self.key_terms if t.stems & stems) / total


class QueryAnalyzer:
    """Turns a question (and the chat history) into a `QueryPlan` against one loaded index."""

    def __init__(self, index: SearchIndex, glossary: Glossary, options: RetrievalOptions = RetrievalOptions()) -> None:
        self.index = index
        self.glossary = glossary
        self.options = options
        self._version = None
        self._aliases: list[tuple[AliasPattern, str]] = []
        self._corrected: dict[str, list[str]] = {}

    def _refresh(self) -> None:
        """Per index version: the document names users say, and a fresh typo-correction cache."""
        if self._version == self.index.version:
            return
        self._aliases = self._alias_table()
        self._corrected = {}
        self._version = self.index.version

    def _alias_table(self) -> list[tuple[AliasPattern, str]]:
        """Document names users say: manifest aliases, distinctive types, short publishers.
        Long names match by their stems ('grünen und cdu' names 'Grüne und CDU'); short ones
        ('OB') only as written, so the conjunction 'ob' does not."""
        table = []
        for doc in self.index.documents.values():
            names = set(doc.meta.aliases)
            if doc.meta.doc_type not in GENERIC_TYPES:  # "Projektpapier" names one document, "Pressemitteilung" many
                names.add(doc.meta.doc_type)
            if doc.meta.publisher and len(doc.meta.publisher) < 30:
                names.add(doc.meta.publisher.split(" (")[0])
            for name in names:
                if name:
                    table.append((AliasPattern(name), doc.meta.doc_id))
        return table

    # -- the plan ---------------------------------------------------------------------------
    def analyze(self, question: str, history: list[str] | None = None) -> QueryPlan:
        self._refresh()
        resolved, follow_up = self.resolve_follow_up(question, history or [])
        normalised = self.normalise(resolved)
        expansions = self.expansions(normalised)
        corrections = self.corrections(normalised)
        routed = self.route(normalised)
        lowered = normalised.lower()
        plan = QueryPlan(
            question=question, resolved=resolved,
            dense_query=" ".join([normalised, *expansions]),
            lexical_query=" ".join([normalised, *expansions, *corrections]),
            routed_docs=routed, doc_boost={d: self.options.route_boost for d in routed},
            wants_intent=any(w in lowered for w in self.glossary.intent_question),
            wants_list=bool(set(WORD.findall(lowered)) & self.glossary.list_question),
            wants_comments=bool(COMMENT_WORDS.search(question)),
            injection=self.glossary.is_injection(question),
            is_follow_up=follow_up,
        )
        plan.key_terms = self.key_terms(self.restore_abbreviations(resolved))
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

    def route(self, text: str) -> list[str]:
        return sorted({doc_id for pattern, doc_id in self._aliases if pattern.search(text)})

    def alternatives(self, word: str, corrected: bool = True) -> set[str]:
        """Stems that count as this word: its own, its glossary expansions, its typo correction."""
        low = word.lower()
        stems = {t for t in tokenize(word) if len(t) > 1}
        mapped = self.glossary.abbreviations.get(word) or self.glossary.colloquial.get(low) or self.glossary.english.get(low)
        if mapped:
            stems |= {t for t in tokenize(mapped) if len(t) > 1}
        if corrected and not mapped and stems and not all(self.index.knows(t) for t in stems):
            for correction in self.corrections(word):
                stems |= set(tokenize(correction))
        return stems

    def key_terms(self, question: str) -> list[KeyTerm]:
        """The words of the question the evidence must cover, each weighted by its rarity."""
        terms: dict[str, KeyTerm] = {}
        for position, word in enumerate(WORD.findall(question)):
            low = word.lower()
            if low in self.glossary.question_words or (low in STOPWORDS and word not in self.glossary.abbreviations):
                continue
            if re.fullmatch(rf"{ARTICLES} ob", low) or (low == "ob" and word != "OB"):
                continue
            stems = self.alternatives(word)
            if stems:
                noun = position > 0 and word[0].isupper() and word not in self.glossary.abbreviations
                own = frozenset(self.alternatives(word, corrected=False))
                terms.setdefault(low, KeyTerm(low, frozenset(stems), max(self.index.idf(t) for t in stems), noun, own))
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
