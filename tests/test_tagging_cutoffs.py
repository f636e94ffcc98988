"""Per-topic calibrated cut-offs of the topic model, and the taxonomy rules added for recall (each with
its trap: the word in another sense does not count). Expected scores are worked out by hand below."""

from __future__ import annotations

import numpy as np
import pytest

from trends.tagging.classifier import TopicModel, load_arrays, save_arrays
from trends.tagging.features import Vocabulary
from trends.tagging.model import ABOUT_THRESHOLD
from trends.tagging.profile import TaggingProfile, default_profile
from trends.tagging.tagger import Tagger
from trends.tagging.training import Settings, _topic_cutoffs, choose_cutoff


def tiny_model(cutoffs=None) -> TopicModel:
    """Two topics whose stage-1 margin is 0 for any text, and a calibrator that passes the margin
    through unchanged (coefficient 1, others 0): every text has stage-2 probability exactly 0.5."""
    vocab = Vocabulary({"alpha": 0, "beta": 1}, np.array([1.0, 1.0]), ["alpha", "beta"])
    return TopicModel(
        ["a", "b"], vocab, np.zeros((2, 2), dtype=np.float32), np.zeros(2, dtype=np.float32),
        np.array([1.0, 0.0, 0.0, 0.0, 0.0]), 0.5, {}, cutoffs,
    )


def test_each_topic_maps_its_own_cutoff_to_the_about_threshold():
    model = tiny_model(np.array([0.3, 0.7]))
    scores = model.scores("alpha beta", {}, np.array([1.0, 1.0]))
    # p = 0.5. Topic a (cut-off 0.3): 0.6 + 0.4 * (0.5 - 0.3) / (1 - 0.3) = 0.6 + 0.08 / 0.7 = 0.714286
    # topic b (cut-off 0.7): 0.6 * 0.5 / 0.7 = 0.428571
    assert scores == pytest.approx([0.714286, 0.428571], abs=1e-6)
    assert scores[0] >= ABOUT_THRESHOLD > scores[1]
    assert model.score(0.5, "a") == pytest.approx(0.714286, abs=1e-6)
    assert model.score(0.5, "b") == pytest.approx(0.428571, abs=1e-6)
    assert model.score(0.5) == pytest.approx(ABOUT_THRESHOLD)  # the pooled cut-off 0.5 itself


def test_without_own_cutoffs_every_topic_uses_the_pooled_one():
    model = tiny_model()
    assert model.cutoffs.tolist() == [0.5, 0.5]
    assert model.scores("alpha", {}, np.array([1.0, 1.0])) == pytest.approx([ABOUT_THRESHOLD] * 2)


def test_cutoffs_survive_the_bytes_round_trip_and_older_models_load_pooled():
    model = tiny_model(np.array([0.3, 0.7]))
    arrays = model.to_arrays()
    back = load_arrays(save_arrays({**arrays, "m": np.array(['{"format": 1}'])}), "model", "m", 1,
                       lambda meta, a: TopicModel.from_arrays(a))
    assert back.cutoffs.tolist() == pytest.approx([0.3, 0.7])
    older = {k: v for k, v in arrays.items() if k != "model_cutoffs"}  # a model saved before per-topic cut-offs
    old = load_arrays(save_arrays({**older, "m": np.array(['{"format": 1}'])}), "model", "m", 1,
                      lambda meta, a: TopicModel.from_arrays(a))
    assert old.cutoffs.tolist() == [0.5, 0.5]


