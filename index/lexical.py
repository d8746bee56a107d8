"""Words and terms for BM25 (`index.bm25`): German Snowball stemming, stop words, gender forms normalised.

`WORD` is the one definition of a word (letters and digits of any script, hyphenated compounds
kept together); `tokenize` turns text into BM25 terms, `surface_words` into the lower-case words
that typo correction compares against.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_GERMAN

# "Bürger*innen", "Bürger:innen", "Bürger_innen", "BürgerInnen", "Anwält*in" → "Bürger", "Anwält"
GENDER_FORM = re.compile(r"(\w)(?:[*:_/]|(?<=[a-zäöüß])(?=I))(?:-?[Ii]nnen|[Ii]n)\b")
GENDER_HINT = re.compile(r"[*:_/]-?[Ii]n|[a-zäöüß]In")  # in every gender form: most texts have none (one cheap search)
WORD = re.compile(r"[^\W_]+(?:[-+][^\W_]+)*")
STOPWORDS = frozenset(STOPWORDS_GERMAN) | {"dass", "wurde", "wurden", "sei", "seien", "so", "mal"}
_STEMMER = Stemmer.Stemmer("german")
COMPOUND_SPLIT = re.compile(r"[-+]")
SUFFIXES = frozenset({"ung", "ungen", "heit", "keit", "schaft", "tion", "ion", "tät", "nis", "lich", "isch"})
TOKENIZER_VERSION = "4"  # saved with the BM25 files: a change of `tokenize` invalidates them
LEMMATIZE = True  # lemma (simplemma) before the Snowball stem: "hielt"/"gehalten" → halten, "Fragebögen" → Fragebogen
SEPARABLE = ("zurück", "heraus", "herunter", "hinaus", "voran", "vorbei", "weiter", "zusammen", "an", "auf", "aus",
             "bei", "ein", "fest", "hin", "her", "los", "mit", "nach", "vor", "weg", "zu", "ab", "dar", "statt", "teil")


def normalise_gender(text: str) -> str:
    return GENDER_FORM.sub(r"\1", text) if GENDER_HINT.search(text) else text


@lru_cache(maxsize=1)
def _lemmatizer():
    import simplemma

    return simplemma.lemmatize


def load_lemmas() -> None:
    """Read the lemma dictionary now (seconds): before worker processes are forked, so that they
    share one copy instead of each reading its own."""
    lemma("Haus")


def lemma(word: str) -> str:
    """The dictionary form of a German word (simplemma); the word itself when lemmas are off."""
    return _lemmatizer()(word, lang="de") if LEMMATIZE and not word.isdigit() else word


@lru_cache(maxsize=300_000)
def term(word: str) -> str:
    """The index term of a word as written (case matters: „Stimmen“ the noun, „stimmen“ the verb)."""
    return _STEMMER.stemWord(lemma(word).lower())


def stem(word: str) -> str:
    return term(word)


def verb_without_prefix(word: str) -> str:
    """For a separable verb („angekündigt“ → ankündigen), the term of the verb without its prefix
    (kündigen), as it stands in „kündigt … an“; '' when the word is no such verb."""
    if not LEMMATIZE or word[:1].isupper():
        return ""
    lemma = _lemmatizer()(word, lang="de").lower()
    if not lemma.endswith("en") or lemma == word.lower() and not word.startswith(SEPARABLE):
        return ""
    for prefix in sorted(SEPARABLE, key=len, reverse=True):
        rest = lemma[len(prefix):]
        if lemma.startswith(prefix) and len(rest) >= 5 and rest.endswith("en"):
            return _STEMMER.stemWord(rest)
    return ""


def is_abbreviation(word: str) -> bool:
    """„OB“, „ES“ in capitals is an abbreviation (Oberbürgermeister), never the function word „ob“."""
    return 2 <= len(word) <= 4 and word.isupper()


def tokenize(text: str) -> list[str]:
    """Index terms: lemmatised, lower-cased, stemmed; hyphenated compounds give their parts and the joined word."""
    return _terms(normalise_gender(text))


def terms_and_words(text: str, min_length: int = 4) -> tuple[list[str], list[str]]:
    """`tokenize(text)` and `surface_words(text, min_length)`, with the gender forms normalised once."""
    normalised = normalise_gender(text)
    return _terms(normalised), _surface(normalised, min_length)


def _terms(normalised: str) -> list[str]:
    return [t for word in WORD.findall(normalised) for t in word_terms(word)]


@lru_cache(maxsize=300_000)
def word_terms(word: str) -> tuple[str, ...]:
    """The index terms of one word as `WORD` finds it: none for a stop word (an abbreviation in
    capitals is none), the parts and the joined word for a hyphenated compound."""
    if "-" not in word and "+" not in word:  # the common case, without a split
        return (term(word),) if word.lower() not in STOPWORDS or is_abbreviation(word) else ()
    parts = COMPOUND_SPLIT.split(word)
    parts.append("".join(parts))
    return tuple(term(p) for p in parts if p and p.lower() not in STOPWORDS)


@lru_cache(maxsize=50_000)
def compound_parts(word: str, min_score: float = 0.0) -> tuple[tuple[float, str, str], ...]:
    """Plausible splits of a German compound into modifier and head, best first; empty for words that
    do not look like compounds. compound-split's character n-gram model (`index.decompound`) proposes
    the splits; one it scores low still counts when both parts are words of the lemma dictionary
    (three-part compounds such as „Anwohnerparkgebühr“ score low as a whole). A derivational suffix
    is never a head."""
    from simplemma import is_known

    from index.decompound import split_compound

    try:
        splits = split_compound(word)
    except (ValueError, IndexError, KeyError, ZeroDivisionError):
        return ()
    return tuple((score, a, b) for score, a, b in splits[:3]
                 if len(a) >= 3 and len(b) >= 3 and b.lower() not in SUFFIXES
                 and (score > min_score or len(a) >= 4 and len(b) >= 4 and is_known(a, lang="de") and is_known(b, lang="de")))


def surface_words(text: str, min_length: int = 4) -> list[str]:
    """The lower-case words of `text` (gender forms normalised) with at least `min_length` letters."""
    return _surface(normalise_gender(text), min_length)


def _surface(normalised: str, min_length: int) -> list[str]:
    return [w for w in WORD.findall(normalised.lower()) if len(w) >= min_length]
