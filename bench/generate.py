"""Generate a folder of German council-like documents from the corpus's own sentences, for scale tests.

`python -m bench.generate --docs 1000 --out /tmp/rathaus-1000` writes `doc-0000.md` … with headings,
paragraphs and list items, and a `documents.yaml` manifest (title, publisher, date, type). Sentences
are drawn (seeded) from the cleaned corpus, so the text is real German with umlauts and „quotes“.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

from index.clean import clean
from index.load import discover, load_file
from index.split import split_sentences

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["Pressemitteilung", "Ratsvorlage", "Antrag", "Niederschrift", "Projektpapier"]
PUBLISHERS = ["Stadt Dortmund (Newsroom)", "Rat der Stadt Dortmund", "Fraktion BÜNDNIS 90/DIE GRÜNEN", "CDU-Fraktion"]


def corpus_sentences(corpus: Path = ROOT / "corpus") -> tuple[list[str], list[str]]:
    """(sentences, headings) of the cleaned corpus."""
    sentences, headings = [], []
    for source in discover([corpus])[0]:
        doc = clean(load_file(source))
        for block in doc.blocks:
            if block.kind == "heading":
                headings.append(block.text)
            elif not block.is_comment:
                sentences.extend(s for s in split_sentences(block.text) if len(s.split()) >= 5)
    return sentences, headings


def document(rng: random.Random, number: int, sentences: list[str], headings: list[str], words: int) -> str:
    parts = [f"# Vorlage {number:04d}: {rng.choice(headings)}"]
    written = 0
    while written < words:
        parts.append(f"## {rng.choice(headings)}")
        paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
        parts.append(paragraph)
        written += len(paragraph.split())
        if rng.random() < 0.3:
            parts.append("Deshalb wollen wir:")
            items = [f"- {rng.choice(sentences)}" for _ in range(rng.randint(2, 4))]
            parts.append("\n".join(items))
            written += sum(len(i.split()) for i in items)
    return "\n\n".join(parts) + "\n"


def generate(n_docs: int, out: Path, words: int = 180, seed: int = 7) -> list[Path]:
    """Write `n_docs` documents of about `words` words each plus a manifest; returns the files."""
    rng = random.Random(seed)
    sentences, headings = corpus_sentences()
    out.mkdir(parents=True, exist_ok=True)
    files, entries = [], []
    for i in range(n_docs):
        path = out / f"doc-{i:04d}.md"
        path.write_text(document(rng, i, sentences, headings, words), encoding="utf-8")
        files.append(path)
        entries.append({"id": f"vorlage-{i:04d}", "file": path.name, "title": f"Vorlage {i:04d}",
                        "publisher": rng.choice(PUBLISHERS), "type": rng.choice(TYPES),
                        "date": f"20{rng.randint(20, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    (out / "documents.yaml").write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=180, help="about this many words per document")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = generate(args.docs, args.out, args.words, args.seed)
    print(f"{len(files)} documents in {args.out}")


if __name__ == "__main__":
    main()
