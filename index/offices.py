"""Who holds which office, learned from the documents themselves.

A question about „den neuen OB“ is about a person whom a document may call only by name („sagte
Kalouti“). At ingest, every office named together with a person is recorded with its document:
„Oberbürgermeister Alexander Kalouti“, „der scheidende OB Thomas Westphal“, „Rechts- und
Ordnungsdezernent Norbert Dahmen“, „Der Fraktionsvorsitzende der CDU, Jendrik Suck“. At query time
the mentions of all documents, with the documents' dates, say who held an office and who holds it
now: a person called „scheidend“, „ehemalig“, „Alt-“ … is a former holder from then on (unless a
newer document calls them the new one); of the others, the one named latest is the holder now.

Nothing here is about one city: the office titles are German public-office words, the names are
whatever the documents say.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from sys import intern
from importlib import resources

from index.lexical import STOPWORDS

# Heads of German public-office titles (a compound ending in one is that kind of office:
# „Ordnungsdezernent“, „Bezirksbürgermeisterin“, „Fraktionsvorsitzender“); masculine stem, the
# feminine and inflected forms are derived.
OFFICE_HEADS = ("bürgermeister", "dezernent", "beigeordnete", "kämmerer", "direktor", "vorsteher", "vorsitzende",
                "präsident", "landrat", "stadtrat", "baurat", "sprecher", "minister", "leiter", "amtsleiter",
                "fraktionschef", "parteichef", "kanzler", "senator", "stadtdirektor", "superintendent")
ABBREVIATED = {"OB": "oberbürgermeister", "OBM": "oberbürgermeister", "BM": "bürgermeister"}
_HEAD = "|".join(sorted({h.replace("rat", "r(?:at|ät)").replace("kämmerer", "kämmer(?:er|in)") for h in OFFICE_HEADS},
                        key=len, reverse=True))
NAME_WORD = r"[A-ZÄÖÜ][a-zäöüßé]+(?:-[A-ZÄÖÜ][a-zäöüßé]+)?"
NAME = rf"(?:(?:Dr\.|Prof\.)[^\S\n]+)*{NAME_WORD}(?:[^\S\n]+{NAME_WORD})?"
FORMER = r"(?:scheidend|ehemalig|früher|bisherig|einstig|damalig|vormalig|langjährig|verstorben|abgewählt)(?:e|er|en|em|es)?"
CURRENT = r"(?:neu|amtierend|designiert|neugewählt|frisch gewählt|künftig|jetzig|heutig|aktuell)(?:e|er|en|em|es)?"
# Found where an office word stands („Oberbürgermeister“, „NRW-Ministerpräsident“, „OB“), in its line:
# after it a name: „Oberbürgermeister Alexander Kalouti“ …
NAME_AFTER = re.compile(rf"[^\S\n]+(?P<name>{NAME})(?![\wäöüß-])")
# … or an apposition: „Der Fraktionsvorsitzende der CDU, Jendrik Suck,“ …
APPOSITION = re.compile(rf"[^\S\n]+(?:der|des|im|in|von)[^\S\n]+(?:[\wäöüß-]+[^\S\n]+){{0,2}}?[\wäöüß-]+,[^\S\n]+"
                        rf"(?P<name>{NAME})(?![\wäöüß-])")
# … before it a name: „Thomas Westphal, der scheidende Oberbürgermeister“, „Kalouti, Dortmunds neuer OB“,
# „mit Kalouti als OB“ …
NAME_BEFORE = re.compile(rf"(?<![\wäöüß-])(?P<name>{NAME})(?:,|[^\S\n]+als)[^\S\n]+(?:der|die|des|den|dem)?[^\S\n]*"
                         rf"(?:[A-ZÄÖÜ][\wäöüß]*s[^\S\n]+)?(?P<mark>{FORMER}|{CURRENT})?[^\S\n]*\Z")
# … and what it is called: „der scheidende OB“, „die neue Rechts- und Ordnungsdezernentin“.
MARK_BEFORE = re.compile(rf"\b(?P<mark>{FORMER}|{CURRENT})[^\S\n]+(?:[A-ZÄÖÜ][\wäöüß]*-?[^\S\n]+(?:und[^\S\n]+)?)?\Z")
# … and where: „Bürgermeister Gemeinde Vörstetten“, „Bürgermeisterin der Stadt Viersen“, „Landrat des Kreises Kleve“.
PLACE_AFTER = re.compile(r"[^\S\n]+(?:(?:der|des)[^\S\n]+)?(?:Stadt|Gemeinde|Kreis(?:es)?|Landkreis(?:es)?|Bezirk(?:s|es)?|"
                         r"Ortsgemeinde|Verbandsgemeinde|von|in|für)[^\S\n]+([A-ZÄÖÜ][\wäöüß-]+)")
LOOK_BACK = 100  # characters before an office word in which its name or epithet may stand
ANY_OFFICE = re.compile(rf"(?i:{_HEAD})|\b(?:OBM?|BM)\b")
ABBREVIATION = re.compile(r"\b(?:OBM?|BM)\b")
# „landr“ finds Landrat and Landrätin, „kämmer“ Kämmerer and Kämmerin
HEAD_STEMS = tuple(sorted({h.replace("rat", "r").replace("kämmerer", "kämmer") for h in OFFICE_HEADS}))
WORD_CHAR = re.compile(r"[\wäöüß-]")
# A capitalised word after an article is a noun, not a first name („Bürgermeister Gemeinde Vörstetten“).
NOUN = re.compile(r"\b(?:der|die|das|den|dem|des|ein|eine|einer|einem|einen|eines|im|am|zum|zur|vom|beim)[^\S\n]+"
                  r"([A-ZÄÖÜ][a-zäöüß]+)\b")
ENDINGS = ("innen", "in", "es", "en", "n", "s", "r")


def office_of(word: str) -> str:
    """The office a word names, as its lower-case masculine singular („Oberbürgermeisterin“ →
    „oberbürgermeister“, „OB“ → „oberbürgermeister“, „NRW-Ministerpräsident“ → „ministerpräsident“,
    „Landrätin“ → „landrat“); '' when the word names no office."""
    word = word.removeprefix("Alt-")
    if word in ABBREVIATED:
        return ABBREVIATED[word]
    low = word.lower().split("-")[-1].replace("rät", "rat").replace("kämmerin", "kämmerer")
    for candidate in [low] + [low[:-len(e)] for e in ENDINGS if low.endswith(e)]:
        if candidate.endswith(OFFICE_HEADS) and len(candidate) < 40:
            return candidate
    return ""


@dataclass(frozen=True, slots=True)
class Mention:
    office: str  # office_of(...) of the title used
    name: str  # as written: „Alexander Kalouti“ or „Kalouti“
    former: bool = False  # called „scheidend“, „ehemalig“, „Alt-“ … here
    current: bool = False  # called „neu“, „amtierend“, „designiert“ … here
    place: str = ""  # the place of the office when named with it („Bürgermeister Gemeinde Vörstetten“)

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def to_list(self) -> list:
        return [self.office, self.name, int(self.former), int(self.current), self.place]

    @classmethod
    def from_list(cls, row) -> "Mention":
        """A mention as stored; its office, name and place held once per process (an archive names the
        same people in thousands of records)."""
        return cls(intern(str(row[0])), intern(str(row[1])), bool(row[2]), bool(row[3]),
                   intern(str(row[4])) if len(row) > 4 else "")


def _office_words(text: str) -> list[tuple[int, int]]:
    """Where office heads stand in `text` (start and end of each hit, in order): found by substring
    search in the lower-cased text, many times faster than a case-insensitive regular expression."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: positions would shift
        return [m.span() for m in ANY_OFFICE.finditer(text)]
    hits = [m.span() for m in ABBREVIATION.finditer(text)]
    for head in HEAD_STEMS:
        i = low.find(head)
        while i >= 0:
            hits.append((i, i + len(head)))
            i = low.find(head, i + 1)
    return sorted(hits)


