"""Statements of intent as a loaded index holds them: a few bytes each, read from their document.

A council archive of a million chunks has over a million statements. As `Promise` objects with their
own strings and numbers they took about 260 MB of every serving process. Here a document record's
statements are one `StatementRows`: their offsets and section numbers in integer arrays, and the
values many statements repeat (document, actor, area, kind, date, reason, status, rule) as numbers
in a `SharedValues` table of the whole load. A `StoredPromise` is a row of it, and its sentence and
section name are read from the document (its packed text, its chunks' spans) when asked for.
"""

from __future__ import annotations

from array import array
from dataclasses import MISSING, fields

from index.promises import FIELD_NAMES, Promise

STORED_DEFAULTS = {f.name: f.default for f in fields(Promise) if f.name != "statement"}  # a stored dict's fields
SHARED_FIELDS = ("doc_id", "actor", "topic", "kind", "date", "reason", "status", "status_rule")
WIDTH = len(SHARED_FIELDS) + 1  # numbers per row: the shared fields' and the section's


class SharedValues:
    """Values many statements repeat, each held once and known by its number."""

    __slots__ = ("values", "numbers")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.numbers: dict[str, int] = {}

    def number(self, value: str) -> int:
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = len(self.values)
            self.values.append(value)
        return found


class StatementRows:
    """The statements of one document record: offsets and numbers, one row each."""

    __slots__ = ("document", "shared", "codes", "offsets")

    def __init__(self, document, shared: SharedValues, rows: list[tuple[dict, int]]) -> None:
        """`rows`: each statement's stored values and the number of its section in the record's spans."""
        self.document = document  # the record as the index holds it (text packed)
        self.shared = shared
        # WIDTH numbers per row: SHARED_FIELDS in `shared`, then the section's; start and end per row
        self.codes = array("I", [n for values, section in rows
                                 for n in (*map(shared.number, (values[k] for k in SHARED_FIELDS)), section)])
        self.offsets = array("i", [x for values, _ in rows for x in (values["start"], values["end"])])


def _shared_field(position: int) -> property:
    def get(self: "StoredPromise") -> str:
        rows = self.rows
        return rows.shared.values[rows.codes[self.row * WIDTH + position]]

    return property(get)


class StoredPromise:
    """One statement of intent of a loaded index, as a `Promise` reads (same fields, `to_dict`,
    `with_status`); copied or pickled it becomes the plain `Promise` it stands for. Made by
    `stored_promises` where the stored sentence is exactly its slice of the text and its section one
    of the spans'."""

    __slots__ = ("rows", "row")
    evidence = ()  # a stored statement's evidence is found when its status is (`index.follow_through`)

    def __init__(self, rows: StatementRows, row: int) -> None:
        self.rows, self.row = rows, row

    @property
    def document(self):
        return self.rows.document

    @property
    def start(self) -> int:
        return self.rows.offsets[2 * self.row]

    @property
    def end(self) -> int:
        return self.rows.offsets[2 * self.row + 1]

    @property
    def statement(self) -> str:
        return self.rows.document.text[self.start:self.end].strip()

    @property
    def section(self) -> str:
        return self.rows.document.spans.names[self.rows.codes[self.row * WIDTH + WIDTH - 1]]

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in FIELD_NAMES)

    def to_dict(self) -> dict:
        return dict(zip(FIELD_NAMES, self.values()))

    def with_status(self, status: str, evidence: tuple, rule: str) -> Promise:
        return self.as_promise().with_status(status, evidence, rule)

    def as_promise(self) -> Promise:
        return Promise(*self.values())

    def __eq__(self, other) -> bool:
        return self.values() == other.values() if isinstance(other, StoredPromise) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        return "Stored" + repr(self.as_promise())

    def __reduce__(self):
        return Promise, self.values()


for _position, _name in enumerate(SHARED_FIELDS):  # doc_id, actor, …: read from the shared values
    setattr(StoredPromise, _name, _shared_field(_position))
del _position, _name


def stored_promises(record, held=None, shared: SharedValues | None = None) -> list[Promise | StoredPromise]:
    """The statements of intent kept with a stored document record (`StoredDocument.promises`), each
    reading its sentence from `held` (the record as the index keeps it; the record itself by default)
    and its section name from the chunks' spans. Values many statements repeat are numbered in
    `shared` (which a caller reading many records passes each time). A statement whose stored sentence
    is not its slice of the text (rules that kept other text), whose section no chunk has, or that
    already has evidence stays a plain `Promise`."""
    if not record.promises:
        return []
    held = record if held is None else held
    number_of = getattr(held.spans, "number", None)  # `index.store.Spans`; records without spans have none
    out: list[Promise | int] = []
    compact: list[tuple[dict, int]] = []
    for p in record.promises:
        values = {k: p[k] if default is MISSING else p.get(k, default) for k, default in STORED_DEFAULTS.items()}
        number = number_of(values["section"]) if number_of else None
        if number is not None and not values["evidence"] and all(isinstance(values[k], str) for k in SHARED_FIELDS) \
                and record.text[p["start"]:p["end"]].strip() == p["statement"]:
            out.append(len(compact))
            compact.append((values, number))
        else:
            out.append(Promise(**values | {"evidence": tuple(values["evidence"])}, statement=p["statement"]))
    if compact:
        rows = StatementRows(held, SharedValues() if shared is None else shared, compact)
        out = [StoredPromise(rows, p) if isinstance(p, int) else p for p in out]
    return out
