"""What kind of answer a German question wants, and whether a sentence holds one.

„Wie viele/wie hoch/was kostet …“ wants a number or amount, „wann/bis wann/seit wann/in welchem
Jahr“ a date or period, „wer/welche Partei“ a person or group, „wo“ a place, „warum“ a reason,
a question about a vote its result. The rules are about German question and sentence forms in
general, never about one document.
"""

from __future__ import annotations

import re
from enum import Enum

from index.metadata import MONTHS


class Wanted(str, Enum):
    MONEY = "money"
    NUMBER = "number"
    FREQUENCY = "frequency"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    REASON = "reason"
    VOTE = "vote"
    YESNO = "yesno"
    OTHER = "other"


I = re.IGNORECASE
COUNTED = (r"zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|fünfzig|hundert|"
           r"tausend|dutzend|hälfte|drittel|viertel|doppelt\w*|dreifach\w*|millionen?|milliarden?|prozent|"
           r"einstimmig\w*|mehrheitlich\w*|einzig\w*|nur\s+ein\w*")
ROLES = (r"(?:Ober)?[Bb]ürgermeister\w*|Stadtrat|Stadträtin|Ratsherr|Ratsfrau|Ratsmitglied|Dezernent\w*|Beigeordnete\w*|"
         r"Vorsitzende\w*|Fraktionsvorsitzende\w*|\w*[Ss]precher\w*|Moderator\w*|Referent\w*|Landrat|Landrätin|"
         r"Minister\w*|Präsident\w*|Kandidat\w*|Leiter\w*|Geschäftsführer\w*|Amtsleiter\w*|Ortsvorsteher\w*|OB|BM")
QUESTION_RULES: list[tuple[Wanted, re.Pattern]] = [(wanted, re.compile(pattern, I)) for wanted, pattern in [
    # a vote's outcome; „Wie lange dauerte die Abstimmung?“ asks for a duration, „Wann wurde abgestimmt?“ a date
    (Wanted.VOTE, r"^(?!\W*(?:und\s+)?(?:wie lange|wann|wo|warum|wieso|weshalb|wie oft)\b).*\b(abstimmung\w*|abgestimmt|"
                  r"stimmergebnis|ja-stimmen|nein-stimmen|enthaltungen|mit welche[rm] mehrheit|"
                  r"wie (?:ist|wurde) .{0,40}(?:abgestimmt|entschieden|beschlossen)|ausgegangen)\b"),
    (Wanted.FREQUENCY, r"\b(?:wie oft|wie häufig|in welche[mn] (?:abstand|abständen|rhythmus|turnus))\b"),
    (Wanted.DATE, r"^\W*(?:und\s+)?(?:wann(?!\s+(?:darf|dürfen)\b)|bis wann|seit wann|ab wann|in welchem jahr|in welchen jahren|an welchem tag|"
                  r"um wie viel uhr|um welche uhrzeit|zu welchem zeitpunkt|welches datum|für wann|bis zu welchem)\b"
                  r"|\b(?:welche[nms]?|an welchem|zu welchem)\s+(?:datum|termin|tag|wochentag|zeitpunkt|jahr|monat|frist|stichtag)\b"),
    (Wanted.MONEY, r"\b(?:was kost\w*|wie teuer|(?:wie ?viel|wie hoch|welche[nrs]?)\b.{0,40}\b(?:kost\w*|geld|euro|"
                   r"betrag|summe|preis\w*|gebühr\w*|zuschuss\w*|förder\w*|mittel|ausgaben|einnahmen|schulden\w*|defizit\w*|"
                   r"überschuss\w*|fehlbetrag\w*|kredit\w*|"
                   r"\w*kosten|\w*preis|\w*gebühr|\w*betrag|\w*beitrag|\w*etat|\w*budget|\w*haushalt|veranschlagt|"
                   r"eingestellt|bereitgestellt))"),
    (Wanted.NUMBER, r"\b(?:wie ?viele?n?|wieviele?|wie hoch|wie groß|wie lange?|wie weit|wie oft|wie teuer|wie alt|"
                    r"wie schnell|wie stark|wie breit|wie schwer|um wie viel|was kost\w*|welche[nrs]? "
                    r"(?:anzahl|summe|betrag|höhe|anteil|zahl|prozentsatz|quote|kosten|menge))\b"),
    (Wanted.PERSON, r"^\W*(?:und\s+)?(?:wer|wen|wem|wessen|von wem|mit wem|an wen|für wen|durch wen)\b"
                    rf"|^\W*(?:und\s+)?wie hei(?:ßt|ßen|sst)\s+(?:der|die|unser\w*)\s+(?:\w+\s+)?(?:{ROLES})\b"
                    r"|\bwelche[rnms]?\s+(?:partei\w*|fraktion\w*|person\w*|kandidat\w*|politiker\w*|organisation\w*|"
                    r"verein\w*|gremi\w*|ausschuss\w*|bürgermeister\w*|dezernent\w*|firma|unternehmen|behörde|amt)\b"),
    (Wanted.PLACE, r"^\W*(?:und\s+)?(?:wo|wohin|woher|an welchem ort)\b|\b(?:in|an|auf)\s+welche[rmn]?\s+"
                   r"(?:stadtteil|ort|straße|gebäude|raum|viertel|bezirk|gemeinde|stadt|platz)\b|\bwelche[sn]?\s+"
                   r"(?:viertel|stadtteil|quartier|ort)\b"),
    (Wanted.REASON, r"^\W*(?:und\s+)?(?:warum|weshalb|wieso|weswegen|aus welchem grund|wozu)\b"),
    # English questions (the embedder is multilingual; the kind of answer is asked the same way)
    (Wanted.NUMBER, r"^\W*how (?:many|much|high|long|big|often)\b"),
    (Wanted.DATE, r"^\W*(?:when|since when|until when|in which year)\b"),
    (Wanted.PERSON, r"^\W*(?:who|whom|which (?:party|person|group))\b"),
    (Wanted.PLACE, r"^\W*where\b"),
    (Wanted.REASON, r"^\W*why\b"),
    (Wanted.YESNO, r"^\W*(?:stimmt|stimmen|ist|sind|gibt|gab|hat|haben|hatte|wird|werden|wurde|soll|sollen|kann|"
                   r"können|darf|dürfen|muss|müssen|will|wollen|plant|planen|unterstützt|unterstützen|lehnt|lehnen)\s"),
]]

