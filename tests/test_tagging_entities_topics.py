"""People, organisations (curated and discovered), topics from the taxonomy, and the seed page."""

from __future__ import annotations

import textwrap

import pytest

from trends.tagging import extract
from trends.tagging.tagger import Tagger
from trends.tagging.topics import load_taxonomy


def by_kind(tags, kind):
    return {t.key: t for t in tags if t.kind == kind}


# ------------------------------------------------------------------------------------ people and orgs


def test_person_aliases_merge_to_one_key():
    text = "Xi Jinping visits Moscow\n\nPresident Xi arrived on Monday. Xi said little."
    people = by_kind(extract(text), "person")
    assert set(people) == {"xi-jinping"}
    xi = people["xi-jinping"]
    assert xi.mentions == 3 and xi.label == "Xi Jinping" and xi.method == "alias"
    assert [text[s:e] for s, e in xi.spans] == ["Xi Jinping", "President Xi", "Xi"]


def test_org_long_name_and_acronym_merge():
    text = "Alliance\n\nThe North Atlantic Treaty Organization (NATO) met. NATO leaders and the IMF spoke."
    orgs = by_kind(extract(text), "org")
    assert set(orgs) == {"nato", "imf"}
    assert orgs["nato"].mentions == 3
    assert [text[s:e] for s, e in orgs["nato"].spans] == ["North Atlantic Treaty Organization", "NATO", "NATO"]


def test_unlisted_people_and_organisations_are_discovered():
    text = (
        "Berlin talks\n\nForeign Minister Annalena Baerbock met researchers of the Asia Society Policy Institute "
        "and the Institute for Peace and Harmony Studies (IPHS). Later Baerbock said the IPHS report was fair."
    )
    tags = extract(text)
    people, orgs = by_kind(tags, "person"), by_kind(tags, "org")
    assert people["annalena-baerbock"].method == "discovered"
    assert people["annalena-baerbock"].mentions == 2  # the full name, then the surname alone
    assert orgs["asia-society-policy-institute"].label == "Asia Society Policy Institute"
    iphs = orgs["institute-for-peace-and-harmony-studies"]
    assert iphs.method == "discovered" and iphs.mentions == 2  # the long name, then "IPHS" again


def test_headline_case_lines_do_not_produce_discoveries():
    text = "Five Questions About The Grand Strategy Council\n\nNothing else here."
    assert [t for t in extract(text) if t.method == "discovered"] == []


# ---------------------------------------------------------------------------------------------- topics


def write_taxonomy(tmp_path, body: str):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


WIDGETS = """
topics:
  - key: widgets
    label: Widgets
    description: Anything about widgets.
    include: [widget*, gizmo]
    exclude: [toy widget]
    threshold: 2
  - key: french-widgets
    label: French widgets
    description: Widgets, in France.
    include: [widget*]
    exclude: []
    threshold: 1
    countries: {all: [FRA]}
"""


def test_taxonomy_include_threshold_exclude_and_country_requirement(tmp_path):
    tagger = Tagger(write_taxonomy(tmp_path, WIDGETS))
    topics = lambda text: {t.key: t for t in tagger.extract(text) if t.kind == "topic"}  # noqa: E731

    found = topics("Market report\n\nWidgets sold well. The widget market grew.")
    # two mentions in the lead weigh 1.5 each: 3.0 >= threshold 2
    assert set(found) == {"widgets"}
    assert found["widgets"].mentions == 2 and found["widgets"].score == pytest.approx(0.9)

    assert topics("Market report\n\n" + "Nothing to see. " * 20 + "One widget.") == {}  # 1.0 < 2
    assert topics("Market report\n\nWidgets sold well, but the toy widget flopped.") == {}  # excluded
    assert set(topics("France report\n\nFrance makes widgets. The widget market in France grew.")) == {
        "widgets",
        "french-widgets",
    }


def test_bad_taxonomy_files_give_one_line_reasons(tmp_path):
    with pytest.raises(ValueError, match="key"):
        load_taxonomy(write_taxonomy(tmp_path, "topics:\n  - label: No key\n    include: [x]\n"))
    with pytest.raises(ValueError, match="threshold"):
        load_taxonomy(write_taxonomy(tmp_path, "topics:\n  - key: a\n    include: [x]\n    threshold: -1\n"))
    with pytest.raises(FileNotFoundError):
        load_taxonomy(tmp_path / "missing.yaml")


def test_bundled_taxonomy_has_at_least_25_complete_topics():
    taxonomy = load_taxonomy()
    assert len(taxonomy.topics) >= 25
    for topic in taxonomy.topics.values():
        assert topic.label and topic.description and topic.include and topic.threshold > 0
    for key in ("war-in-ukraine", "russia-china-relations", "us-china-rivalry", "sanctions", "de-dollarisation",
                "energy", "nuclear-arms-control", "middle-east", "taiwan", "nato-alliances", "elections",
                "global-south", "trade", "climate", "migration", "terrorism", "technology-cyber", "food-security",
                "human-rights", "multilateralism"):
        assert key in taxonomy.topics


# ------------------------------------------------------------------------------------------- seed page


def seed_text(seed_page) -> str:
    raw = seed_page.read_text(encoding="utf-8")
    title = "CFR: Putin-Xi Summit Strengthens Anti-American Partnership"
    body = raw[raw.index("According to") : raw.index("Read also:")]
    body = body[body.index("\n") :].strip()
    return title + "\n\n" + body


def test_seed_page_tags(seed_page):
    text = seed_text(seed_page)
    tags = extract(text)
    countries = by_kind(tags, "country")
    # Russia, China, the US and Ukraine are mentioned; nothing else is ("Western" and "Global South" are not countries).
    assert set(countries) == {"RUS", "CHN", "USA", "UKR"}
    assert all(countries[k].about for k in ("RUS", "CHN", "USA"))
    assert {"vladimir-putin", "xi-jinping"} <= set(by_kind(tags, "person"))
    assert {"nato", "cfr"} <= set(by_kind(tags, "org"))
    assert {"russia-china-relations", "war-in-ukraine", "de-dollarisation"} <= set(by_kind(tags, "topic"))
    for tag in tags:
        assert all(0 <= s < e <= len(text) for s, e in tag.spans)
