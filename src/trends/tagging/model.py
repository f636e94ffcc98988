"""The Tag record every part of the tagger returns, and the one "about" threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

# A tag whose score reaches this is one the article is *about* (not a passing mention). Country, person
# and org scores are salience in [0, 1] (trends.tagging.salience): e.g. one title mention of the only
# country of a story scores 0.65, two body mentions next to a country that fills the lead ~0.45.
# Topic scores are scaled so that meeting the topic's own threshold gives exactly ABOUT_THRESHOLD.
# Dashboards and the country eval use this same number.
ABOUT_THRESHOLD = 0.6

KINDS = ("country", "person", "org", "topic", "theme")


@dataclass
class Tag:
    """What an article is about: ``spans`` index into ``title + "\\n\\n" + body``."""

    kind: str
    key: str
    label: str
    mentions: int
    spans: list[tuple[int, int]] = field(default_factory=list)
    score: float = 0.0
    method: str = "alias"  # alias | gazetteer | discovered | taxonomy | nmf

    @property
    def about(self) -> bool:
        return self.score >= ABOUT_THRESHOLD

    def __reduce__(self):
        # Tags cross process boundaries by the thousand (the tagging pool's results): rebuilt from their
        # fields they pickle ~20% smaller and unpickle ~2x faster than as a dataclass instance __dict__.
        return (Tag, (self.kind, self.key, self.label, self.mentions, self.spans, self.score, self.method))
