"""Tagging that reads context: the string-matching traps, the tagging profile (bytes round trip, custom
taxonomy through tag_records, retraining), stable theme keys, and the eval commands on a hand-made
labelled fixture whose expected figures are worked out by hand in the comments."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES
from trends.cli import main
from trends.tagging import extract, tag_records
from trends.tagging.gold import read_rows, split_ids
from trends.tagging.profile import TaggingProfile, default_profile, load_profile, save_profile
from trends.tagging.topics import expand_phrase
from trends.tagging import themes
from trends.tagging.training import retrain

MINI_GOLD = FIXTURES / "labelled-mini.jsonl"
MINI_TAXONOMY = FIXTURES / "taxonomy-mini.yaml"


def topics(text: str, profile=None) -> dict[str, float]:
    return {t.key: t.score for t in extract(text, profile=profile) if t.kind == "topic"}


def about_topics(text: str, profile=None) -> set[str]:
    return {k for k, s in topics(text, profile).items() if s >= 0.6}


def countries(text: str) -> set[str]:
    return {t.key for t in extract(text) if t.kind == "country" and t.method != "implied"}


def rule_profile(taxonomy_text: str) -> TaggingProfile:
    return TaggingProfile(taxonomy_text, None, "test")


# -------------------------------------------------------------------------------- matching the rules


def test_phrases_match_whole_words_and_plurals_never_longer_words():
    assert expand_phrase("coup") == {"coup", "coups"}
    assert "couple" not in expand_phrase("coup*")
    assert {"terrorism", "terrorist", "terrorists"} <= expand_phrase("terror*")
    assert expand_phrase("nuclear weapon") == {"nuclear weapon", "nuclear weapons"}
    assert expand_phrase("ally") == {"ally", "allies"}


def test_a_couple_is_not_a_coup():
    # the old `coup*` rule tagged "New York Couple ..." as Africa
    profile = rule_profile(default_profile().taxonomy_text)
    assert "africa" not in topics("New York Couple Wins Lottery\n\nThe couple from Queens won $5 million.", profile)
    assert "africa" in topics("Coup in Niger\n\nSoldiers staged a coup; the junta closed the border.", profile)


def test_alex_wagner_is_not_the_wagner_group():
    profile = rule_profile(default_profile().taxonomy_text)
    text = "Alex Wagner Tonight\n\nMSNBC host Alex Wagner talked to guests about the week in Washington. Wagner laughed."
    assert "africa" not in topics(text, profile)
    mercenaries = "Mercenaries in Mali\n\nThe Wagner group sent fighters to Mali; Wagner mercenaries guard the mines."
    assert "africa" in topics(mercenaries, profile)


def test_allies_and_alliance_without_nato_are_not_nato():
    profile = rule_profile(default_profile().taxonomy_text)
    text = ("Senate Allies Rally\n\nThe senator's allies formed an alliance with local unions; "
            "her allies said the alliance would hold.")
    assert "nato-alliances" not in topics(text, profile)
    assert "nato-alliances" not in about_topics(text)  # nor with the trained model
    nato = "NATO summit\n\nNATO allies agreed on the eastern flank; the alliance will raise defence spending."
    assert "nato-alliances" in topics(nato, profile)


def test_georgia_the_us_state_is_not_the_caucasus():
    text = "Georgia Runoff Heads For Recount\n\nVoters in Atlanta waited hours; the Georgia secretary of state ordered a recount."
    assert "GEO" not in countries(text)
    assert "USA" in countries(text)
    assert "central-asia-caucasus" not in topics(text, rule_profile(default_profile().taxonomy_text))
    caucasus = "Protests in Georgia\n\nThousands marched in Tbilisi against the Georgian government; Georgia's president spoke."
    assert "GEO" in countries(caucasus)
    assert "central-asia-caucasus" in topics(caucasus, rule_profile(default_profile().taxonomy_text))


def test_georgia_pacific_is_a_firm():
    assert countries("Paper\n\nGeorgia-Pacific cut 300 jobs at its mill.") == set()


@pytest.mark.parametrize("text", [
    "Profile\n\nThe new coach speaks Spanish and French.",
    "Film\n\nThe film, shot in Spanish, won a prize.",
    "Film\n\nA Spanish-language film won; Spanish speakers queued.",
    "Books\n\nThe novel was translated from Portuguese into German.",
])
def test_languages_are_not_countries(text):
    assert countries(text) == set()


def test_a_language_word_used_as_an_adjective_is_still_the_country():
    assert countries("Fishing\n\nSpanish trawlers were seen in French waters.") == {"ESP", "FRA"}


def test_iceland_the_supermarket_is_not_the_country():
    assert countries("Frozen food\n\nIceland supermarket boss Richard Walker said prices rose at Iceland stores.") == set()
    assert countries("Volcano\n\nIceland's volcano erupted again near Grindavik.") == {"ISL"}


def test_london_ontario_is_canada():
    assert countries("Dividend\n\nThe company, of London, Ontario, raised its payout.") == {"CAN"}
    assert countries("Police\n\nPolice in London (Ontario) said the road was closed.") == {"CAN"}
    assert countries("Police\n\nPolice in London said the road was closed.") == {"GBR"}


@pytest.mark.parametrize("demonym, iso", [
    ("Salvadoran", "SLV"), ("Maltese", "MLT"), ("Serb", "SRB"), ("Serbs", "SRB"), ("Ghanaian", "GHA"),
    ("Kyrgyz", "KGZ"), ("Nepalese", "NPL"), ("Bosnian", "BIH"), ("Ivorian", "CIV"), ("Guatemalans", "GTM"),
])
def test_demonyms(demonym, iso):
    assert countries(f"Report\n\nA {demonym} delegation arrived on Monday.") == {iso}


# --------------------------------------------------------------------------------------- the profile


def test_profile_round_trips_through_bytes():
    profile = default_profile()
    assert profile.model is not None, "the bundled topic model ships with the package"
    again = TaggingProfile.from_bytes(profile.to_bytes())
    assert again.hash == profile.hash and again.version == profile.version
    assert again.taxonomy_text == profile.taxonomy_text and again.created_at == profile.created_at
    text = "Sanctions on Russia\n\nThe EU froze assets and banned exports of chips to Russia after the invasion of Ukraine."
    assert extract(text, profile=again) == extract(text)
    with pytest.raises(ValueError, match="not a tagging profile"):
        TaggingProfile.from_bytes(b"not a profile")


def test_profile_file_save_and_load(tmp_path):
    profile = TaggingProfile.from_taxonomy(MINI_TAXONOMY)
    path = tmp_path / "mini.profile"
    save_profile(profile, path)
    loaded = load_profile(path)
    assert loaded.hash == profile.hash and set(loaded.taxonomy.topics) == {"widgets", "gadgets"}
    assert loaded.describe()["version"] == profile.version


def test_a_custom_taxonomy_is_used_by_tag_records():
    profile = TaggingProfile.from_taxonomy(MINI_TAXONOMY)
    texts = ["Widget fair\n\nWidgets everywhere.", "Oil prices\n\nCrude oil and gas prices rose at OPEC."]
    tagged = tag_records(texts, processes=1, profile=profile)
    assert [{t.key for t in tags if t.kind == "topic"} for tags in tagged] == [{"widgets"}, set()]
    assert "energy" in {t.key for t in tag_records(texts, processes=1)[1] if t.kind == "topic"}  # the bundled one


@pytest.mark.slow
def test_a_custom_profile_reaches_pool_workers():
    profile = TaggingProfile.from_taxonomy(MINI_TAXONOMY)
    texts = [f"Widget fair {i}\n\nWidgets everywhere, said vendor {i}." for i in range(450)]
    tagged = tag_records(texts, processes=2, profile=profile)
    assert all({t.key for t in tags if t.kind == "topic"} == {"widgets"} for tags in tagged)


COOKING = """
topics:
  - key: cooking
    label: Cooking
    description: Recipes and kitchens.
    include: [recipe, roast]
    exclude: []
    threshold: 2
  - key: football
    label: Football
    description: The game.
    include: [goal, striker]
    exclude: []
    threshold: 2