HAS = {
    Wanted.NUMBER: re.compile(rf"\d|%|€|\b(?:{COUNTED})\b", I),
    # „einmal im Monat“, „zweimal jährlich“, „monatlich“, „alle zwei Wochen“, „12 Sitzungen im Jahr“
    Wanted.FREQUENCY: re.compile(r"\b(?:\w*mal|\d+\s*x)\s+(?:im|pro|je|in\s+der|in\s+einem|in)\s+(?:jahr|halbjahr|quartal|monat|"
                                 r"woche|tag)\b|\b(?:täglich|wöchentlich|zweiwöchentlich|monatlich|vierteljährlich|quartalsweise|"
                                 r"halbjährlich|jährlich|regelmäßig|ständig|wöchentlich)\b|\balle\s+(?:\d+|zwei|drei|vier|sechs)\s+"
                                 r"(?:jahre|monate|wochen|tage)\b|\b\d+\s+\w+\s+(?:im|pro|je)\s+(?:jahr|monat|woche|tag)\b", I),
    Wanted.MONEY: re.compile(r"€|\b(?:euro|eur|mio\.?|mrd\.?|millionen|milliarden|tausend)\b|\d[\d.,]*\s*(?:€|euro|eur)\b", I),
    Wanted.VOTE: re.compile(r"\b(?:einstimmig\w*|mehrheitlich\w*|\d+\s*(?:ja|nein|gegen|stimmen|enthaltung\w*)|"
                            r"(?:ja|nein|enthaltung\w*|gegenstimme\w*|ja-stimmen|nein-stimmen)\s*:\s*\d+|"  # a table row „Ja: 14“
                            r"gegenstimme\w*|enthaltung\w*|ja-stimmen|nein-stimmen|angenommen|abgelehnt|"
                            r"(?:knapp\w*|breit\w*|groß\w*) mehrheit|mit \d+ zu \d+)\b", I),
    Wanted.DATE: re.compile(rf"\b(?:1[89]\d\d|20\d\d)\b|\b\d{{1,2}}\.\s?\d{{1,2}}\.|\b\d{{1,2}}\.\s?(?:{MONTHS})\b|"
                            rf"\b(?:{MONTHS}|(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|werktag|wochentag)s?|frühjahr|"
                            rf"sommer|herbst|winter|heute|gestern|(?-i:morgen)|uhr|quartal|legislaturperiode)\b|"
                            rf"\b\d{{1,2}}:\d{{2}}\b|\b(?:seit|vor|nach|in|innerhalb|binnen|bis zu|ab|für)\s+(?:über\s+|rund\s+|"
                            rf"knapp\s+|mehr als\s+)?(?:\d+|{COUNTED}|ein\w*|zwei|drei)\s+(?:jahr\w*|monat\w*|woche\w*|tag\w*|"
                            rf"stunde\w*)\b|\b\d+\s+(?:jahre|jahren|monate|monaten|wochen|tage|tagen|stunden)\b", I),
    Wanted.PERSON: re.compile(
        rf"\b(?:Herr|Frau|Herrn|Dr\.|Prof\.)\s+[A-ZÄÖÜ]|\S+@\S+\.\w+"
        rf"|[A-ZÄÖÜ][a-zäöüß]+\s+[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]\w+)?,\s*(?:{ROLES})"  # „Lars Brügner, Bürgermeister …“
        rf"|\w*(?i:{ROLES})\s+(?:[A-ZÄÖÜ]\.\s*)?[A-ZÄÖÜ][a-zäöüß]+(?:\s+[A-ZÄÖÜ][a-zäöüß]+)?"  # „Ordnungsdezernent Norbert Dahmen“
        rf"|[„“\"]\s*,?\s*(?:so|sagte|sagt|erklärte|betonte)\s+[A-ZÄÖÜ]"  # „…“, so Wüst
        rf"|(?i:\b(?:senat|rat|verwaltung|fraktion\w*|partei\w*|arbeitsgruppe\w*|ausschuss\w*|koalition|kommission|"
        rf"beirat|jury|spd|cdu|csu|grüne\w*|fdp|afd|linke\w*|piraten)\b)"),
    Wanted.PLACE: re.compile(r"\b(?:in|an der|auf der|auf dem|bei der|beim|nach|aus|vor dem|vor der)\s+"
                             r"(?:der\s+|dem\s+|des\s+)?(?![A-ZÄÖÜ]\w*(?:ung|heit|keit|schaft|ion|nis|tät|ismus)\b)[A-ZÄÖÜ]"  # not „in Zukunft“-like abstracts
                             r"|(?i:\w*(?:straße|platz|weg|allee|rathaus|raum|saal|halle|viertel|park|bahnhof|markt)\b)"),
    Wanted.REASON: re.compile(r"\b(?:weil|da|denn|deshalb|daher|deswegen|darum|wegen|aufgrund|infolge|damit|grund|gründe|"
                              r"ursache|ursächlich|ziel|hintergrund|anlass|begründ\w*)\b|\bum\b.{1,80}\bzu\b|"
                              r"\bso\s+\w+,\s+dass\b", I),
}
# Labelled fields of minutes and notices („Ort: Rathaus“, „Datum: 22.10.2015“): the label says what the value is.
LABELS = {
    Wanted.PLACE: re.compile(r"^\W*(?:ort|sitzungsort|veranstaltungsort|adresse|raum|treffpunkt)\s*:", I),
    Wanted.DATE: re.compile(r"^\W*(?:datum|zeit|uhrzeit|termin|dauer|beginn|ende|stand|sitzung vom)\s*:", I),
    Wanted.PERSON: re.compile(r"^\W*(?:moderation|leitung|vorsitz|referent\w*|protokoll|schriftführ\w*|teilnehmende|"
                              r"anwesend\w*|kontakt|ansprechpartner\w*|verfasser\w*|autor\w*|antragsteller\w*)\s*:", I),
    Wanted.NUMBER: re.compile(r"^\W*(?:anzahl|teilnehmer\w*|betrag|kosten|summe|beitrag)\s*:", I),
    Wanted.VOTE: re.compile(r"^\W*(?:abstimmung\w*|abstimmungsergebnis|ergebnis|beschluss)\s*:", I),
    Wanted.REASON: re.compile(r"^\W*(?:[a-zäöüß]+e[nrs]?\s+)?(?:hintergrund|grund|gründe|anlass|ursache|auslöser)\b", I),  # „Möglicher Hintergrund:“
}
TYPED = {Wanted.MONEY, Wanted.NUMBER, Wanted.FREQUENCY, Wanted.DATE, Wanted.PERSON, Wanted.PLACE, Wanted.REASON,
         Wanted.VOTE}