def office_mentions(text: str) -> list[Mention]:
    """Every office named with a person in `text`, in order (one entry per distinct mention)."""
    found: dict[tuple, Mention] = {}
    nouns = set(NOUN.findall(text))
    seen = set()
    for ws, we in _office_words(text):
        start = text.rfind("\n", 0, ws) + 1  # a mention never crosses a line
        end = text.find("\n", we)
        end = end if end >= 0 else len(text)
        while ws > start and WORD_CHAR.match(text[ws - 1]):
            ws -= 1
        while we < end and WORD_CHAR.match(text[we]):
            we += 1
        office = office_of(text[ws:we].strip("-")) if text[ws].isupper() else ""
        if ws in seen or not office:
            continue
        seen.add(ws)
        mark = MARK_BEFORE.search(text, max(start, ws - LOOK_BACK), ws)
        alt = text[ws:we].startswith("Alt-")
        at = PLACE_AFTER.match(text, we, end)
        place = at.group(1) if at else ""
        named = None if at else NAME_AFTER.match(text, we, end)  # „Bürgermeister Gemeinde Vörstetten“ is a place
        for m in (named, APPOSITION.match(text, we, end)):
            if m:
                _add(found, m, office, mark.group("mark") if mark else "", alt or _retired(text, m.end()), nouns, place)
        m = NAME_BEFORE.search(text, max(start, ws - LOOK_BACK), ws)
        if m:
            _add(found, m, office, m.group("mark") or "", alt, nouns, place)
    return [found[key] for key in sorted(found)]


