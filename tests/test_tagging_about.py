"""The learned country "about" model (trends.tagging.about): features, scores, the shipped file, traps."""

from __future__ import annotations

import json
import math

import pytest

from trends.tagging import about
from trends.tagging.lexicon import build_lexicon
from trends.tagging.model import ABOUT_THRESHOLD
from trends.tagging.tagger import Tagger


@pytest.fixture(scope="module")
def tagger():
    return Tagger()


def _model(coef: dict[str, float], intercept=0.0, cutoff=0.5, mean=None, scale=None) -> about.AboutModel:
    n = len(about.FEATURES)
    return about.AboutModel(
        about.FEATURES, tuple(mean or [0.0] * n), tuple(scale or [1.0] * n),
        tuple(coef.get(name, 0.0) for name in about.FEATURES), intercept, cutoff, {},
    )


# ------------------------------------------------------------------------------------ the score scale


def test_the_cut_off_lands_on_the_about_threshold_and_the_scale_is_monotone():
    model = _model({}, cutoff=0.5)
    assert model.score(0.5) == pytest.approx(ABOUT_THRESHOLD)
    assert model.score(0.25) == pytest.approx(0.3)  # 0.6 * 0.25 / 0.5
    assert model.score(0.75) == pytest.approx(0.8)  # 0.6 + 0.4 * 0.25 / 0.5
    assert model.score(0.0) == 0.0 and model.score(1.0) == 1.0
    low = _model({}, cutoff=0.2)
    values = [low.score(p / 100) for p in range(101)]
    assert values == sorted(values)
    assert low.score(0.19) < ABOUT_THRESHOLD <= low.score(0.2)  # just below the cut-off is not about


def test_probability_is_the_logistic_of_standardised_features():
    n = len(about.FEATURES)
    i = about.FEATURES.index("share")
    mean, scale = [0.0] * n, [1.0] * n
    mean[i], scale[i] = 0.5, 0.25
    model = _model({"share": 2.0}, intercept=-1.0, mean=mean, scale=scale)
    row = [0.0] * n
    row[i] = 1.0  # z = -1 + 2 * (1.0 - 0.5) / 0.25 = 3
    assert model.probabilities([row]) == pytest.approx([1 / (1 + math.exp(-3))])


def test_a_model_file_that_does_not_fit_this_tagger_is_refused(tmp_path):
    good = json.loads(_model({"share": 1.0}).to_json())
    assert about.AboutModel.from_json(json.dumps(good)).coef[about.FEATURES.index("share")] == 1.0
    for broken, message in (
        ({**good, "features": good["features"][:-1]}, "do not match"),
        ({**good, "coef": good["coef"][:-1]}, "one value per feature"),
        ({**good, "cutoff": 1.0}, "strictly between"),
    ):
        with pytest.raises(ValueError, match=message):
            about.AboutModel.from_json(json.dumps(broken))


def test_the_bundled_model_loads_and_says_what_it_learned_from():
    model = about.bundled_model()
    assert model is not None and model.features == about.FEATURES and 0 < model.cutoff < 1
    assert "no Reuters" in model.facts["data"] and "no held-out" in model.facts["data"]
    assert model.facts["cv_micro_f1"] > model.facts["hand_set_salience_f1"]  # why it replaced the rule


# ------------------------------------------------------------------------------------------ features


TEXT = "France and Germany talk\n\nGerman officials met in Berlin. France's minister said Italy, Spain and Portugal agreed."


def test_features_by_hand(tagger):
    candidates, layout = tagger.country_candidates(TEXT)
    by_key = {c.key: c for c in candidates}
    assert set(by_key) == {"FRA", "DEU", "ITA", "ESP", "PRT"}
    assert by_key["DEU"].kinds == ("name", "demonym", "name")  # Germany, German, Berlin (a curated alias)
    rows = dict(zip([c.key for c in candidates], about.features(candidates, TEXT, layout.title_end, layout.lead_end)))
    f = {key: dict(zip(about.FEATURES, row)) for key, row in rows.items()}
    # 8 country mentions: DEU 3, FRA 2, ITA, ESP, PRT 1 each
    assert f["DEU"]["share"] == pytest.approx(3 / 8) and f["FRA"]["share"] == pytest.approx(2 / 8)
    assert f["DEU"]["log_mentions"] == pytest.approx(math.log(4))
    assert f["DEU"]["demonym_share"] == pytest.approx(1 / 3)
    assert f["FRA"]["possessive_share"] == pytest.approx(1 / 2)  # "France's"
    assert f["FRA"]["in_title"] == 1.0 and f["ITA"]["in_title"] == 0.0
    # evidence: DEU title 2 + lead 3 + lead 3 = 8, FRA 2 + 3 = 5, the others one lead mention = 3
    assert f["FRA"]["relative"] == pytest.approx(5 / 8) and f["DEU"]["is_top"] == 1.0 and f["FRA"]["is_top"] == 0.0
    assert f["FRA"]["inv_rank"] == pytest.approx(1 / 2) and f["ITA"]["inv_rank"] == pytest.approx(1 / 3)
    assert f["DEU"]["paragraph_share"] == 1.0 and f["ITA"]["paragraph_share"] == pytest.approx(1 / 2)  # title, body
    assert f["FRA"]["in_lead"] == 1.0 and f["FRA"]["first_position"] == 0.0
    assert f["DEU"]["at_body_start"] == 1.0  # "German officials" opens the body
    assert f["ITA"]["log_candidates"] == pytest.approx(math.log(5))


