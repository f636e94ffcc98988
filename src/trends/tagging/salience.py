"""Where a mention sits decides how much it counts: the title and the lead weigh more than the body.

A tag's score combines how much evidence it has in absolute terms with how it compares to the most
mentioned entity of the same kind in the article, so a country named once in passing in a long story
about another country stays below the "about" threshold, while the only country of a short wire story
passes it. The constants were tuned on a development half of the Reuters-21578 training file and
checked on the other half (see bench/ and the eval command); they are not per-file rules.
For countries this score is now one feature of the learned about model (``trends.tagging.about``),
which sets the country tags' final score; people and organisations keep it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

# Tuned by grid search on the even-numbered records of Reuters-21578 (micro-F1 0.911) and checked on the
# odd-numbered ones (0.903): the lead (dateline + first sentence) is the strongest signal of what a story
# is about, the title next.
TITLE_WEIGHT = 2.0
LEAD_WEIGHT = 3.0
BODY_WEIGHT = 1.0
LEAD_CHARS = 150  # the dateline / first sentence of the body
SATURATION = 4.0  # weighted mentions at which absolute evidence stops growing
ABSOLUTE_SHARE = 0.7  # score = ABSOLUTE_SHARE * absolute + (1 - ABSOLUTE_SHARE) * relative-to-top


@dataclass(frozen=True)
class Layout:
    """Offsets of the title and the lead in ``title + "\\n\\n" + body``."""

    title_end: int
    lead_end: int

    @classmethod
    def of(cls, text: str) -> "Layout":
        cut = text.find("\n\n")
        title_end = cut if cut >= 0 else min(len(text), text.find("\n") if "\n" in text else len(text))
        body_start = title_end + 2 if cut >= 0 else title_end
        return cls(title_end, body_start + LEAD_CHARS)

    def weight(self, start: int) -> float:
        if start < self.title_end:
            return TITLE_WEIGHT
        if start < self.lead_end:
            return LEAD_WEIGHT
        return BODY_WEIGHT


def scores(evidence: dict[str, float]) -> dict[str, float]:
    """Weighted mention totals per key -> salience in [0, 1]."""
    if not evidence:
        return {}
    top = max(evidence.values())
    out = {}
    for key, raw in evidence.items():
        absolute = min(1.0, raw / SATURATION)
        relative = raw / top if top else 0.0
        out[key] = round(ABSOLUTE_SHARE * absolute + (1 - ABSOLUTE_SHARE) * relative, 4)
    return out