def test_topic_cutoffs_need_enough_positives_and_are_shrunk_to_the_pooled_one():
    # The calibrator is the identity on the first feature with intercept 0, so p = sigmoid(z).
    calibrator = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    # topic x: 4 positives at p 0.9, 0.8, 0.7, 0.6 and negatives at 0.65, 0.3, 0.2.
    # Ranked: .9+ .8+ .7+ .65- .6+ .3- .2-; precision >= 0.8 holds at ranks 1-3 (1.0) and rank 5 (4/5 = 0.8),
    # best F1 at rank 5 (P 0.8, R 1.0): the cut-off halfway between 0.6 and the next score 0.3 = 0.45.
    px = [0.9, 0.8, 0.7, 0.65, 0.6, 0.3, 0.2]
    yx = [1, 1, 1, 0, 1, 0, 0]
    # topic y: a single positive, below the minimum of positives: no own cut-off.
    py, yy = [0.9, 0.1], [1, 0]
    Z = np.array([[logit(p), 0.0, 0.0, 0.0] for p in px + py])
    Y = np.array(yx + yy)
    keys = ["x"] * len(px) + ["y"] * len(py)
    own, _ = choose_cutoff(np.array(px), np.array(yx))
    assert own == pytest.approx(0.45)
    out = _topic_cutoffs(calibrator, 0.6, Z, Y, keys, Settings(topic_cutoff_positives=3, topic_cutoff_shrink=0.5))
    assert out == {"x": pytest.approx(0.5 * 0.45 + 0.5 * 0.6)}
    assert _topic_cutoffs(calibrator, 0.6, Z, Y, keys, Settings(topic_cutoff_positives=0)) == {}
    assert _topic_cutoffs(calibrator, 0.6, Z, Y, keys, Settings(topic_cutoff_positives=5)) == {}


# ------------------------------------------------------------------------------- rules added for recall


@pytest.fixture(scope="module")
def rules():
    tagger = Tagger(TaggingProfile(default_profile().taxonomy_text, None, "rules"))
    return lambda text: tagger.entities_and_rules(text)[1]


def evidence(found, key) -> float:
    return found[key].evidence if key in found else 0.0


def test_elects_and_a_landslide_victory_are_elections_a_landslide_of_mud_is_not(rules):
    found = rules("Mexico Elects Leftist Candidate In Landslide\n\nHe won a landslide victory on Sunday.")
    # title: elects (3) + candidate (3) + landslide near "elect*"/"won" (3); body lead: landslide near won (1.5)
    assert evidence(found, "elections") == pytest.approx(10.5)
    mud = rules("Storm\n\nA landslide buried the road after days of rain; rescuers dug through the mud.")
    assert evidence(mud, "elections") == 0.0


def test_a_poisoned_critic_is_human_rights_poisoned_food_is_not(rules):
    found = rules("Opposition figure poisoned\n\nThe Kremlin critic was poisoned with a nerve agent, doctors said.")
    assert evidence(found, "human-rights") >= 1.0
    food = rules("Picnic\n\nSeveral guests were poisoned by undercooked chicken at a wedding.")
    assert evidence(food, "human-rights") == 0.0


def test_pro_democracy_activists_and_detention_centres_count_for_human_rights(rules):
    found = rules("Hong Kong\n\nPro-democracy campaigners were charged with subversion; others sit in a detention centre.")
    # all three in the lead (the body's first 150 characters), 1.5 each: pro-democracy, subversion, detention centre
    assert evidence(found, "human-rights") == pytest.approx(4.5)


def test_the_un_system_counts_for_multilateralism(rules):
    found = rules("\n\nWe call for the revitalization of the General Assembly and a stronger United Nations system.")
    assert evidence(found, "multilateralism") >= 3.0


# ------------------------------------------------------------------ per-topic intercepts (the default)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))


def _intercept_data(seed=0):
    """Two features; topic "wide" (160 pairs) whose positives sit 1.5 logits above the pooled line,
    topic "few" (6 pairs) likewise, topic "base" (160 pairs) on it."""
    rng = np.random.default_rng(seed)
    Z, Y, keys = [], [], []
    for key, n, offset in (("base", 160, 0.0), ("wide", 160, 1.5), ("few", 6, 1.5)):
        z = rng.normal(size=(n, 2))
        y = (rng.random(n) < _sigmoid(1.2 * z[:, 0] - 0.5 * z[:, 1] - 0.7 + offset)).astype(int)
        if key == "few":
            y[:3] = 1  # at least one of each class
            y[3:] = 0
        Z.append(z), Y.append(y), keys.extend([key] * n)
    return np.vstack(Z), np.concatenate(Y), keys