# The kinds whose absence in on-topic text means the documents do not answer.
CHECKABLE = {Wanted.MONEY, Wanted.NUMBER, Wanted.FREQUENCY, Wanted.DATE, Wanted.VOTE}
MISSING_TEXT = {Wanted.MONEY: "keinen Betrag", Wanted.NUMBER: "keine Zahl", Wanted.FREQUENCY: "keine Häufigkeit",
                Wanted.DATE: "kein Datum und keinen Zeitraum", Wanted.VOTE: "kein Abstimmungsergebnis"}
# „Wie viele Sitze …“: the counted noun, which the sentence with the number must name.
COUNTED_NOUN = re.compile(r"\b(?i:wie ?viele?n?|wieviele?|how many|(?:wie (?:hoch|groß|lang|lange|teuer|alt|weit|breit)|"
                          r"was|wie ?viel)\s+(?:ist|sind|war|waren|wird|werden|dauert|dauern|kostet|kosten)"
                          r"(?:\s+(?:der|die|das|den|dem|des|eine?[mnrs]?))?)\s+(?:[a-zäöüß]\w*\s+){0,2}([A-ZÄÖÜ][\wäöüß-]+)")


# Words that count people in general: any count of people answers them („Wie viele Leute …“).
GENERIC_COUNTS = frozenset({"leute", "menschen", "personen", "people"})