"""


def test_retrain_learns_words_beyond_the_rules_from_weak_labels_and_examples():
    kitchen = "oven flour butter bake dough knead sugar pastry bread whisk".split()
    pitch = "league match stadium referee penalty keeper fans coach season cup".split()
    archive = []
    for i in range(80):
        k = " ".join(kitchen[(i + j) % 10] for j in range(6))
        p = " ".join(pitch[(i + j) % 10] for j in range(6))
        archive.append(f"Recipe {i}\n\nA roast recipe: {k}. Our recipe needs {kitchen[i % 10]}.")
        archive.append(f"Match {i}\n\nThe striker scored a goal: {p}. Another goal for the {pitch[i % 10]}.")
    examples = [(f"Kitchen note {i}\n\n{' '.join(kitchen[(i + j) % 10] for j in range(5))}.", "cooking", True) for i in range(25)]
    examples += [(f"Pitch note {i}\n\n{' '.join(pitch[(i + j) % 10] for j in range(5))}.", "cooking", False) for i in range(25)]
    base = rule_profile(COOKING)
    trained = retrain(base, archive, examples)
    assert trained.model is not None and set(trained.model.topics) == {"cooking", "football"}
    assert trained.hash != base.hash and trained.taxonomy_text == base.taxonomy_text
    # no rule phrase in this text: only the learned words can find it
    text = "Sunday baking\n\nKnead the dough, add butter and sugar, then bake the bread in a hot oven."
    assert "cooking" not in topics(text, base)
    assert "cooking" in about_topics(text, trained)
    assert "cooking" not in about_topics("Cup final\n\nThe referee gave a penalty; fans filled the stadium.", trained)
    # a retrained profile survives the round trip with its model
    assert TaggingProfile.from_bytes(trained.to_bytes()).hash == trained.hash


# ------------------------------------------------------------------------------------------- themes


OIL = "Oil prices rose as crude output fell and barrels of oil piled up at the refinery; OPEC crude quotas"
FOOTBALL = "The football club won the league match; the striker scored a goal and the goalkeeper saved a penalty"
CHIPS = "Semiconductor chips factories expand; chip makers build foundries for processors and wafers"


def corpus(n: int, offset: int = 0) -> list[str]:
    return [f"Report {offset + i}\n\n{(OIL, FOOTBALL, CHIPS)[i % 3]}. Item {offset + i}." for i in range(n)]


def test_theme_model_fits_assigns_and_round_trips():
    model = themes.fit(corpus(30), n_themes=3)
    assert len(model) == 3 and len(set(model.keys)) == 3
    tags = themes.assign(model, corpus(30))
    assert all(len(t) == 1 for t in tags)
    by_text = {i % 3: tags[i][0].key for i in range(30)}
    assert len(set(by_text.values())) == 3  # each vocabulary is its own theme
    again = themes.ThemeModel.from_bytes(model.to_bytes())
    assert again.keys == model.keys and themes.assign(again, corpus(6)) == themes.assign(model, corpus(6))


def test_theme_keys_are_stable_across_a_refit():
    first = themes.fit(corpus(30), n_themes=3)
    # more articles, another seed and a reordered corpus: the same three themes come back
    second = themes.fit(list(reversed(corpus(45, offset=100))), n_themes=3, seed=5, previous=first)
    assert sorted(second.keys) == sorted(first.keys)
    text = corpus(3)
    assert [t[0].key for t in themes.assign(first, text)] == [t[0].key for t in themes.assign(second, text)]
    # the stored (key, top_terms) pairs are enough to keep the keys
    third = themes.fit(corpus(60, offset=300), n_themes=3, seed=9, previous=list(zip(first.keys, first.top_terms)))
    assert sorted(third.keys) == sorted(first.keys)


def test_a_new_theme_gets_a_new_key_and_old_keys_are_not_recycled():
    first = themes.fit(corpus(30), n_themes=3)
    cheese = "Cheese makers age cheddar and brie in caves; dairy farmers sell milk and cheese at markets"
    texts = corpus(30) + [f"Dairy {i}\n\n{cheese}. Batch {i}." for i in range(10)]
    second = themes.fit(texts, n_themes=4, previous=first)
    assert set(first.keys) <= set(second.keys)
    (new,) = set(second.keys) - set(first.keys)
    assert "cheese" in new


# ---------------------------------------------------------------------------- the eval commands


def test_split_is_stratified_deterministic_and_disjoint():
    rows = read_rows(MINI_GOLD)
    tune, held = split_ids(rows, "tune"), split_ids(rows, "heldout")
    assert tune | held == {r["id"] for r in rows} and not tune & held
    # 3 records per source: 2 (rounded-up half) of each are in the tuning half
    assert sum(i.startswith("a") for i in tune) == 2 and sum(i.startswith("b") for i in tune) == 2
    assert split_ids(read_rows(MINI_GOLD), "tune") == tune


def test_eval_topics_on_the_hand_made_fixture(tmp_path, capsys):
    profile = tmp_path / "mini.profile"
    save_profile(TaggingProfile.from_taxonomy(MINI_TAXONOMY), profile)
    args = ["eval", "topics", "--gold", str(MINI_GOLD), "--text-fields", "title,body", "--profile", str(profile)]
    assert main(args + ["--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # By hand (title mention 3, lead mention 1.5, threshold 2):
    #   a1 widgets 3+1.5 -> widgets (gold widgets: tp)
    #   a2 gadget 3+1.5 -> gadgets; widget 1.5 < 2 -> not given (gold gadgets, widgets: tp gadgets, fn widgets)
    #   a3 nothing (gold none); b1 title widget 3, gadget 3 -> both (gold widgets: tp widgets, fp gadgets)
    #   b2 gadgets 3+1.5 (gold gadgets: tp); b3 nothing (gold gadgets: fn)
    assert (result["tp"], result["fp"], result["fn"]) == (4, 1, 2)
    assert result["micro"]["precision"] == pytest.approx(4 / 5)
    assert result["micro"]["recall"] == pytest.approx(4 / 6)
    assert result["micro"]["f1"] == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    per = {row["label"]: row for row in result["per_label"]}
    assert (per["widgets"]["tp"], per["widgets"]["fp"], per["widgets"]["fn"], per["widgets"]["gold"]) == (2, 0, 1, 3)
    assert (per["gadgets"]["tp"], per["gadgets"]["fp"], per["gadgets"]["fn"], per["gadgets"]["gold"]) == (2, 1, 1, 3)
    # widgets F1 = 2*1*(2/3)/(1+2/3) = 0.8; gadgets F1 = 2/3; both have 3 gold examples
    assert result["macro_supported"]["f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert {(e["label"], e["error"]) for e in result["errors"]} == {("widgets", "missed"), ("gadgets", "missed"), ("gadgets", "wrongly given")}
    assert result["by_source"]["A"]["tp"] == 2 and result["by_source"]["B"]["fp"] == 1
    assert main(args) == 0
    report = capsys.readouterr().out
    assert "micro" in report and "widgets" in report and "commonest errors" in report
    assert main(args + ["--split", "tune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 4
    assert main(args + ["--split", "heldout", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 2


def test_eval_countries_about_and_mentioned_on_the_fixture(capsys):
    args = ["eval", "countries", "--gold", str(MINI_GOLD), "--labels", "countries_about,countries_mentioned", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    about, mentioned = result["countries_about"], result["countries_mentioned"]
    # about: a1 FRA (the only country, named in the lead: tp); b1 JPN and CHL, two lead mentions of equal
    # standing, both about (tp JPN, fp CHL); b2 DEU is never named (fn)
    assert (about["tp"], about["fp"], about["fn"]) == (2, 1, 1)
    assert about["micro"]["f1"] == pytest.approx(2 / 3)
    # mentioned: FRA, JPN, CHL all named and all in gold
    assert (mentioned["tp"], mentioned["fp"], mentioned["fn"]) == (3, 0, 0)
    assert mentioned["micro"]["f1"] == pytest.approx(1.0)


def test_eval_bad_split_and_profile_are_one_line(tmp_path, capsys):
    assert main(["eval", "topics", "--gold", str(MINI_GOLD), "--profile", str(tmp_path / "none.profile")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("trends eval:") and "\n" not in err
    bad = tmp_path / "bad.profile"
    bad.write_bytes(b"garbage")
    assert main(["eval", "topics", "--gold", str(MINI_GOLD), "--profile", str(bad)]) == 2
    assert "not a tagging profile" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "topics", "--gold", str(MINI_GOLD), "--split", "middle"])


def test_tagging_train_command_writes_a_profile_the_eval_uses(tmp_path, capsys):
    archive = tmp_path / "archive.jsonl"
    rows = []
    for i in range(40):
        rows.append({"title": f"Widget fair {i}", "body": "Widgets and more widgets, with sprockets and cogs."})
        rows.append({"title": f"Gadget show {i}", "body": "A gadget, another gadget, with batteries and screens."})
        rows.append({"title": f"Garden {i}", "body": "Roses and tulips bloom in spring gardens."})
    archive.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "mine.profile"
    args = ["tagging", "train", "--texts", str(archive), "--taxonomy", str(MINI_TAXONOMY), "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert "trained 2 topic models on 120 texts" in capsys.readouterr().out
    profile = load_profile(out)
    assert set(profile.model.topics) == {"widgets", "gadgets"}
    # learned beyond the rules: sprockets and cogs co-occur with widgets in every weak positive
    assert "widgets" in about_topics("Workshop\n\nSprockets and cogs, sprockets and cogs.", profile)
    assert main(["tagging", "train", "--out", str(out), "--quiet"]) == 2
    assert "nothing to train on" in capsys.readouterr().err


def test_a_us_story_that_never_names_the_us_is_about_it_but_does_not_mention_it(capsys):
    text = "Trump Told Authors He Refused Masks\n\nThe former president was hospitalized with COVID-19 anyway."
    usa = next(t for t in extract(text) if t.kind == "country" and t.key == "USA")
    assert usa.about and usa.method == "implied"
    from trends.tagging.evaluate import predicted

    tags = extract(text)
    assert "USA" in predicted(tags, "countries_about") and "USA" not in predicted(tags, "countries_mentioned")
    # a passing implication is no tag at all
    long = "Storm\n\n" + "Rain fell on the coast all week and rivers rose. " * 10 + "Trump tweeted."
    assert "USA" not in {t.key for t in extract(long) if t.kind == "country"}