def test_topic_intercepts_minimise_the_penalised_log_loss_found_by_a_different_solver():
    from scipy.optimize import minimize

    from trends.tagging.training import _fit_calibration_with_topic_intercepts

    Z, Y, keys = _intercept_data()
    c_topic = 10.0
    coef, cutoff, cutoffs, best = _fit_calibration_with_topic_intercepts(Z, Y, keys, Settings(topic_intercept_c=c_topic))
    topics = sorted(set(keys))
    k_idx = np.array([topics.index(k) for k in keys])

    # The objective written out by hand (scikit-learn's, C = 1): 0.5 |w|^2 + 0.5 sum b_k^2 / c_topic
    # + sum of log-losses; the pooled intercept is not penalised. Solved by BFGS instead of lbfgs on a
    # scaled one-hot design.
    def objective(theta):
        w, w0, b = theta[:2], theta[2], theta[3:]
        s = Z @ w + w0 + b[k_idx]
        loss = np.sum(np.logaddexp(0, s) - Y * s)
        return loss + 0.5 * w @ w + 0.5 * (b @ b) / c_topic

    theta = minimize(objective, np.zeros(3 + len(topics)), method="BFGS", options={"gtol": 1e-8}).x
    assert coef == pytest.approx(theta[:3], abs=2e-3)
    # each topic's stored cut-off is sigmoid(logit(pooled cut-off) - b_k)
    for key, b in zip(topics, theta[3:]):
        assert cutoffs[key] == pytest.approx(_sigmoid(_logit(cutoff) - b), abs=2e-3)
    assert 0.0 <= best["precision"] <= 1.0


def test_a_topic_intercept_becomes_a_cut_off_that_makes_the_same_decisions():
    from trends.tagging.training import _fit_calibration_with_topic_intercepts

    Z, Y, keys = _intercept_data(1)
    coef, cutoff, cutoffs, _ = _fit_calibration_with_topic_intercepts(Z, Y, keys, Settings(topic_intercept_c=10.0))
    p = _sigmoid(Z @ coef[:-1] + coef[-1])  # what TopicModel.calibrated computes: no topic term
    shift = {k: _logit(cutoff) - _logit(c) for k, c in cutoffs.items()}
    adjusted = _sigmoid(_logit(p) + np.array([shift[k] for k in keys]))
    with_intercepts = adjusted >= cutoff
    with_cutoffs = p >= np.array([cutoffs[k] for k in keys])
    assert (with_intercepts == with_cutoffs).mean() >= 0.99  # equal but for float ties at the cut-off itself


def test_a_topic_with_few_examples_stays_nearer_the_pooled_cut_off():
    from trends.tagging.training import _fit_calibration_with_topic_intercepts

    Z, Y, keys = _intercept_data(2)
    _, cutoff, cutoffs, _ = _fit_calibration_with_topic_intercepts(Z, Y, keys, Settings(topic_intercept_c=10.0))
    # both "wide" and "few" are 1.5 logits easier than the pooled line: both cut-offs fall below "base"'s,
    # and the 6-pair topic moves less than the 160-pair one.
    move = {k: abs(_logit(c) - _logit(cutoff)) for k, c in cutoffs.items()}
    assert cutoffs["wide"] < cutoffs["base"]
    assert move["few"] < move["wide"]


def test_a_precision_floor_raises_a_topic_cut_off_to_the_first_score_gap_that_reaches_it():
    from trends.tagging.training import _floor_cutoff

    p, y = np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0])
    floor = Settings(topic_precision_floor=0.75, target_precision=0.8)  # prior: 2 pseudo-examples at 0.8 = 1.6
    # shrunk precision (tp + 1.6) / (n + 2): cut 0.55 -> 3.6/6 = 0.60; 0.65 -> 3.6/5 = 0.72;
    # 0.75 -> 2.6/4 = 0.65; 0.85 -> 2.6/3 = 0.867 >= 0.75: the cut-off halfway between 0.8 and 0.9
    assert _floor_cutoff(p, y, 0.55, floor) == pytest.approx(0.85)
    assert _floor_cutoff(p, y, 0.55, Settings(topic_precision_floor=0.5)) == pytest.approx(0.55)  # 0.60 >= 0.5
    # nothing reaches 0.95: past the top score (nothing tagged)
    assert _floor_cutoff(p, y, 0.55, Settings(topic_precision_floor=0.95)) == pytest.approx(0.95)
