"""German sentence splitting."""

from index.split import split_sentences


def test_abbreviations_dates_and_numbers_do_not_split():
    text = ("Das gilt z. B. für Kitas, u. a. in der Nordstadt. Haus Nr. 5 steht am 6. November leer. "
            "Er wurde 1968 in Beirut geboren. Im 4. Quartal 2023 kommt der Beschluss. Dr. Meier sagt ja.")
    assert split_sentences(text) == [
        "Das gilt z. B. für Kitas, u. a. in der Nordstadt.",
        "Haus Nr. 5 steht am 6. November leer.",
        "Er wurde 1968 in Beirut geboren.",
        "Im 4. Quartal 2023 kommt der Beschluss.",
        "Dr. Meier sagt ja.",
    ]


def test_compact_abbreviations():
    assert split_sentences("Wir wollen z.B. Mieterstrommodelle fördern. Das ist gut.") == [
        "Wir wollen z.B. Mieterstrommodelle fördern.", "Das ist gut."]


def test_numbered_list_item_stays_whole_head():
    sentences = split_sentences("1. Sauberkeit und Ordnung: Die Stadt soll sauber sein. Das ist Ziel.")
    assert sentences[0] == "1. Sauberkeit und Ordnung: Die Stadt soll sauber sein."


def test_quotation_with_attribution_stays_together():
    text = "„Heute geht es los. Ein Neustart“, sagte Kalouti. Danach ging er."
    assert split_sentences(text) == ["„Heute geht es los. Ein Neustart“, sagte Kalouti.", "Danach ging er."]


def test_question_and_exclamation():
    assert split_sentences("Dies ist für uns kein Zustand! Warum? Darum.") == [
        "Dies ist für uns kein Zustand!", "Warum?", "Darum."]


def test_every_character_kept():
    text = "Erster Satz.  Zweiter Satz? Dritter"
    assert " ".join(split_sentences(text)).replace("  ", " ") == text.replace("  ", " ")


def test_spans_of_a_block_are_a_fresh_list_each_time():
    """The spans are cached per block text; a caller changing its list changes nothing for the next one."""
    from index.split import sentence_spans

    text = "Der Rat tagt am 6. November. Die Stadt plant z. B. mehr Grün. Nr. 3 folgt."
    first = sentence_spans(text)
    first.append((0, 1))
    assert sentence_spans(text) == first[:-1] and len(first[:-1]) == 3