def _retired(text: str, end: int) -> bool:
    return bool(re.match(r"[^\S\n]*\(?a\.[^\S\n]?D\.", text[end:end + 8]))  # „Otto Alt a. D.“


def _add(found: dict, m: re.Match, office: str, mark: str, retired: bool, nouns: set[str], place: str = "") -> None:
    words = [w for w in m.group("name").split() if w not in ("Dr.", "Prof.")]
    while len(words) > 1 and words[0].lower() in STOPWORDS:  # „Mit Beispiel als OB“
        words.pop(0)
    if office_of(words[0]) or office_of(words[-1]) or (len(words) > 1 and words[0] in nouns):
        return
    former = retired or bool(re.fullmatch(FORMER, mark, re.I))
    found.setdefault((m.start("name"), office), Mention(office, " ".join(words), former, bool(mark) and not former, place))


@cache
def fingerprint() -> str:
    """Of these rules: documents found by other rules are found again at the next ingest."""
    return hashlib.sha256(resources.files("index").joinpath("offices.py").read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Holder:
    name: str  # the fullest form the documents use („Alexander Kalouti“)
    surname: str
    latest: str  # date of the newest document naming them with the office ('' when undated)
    mentions: int
    former: bool  # called a former holder, and not called the new one in a newer document
    places: frozenset[str] = frozenset()  # where the documents say the office is („Vörstetten“), if they do


class OfficeHolders:
    """Who held which office according to a set of documents: built from each document's stored
    mentions and date; `holders(office)` lists the current holder first."""

    def __init__(self, documents) -> None:
        """`documents`: (date, mentions) per document."""
        names: dict[str, set[str]] = {}  # surname → full names seen
        rows = []
        for date, mentions in documents:
            for m in mentions:
                names.setdefault(m.surname, set()).add(m.name)
                rows.append((date, m))
        full_names = {s for s, forms in names.items() if any(len(f.split()) > 1 for f in forms)}
        table: dict[str, dict[str, list]] = {}
        for date, m in rows:
            if len(m.name.split()) == 1 and m.surname not in full_names:
                continue  # „dem Oberbürgermeister Fragen stellen“: a lone capitalised word is a name
                # only when the documents also give it with a first name
            entry = table.setdefault(m.office, {}).setdefault(m.surname, ["", 0, "", "", set()])
            if m.place:
                entry[4].add(m.place)
            entry[0] = max(entry[0], date)
            entry[1] += 1
            if m.former:
                entry[2] = max(entry[2], date) or "-"
            if m.current:
                entry[3] = max(entry[3], date) or "-"
        self._table = {
            office: [Holder(max(names[s], key=len), s, latest, count, bool(former) and not current > former, frozenset(places))
                     for s, (latest, count, former, current, places) in people.items()]
            for office, people in table.items()}

    def offices(self) -> list[str]:
        return sorted(self._table)

    def holders(self, office: str, era: str = "", place: str = "") -> list[Holder]:
        """The people who held `office` (or an office whose title ends in it: „dezernent“ covers
        „ordnungsdezernent“), the current holder first: not called former, named in the newest
        document, named most often. `era`: "current" for the current holder only, "former" for the
        former ones only. `place`: leave out holders the documents place elsewhere."""
        people: dict[str, Holder] = {}
        for name, holders in self._table.items():
            if name == office or name.endswith(office):
                for h in holders:
                    if place and h.places and place not in h.places:
                        continue
                    known = people.get(h.surname)
                    if known is None or (h.latest, h.mentions) > (known.latest, known.mentions):
                        people[h.surname] = h
        ranked = sorted(people.values(), key=lambda h: (not h.former, h.latest, h.mentions), reverse=True)
        if era == "current":
            return ranked[:1] if ranked and not ranked[0].former else []
        if era == "former":
            return [h for h in ranked if h.former] or ranked[1:]
        return ranked
