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


def test_anchor_prefilter_finds_what_finditer_finds():
    text = " ".join(TEXTS) + (
        " Mr.Smith met Mrs. Jones and Ms Lee; Dr. No, Prof. X and Sen.Warren. xPresident, President-elect, "
        "the (UN) and (U.N.) and ((NATO)), Organization/Organisation, Defense Minister Austin, Defence Minister "
        "Healey, Vice President Harris, Secretary of State Rubio, the spokesman, spokeswoman, a CEO, an author, "
        "Authority, Prime Minister, Premier League, Crown Prince, General General, Gen.Milley"
    )
    for sample in (text, text.lower(), text.upper(), "(", "Mr", "President"):
        ours = [(m.span(), m.group(0)) for m in discovery.anchors(sample)]
        expected = [(m.span(), m.group(0)) for m in discovery._ANCHOR_RE.finditer(sample)]
        assert ours == expected
    assert len([m for m in discovery.anchors(text)]) > 30


def test_counted_weights_equal_the_mention_by_mention_sum():
    import random

    from trends.tagging import tagger as tg

    rng = random.Random(3)
    for _ in range(300):
        spans = sorted({(s, s + rng.randint(1, 9)) for s in (rng.randint(0, 400) for _ in range(rng.randint(1, 40)))})
        title_end, lead_end = rng.randint(0, 120), rng.randint(0, 300)
        expected = sum(
            tg.TOPIC_TITLE_WEIGHT if s < title_end else tg.TOPIC_LEAD_WEIGHT if s < lead_end else 1.0 for s, _ in spans
        )
        assert tg._weighted(spans, title_end, lead_end) == expected


def test_tags_survive_pickling_field_for_field():
    import pickle

    tags = default_tagger().extract(TEXTS[1])
    again = pickle.loads(pickle.dumps(tags, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == tags and len(tags) > 3
    assert [type(t.spans) for t in again] == [type(t.spans) for t in tags]


def test_pool_results_equal_in_process_ones_and_the_collector_is_restored():
    import gc

    from trends.tagging.parallel import MIN_TEXTS_FOR_POOL, TaggingPool

    texts = (TEXTS * (MIN_TEXTS_FOR_POOL // len(TEXTS) + 1))[:MIN_TEXTS_FOR_POOL]
    alone = [_as_tuples(tags) for tags in default_tagger().extract_many(texts)]
    with TaggingPool(2) as pool:
        assert gc.isenabled()
        assert [_as_tuples(tags) for tags in pool.extract_many(texts)] == alone  # through the workers (pickled)
        assert gc.isenabled()
        gc.disable()
        try:
            pool.extract_many(texts)
            assert not gc.isenabled()  # a caller's choice is left as it was
        finally:
            gc.enable()
