"""One text normalisation for documents and questions, so that checks on text (instruction patterns,
key terms) cannot be dodged by invisible or look-alike characters.

- NFKC: compatibility forms folded (ligatures „ﬁ“ → „fi“, full-width letters, „①“ → „1“);
- format characters removed (zero-width spaces and joiners, soft hyphens, bidi controls: Unicode
  category Cf), no-break spaces made spaces;
- terminal escape sequences and control characters removed (a document must not drive a terminal);
- Cyrillic and Greek letters that look Latin folded to Latin inside words that also hold Latin
  letters („Ignоriere“ with a Cyrillic о), so a Russian or Greek text stays as it is.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LOOK_ALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "ο": "o", "α": "a", "ε": "e",
    "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z",
    "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
MIXED_WORD = re.compile(r"\w*[A-Za-zÄÖÜäöüß]\w*")
ANY_LOOK_ALIKE = re.compile("[" + "".join(chr(c) for c in LOOK_ALIKES) + "]")


@lru_cache(maxsize=1)
def _format_characters() -> re.Pattern:
    """Every Unicode format character (category Cf), as one character class of ranges: a regular
    expression deletes them five times faster than `str.translate` with a table (a lookup per character);
    the ranges matter, a class listing the 163 characters one by one searches four times slower."""
    ranges: list[list[int]] = []
    for c in range(sys.maxunicode + 1):
        if unicodedata.category(chr(c)) == "Cf":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]")


def fold_look_alikes(text: str) -> str:
    """Look-alike Cyrillic/Greek letters as Latin, only inside words that hold Latin letters too."""
    if not ANY_LOOK_ALIKE.search(text):
        return text
    return MIXED_WORD.sub(lambda m: m.group().translate(LOOK_ALIKES), text)


def normalise_text(text: str) -> str:
    """The normalisation of the module docstring; line breaks and tabs are kept."""
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ").replace("\u202f", " ")
    text = _format_characters().sub("", text)
    text = CONTROL.sub("", ANSI.sub("", text))
    return fold_look_alikes(text)