def test_first_person_sentence_is_seen_and_ordinary_ones_are_not(tagger):
    text = "\n\nMy country, Mongolia, has reformed its courts. Japan and Korea have helped."
    candidates, layout = tagger.country_candidates(text)
    f = {c.key: dict(zip(about.FEATURES, r)) for c, r in zip(candidates, about.features(candidates, text, layout.title_end, layout.lead_end))}
    assert f["MNG"]["first_person"] == 1.0 and f["JPN"]["first_person"] == 0.0
    assert f["MNG"]["has_title"] == 0.0


def test_demonyms_are_told_from_city_and_building_names():
    demonyms = build_lexicon([]).demonyms
    for word in ("Russian", "Russians", "Serbs", "Maltese", "Chinese", "Israeli", "British"):
        assert word in demonyms, word
    for word in ("Pentagon", "Kremlin", "Hanoi", "Dubai", "Kazakhstan", "Iran", "Britain", "Kyiv"):
        assert word not in demonyms, word


# ----------------------------------------------------------------------------------- tagger behaviour


def test_the_only_country_of_a_short_story_is_its_subject(tagger):
    tags = {t.key: t for t in tagger.extract("Floods hit Bangladesh\n\nHeavy rain displaced thousands.") if t.kind == "country"}
    assert tags["BGD"].about


def test_countries_listed_once_in_a_long_story_about_another_are_not_about(tagger):
    body = ("Kenya's parliament passed the budget on Tuesday. Kenyan officials said the vote was close. " * 4
            + "Observers from Ghana, Senegal and Zambia watched.")
    tags = {t.key: t for t in tagger.extract("Kenya passes budget\n\n" + body) if t.kind == "country"}
    assert tags["KEN"].about
    assert not any(tags[k].about for k in ("GHA", "SEN", "ZMB"))


def test_a_country_only_implied_keeps_the_hand_set_salience(tagger):
    # the trap: as the one candidate of a text, a learned score made a single passing "Trump" the subject
    text = "Storm\n\n" + "Rain fell on the coast all week and rivers rose. " * 10 + "Trump tweeted."
    candidates, _ = tagger.country_candidates(text)
    assert [c.kinds for c in candidates] == [("implied",)] and not about.learned(candidates[0])
    assert "USA" not in {t.key for t in tagger.extract(text) if t.kind == "country"}


def test_without_a_model_the_hand_set_salience_decides():
    plain = Tagger()
    plain.about_model = None
    text = "Widget fair\n\nWidgets everywhere in France."
    france = next(t for t in plain.extract(text) if t.key == "FRA")
    # one lead mention (weight 3): 0.7 * min(1, 3/4) + 0.3 * 1 = 0.825
    assert france.score == pytest.approx(0.825)
    learned = next(t for t in Tagger().extract(text) if t.key == "FRA")
    assert learned.about and learned.score != pytest.approx(0.825)


def test_paragraphs_end_at_blank_lines_indents_and_sentence_ends_not_at_hard_wraps():
    # the trap: wire copy and PDF speeches are hard-wrapped, so every line break is no paragraph
    text = "Title\n\nA sentence ends.\nNext para starts\nand wraps here.\n    Indented para.\n\n\nLast."
    ends = [text[:i].split()[-1] for i in about.paragraph_breaks(text)]
    assert ends == ["Title", "ends.", "here.", "para."]  # not after "starts"
    assert about.paragraph_breaks("One line only.") == []


def test_a_wire_dateline_names_a_country_the_story_is_about(tagger):
    assert about.dateline_end("T\n\nNEW YORK, March 2 - Stocks rose.", 1) == len("T\n\nNEW YORK")
    assert about.dateline_end("T\n\nKYIV, Ukraine (Reuters) - Talks.", 1) == len("T\n\nKYIV, Ukraine")
    # the traps: an acronym or a name that opens an ordinary sentence is no dateline
    assert about.dateline_end("T\n\nNATO said, on Monday, it would meet.", 1) == -1
    assert about.dateline_end("T\n\nThe UN said so.", 1) == -1
    body = "Japanese exporters gained as Japan eased rules. " * 5 + "Traders in China and Germany disagreed."
    text = "STOCKS FALL\n\nCAIRO, March 3 - " + body
    tags = {t.key: t for t in tagger.extract(text) if t.kind == "country"}
    assert tags["EGY"].about and tags["JPN"].about  # Cairo is named once, in the dateline
    # the rule, not the model: under a model that calls nothing about, the dateline country still is
    sceptic = Tagger()
    sceptic.about_model = _model({}, intercept=-10.0)
    doubted = {t.key: t for t in sceptic.extract(text) if t.kind == "country"}
    assert doubted["EGY"].about and doubted["EGY"].score == ABOUT_THRESHOLD and not doubted["JPN"].about
    without = {t.key: t for t in tagger.extract("STOCKS FALL\n\n" + body + " Cairo traders sold.") if t.kind == "country"}
    assert not without["EGY"].about  # the same single mention at the end of the story
