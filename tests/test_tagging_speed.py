"""The fast paths of the tagger give what the plain ones give: the batch path, the grouped anchor regex
and the memoised case rules (bench/tagging_equal.py checks the same against main on real text)."""

from __future__ import annotations

import re

from trends.paths import SEED_PAGE
from trends.tagging import default_tagger, tag_records
from trends.tagging import discovery
from trends.tagging.scan import scan

TEXTS = [
    "Putin and Xi meet in Moscow\n\nRussia and China signed a trade deal. Turkey watched; turkey was served.",
    "Naomi Osaka wins in Tokyo\n\nThe Tokyo Stock Exchange rose. President Joe Biden spoke with Foreign Minister "
    "Annalena Baerbock about NATO and the Institute for the Study of War (ISW). The ISW said Ukraine gained ground.",
    "",
    "Iceland supermarket opens in London, Ontario\n\nShe speaks Spanish and French. Georgia voters in Atlanta.",
    SEED_PAGE.read_text(encoding="utf-8") if SEED_PAGE.exists() else "Commissioner Smith and Secretary of State Blinken.",
]


def _as_tuples(tags):
    return [(t.kind, t.key, t.label, t.method, t.mentions, list(t.spans), t.score) for t in tags]


def test_extract_many_gives_each_text_the_tags_it_gets_alone():
    tagger = default_tagger()
    alone = [_as_tuples(tagger.extract(t)) for t in TEXTS]
    batch = [_as_tuples(tags) for tags in tagger.extract_many(TEXTS)]
    assert batch == alone
    assert [_as_tuples(tags) for tags in tag_records(TEXTS, processes=1)] == alone
    assert batch[2] == [] and any(t[0] == "topic" for t in batch[4])  # the empty text, and topics scored
    # the batch's order does not matter either
    assert [_as_tuples(tags) for tags in tagger.extract_many(TEXTS[::-1])] == alone[::-1]


def test_grouped_anchor_regex_finds_what_the_plain_alternation_finds():
    plain = re.compile(
        rf"\b(?:(?P<suffix>{discovery._ORG_SUFFIX})|(?P<role>{discovery._ROLE}))\b|\((?P<acr>[A-Z][A-Z&]{{1,9}})\)"
    )
    text = " ".join(TEXTS) + (
        " Mr. Smith, Mr Jones, Sen. Warren, Gen. Milley, General Motors, Commissioner Breton of the European "
        "Commission, Secretary of State Rubio, Secretary Hegseth, the Programme and the Program, Vice President "
        "Vance, Crown Prince Mohammed, Organisation and Organization, Defence Minister, Defense Minister (DoD)."
    )
    ours = [(m.span(), m.group("acr"), bool(discovery._SUFFIX_RE.fullmatch(m.group("word") or "x"))) for m in discovery._ANCHOR_RE.finditer(text)]
    expected = [(m.span(), m.group("acr"), bool(m.group("suffix"))) for m in plain.finditer(text)]
    assert ours == expected
    assert len(expected) > 20


def test_memoised_case_rules_answer_per_spelling():
    tagger = default_tagger()
    text = "Turkey and turkey. TURKEY? Turkey again, and US and us."
    first = scan(tagger.automaton, text)
    again = scan(tagger.automaton, text)  # now answered from the memo
    assert first == again
    countries = [(h.start, h.end) for h in first[0] if h.entry.kind == "country" and h.entry.key == "TUR"]
    assert (0, 6) in countries and (11, 17) not in countries  # "turkey" the bird is not the country
    usa = [text[h.start : h.end] for h in first[0] if h.entry.key == "USA"]
    assert "US" in usa and "us" not in usa