def counted_noun(question: str) -> str:
    match = COUNTED_NOUN.search(question)
    return match.group(1) if match else ""


# Phrases that only say what kind of answer is wanted; their words need not stand in the answer.
QUESTION_PHRASES = re.compile(
    r"\b(?:bis wann|seit wann|ab wann|in welchem jahr|in welchen jahren|an welchem (?:wochen)?tag|um wie ?viel uhr|um welche uhrzeit|"
    r"zu welchem zeitpunkt|welches datum|an welchem ort|wie ?viel geld|wie ?viele?n?|wieviele?|wie (?:hoch|groß|lange?|weit|oft|teuer|"
    r"alt|schnell|stark|breit|schwer)|um wie ?viel|welche[nrs]? (?:anzahl|summe|betrag|höhe|zahl|menge|anteil|prozentsatz|quote|partei(?:en)?|fraktion(?:en)?|"
    r"person(?:en)?|organisation(?:en)?))\b", I)


def without_question_phrase(question: str) -> str:
    """The question without the phrase that only says what kind of answer it wants („In welchem
    Jahr …“, „Welche Partei …“, „Wie viele …“): those words need not stand in the answer."""
    return QUESTION_PHRASES.sub(" ", question)


def wanted(question: str) -> Wanted:
    """The kind of answer a question asks for (the first rule that matches)."""
    for kind, pattern in QUESTION_RULES:
        if pattern.search(question):
            return kind
    return Wanted.OTHER


DATES = re.compile(rf"\b\d{{1,2}}\.\s?(?:{MONTHS})(?:\s+(?:19|20)\d\d)?|\b\d{{1,2}}\.\d{{1,2}}\.(?:\d{{2,4}})?|"
                   rf"\b(?:19|20)\d\d\b|\b\d{{1,2}}:\d{{2}}\b", I)


# Digits that count nothing: clock times („um 19 Uhr“), references to rules and items („§ 12“,
# „Abs. 2“, „Nr. 1 und 2“), ordinals („der 5. Tagesordnungspunkt“), a paragraph's or item's number.
NOT_AMOUNTS = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s*Uhr\b|§§?\s*\d+\s*[a-z]?\b|"
                         r"\b(?:Abs\.|Absatz|Absatzes|Satz|Satzes|Nr\.|Nummer|Ziff\.|Ziffer|Art\.|Artikel|Artikels|TOP|Punkt|Kapitel|Anlage)\s*\d+[a-z]?"
                         r"(?:\s*(?:und|bis|oder|,|-|–)\s*\d+[a-z]?)*|\b\d{1,3}\.(?=\s+[A-ZÄÖÜ][a-zäöüß])|^\W*\(?\d{1,2}[.)]\s", I)


# „2,4 Millionen Euro“: an amount of money, which counts nothing („Wie viele Kindergärten …“).
MONEY_AMOUNT = re.compile(r"\d[\d.,]*\s*(?:(?:Mio|Mrd)\.?|Millionen|Milliarden|Tausend)?\s*(?:€|Euro\b|EUR\b)", I)


def holds(kind: Wanted, sentence: str) -> bool:
    """Whether the sentence holds an answer of that kind (labelled fields count). For a number,
    the digits of a date, a year, a clock time, a rule or item reference or an ordinal do not count
    („seit Sonntag, 2. November“, „nach § 12“, „(1) Der Gemeinderat …“ are no amounts)."""
    label = LABELS.get(kind)
    if label is not None and label.search(sentence):
        return True
    pattern = HAS.get(kind)
    if kind in (Wanted.NUMBER, Wanted.MONEY, Wanted.FREQUENCY):
        sentence = NOT_AMOUNTS.sub(" ", DATES.sub(" ", sentence))
    return bool(pattern and pattern.search(sentence))


def labelled(kind: Wanted, sentence: str) -> bool:
    label = LABELS.get(kind)
    return bool(label and label.search(sentence))
