"""Compound splitting over the compact table gives compound-split's own splits, scores included."""

from __future__ import annotations

import pytest

from index.decompound import split_compound

WORDS = ["Anwohnerparkgebühr", "Mitgliedsbeitrag", "Fahrradstraße", "Haushaltssatzung", "Oberbürgermeister",
         "Klimaschutzkonzept", "Verfügungsfonds", "Stadtbahnkonzept", "Ordnungsdienst", "Bürgerbeteiligung",
         "Straßenbahnhaltestelle", "Grundsteuer", "Rat", "Ausschuss", "Kita", "Innenstadt-Entwicklung",
         "Wohnungsbaugesellschaft", "Quarzsandmarkierung", "Sondervermögen", "Schulentwicklungsplanung",
         "Arbeitsgemeinschaft", "Radverkehrsförderung", "Fußgängerzone", "Bebauungsplan", "Umweltverträglichkeit"]


@pytest.mark.parametrize("word", WORDS)
def test_splits_equal_the_package(word):
    from compound_split import char_split

    assert split_compound(word) == char_split.split_compound(word)


def test_the_package_stays_out_of_a_process_that_splits(tmp_path):
    """A serving process splits compounds without importing compound-split's 38 MB module."""
    import subprocess
    import sys

    code = ("import sys; from index.decompound import split_compound; split_compound('Mitgliedsbeitrag'); "
            "print('compound_split.de_ngram_probs' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
