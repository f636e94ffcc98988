"""Pure chart builders: a DataFrame from trends.queries in, a Plotly Figure out.

No Streamlit and no SQL here, so every chart can be unit-tested on a hand-made frame. Charts that the
dashboard drills into carry the ids of each point in ``customdata``: ``[key, period]`` for tag and
source series (period as an ISO date string, "" when the chart has no time axis), ``[article_id]`` for
charts of single articles, ``["node", key]`` / ``["pair", a, b]`` for the co-mention network.
`selection_ids` reads them back.

- `trends.charts.series`: time series (gaps drawn as gaps), the stack rule, rankings, readership
- `trends.charts.maps`: the world map with log / quantile colour scales
- `trends.charts.relations`: co-mention matrix, pairs and network
- `trends.charts.coverage`: the coverage chart and the strip under a time series
"""

from trends.charts.base import PALETTE, empty_figure, selection_ids
from trends.charts.coverage import coverage_chart, with_coverage_strip
from trends.charts.maps import MAP_SCALES, world_map
from trends.charts.relations import co_mention_matrix, co_mention_network, co_mention_pairs, network_layout, network_pick
from trends.charts.series import (
    ATTENTION_LAYOUTS,
    LINES_MIN_RATIO,
    STACK_MIN_RATIO,
    attention_area,
    attention_layout,
    driver_terms,
    ranked_bars,
    rising_falling_bars,
    view_history,
    views_histogram,
    views_over_time,
    views_vs_age,
    volume_lines,
)

__all__ = [
    "ATTENTION_LAYOUTS", "LINES_MIN_RATIO", "MAP_SCALES", "PALETTE", "STACK_MIN_RATIO", "attention_area",
    "attention_layout", "co_mention_matrix", "co_mention_network", "co_mention_pairs", "coverage_chart",
    "driver_terms", "empty_figure", "network_layout", "network_pick", "ranked_bars", "rising_falling_bars",
    "selection_ids", "view_history", "views_histogram", "views_over_time", "views_vs_age", "volume_lines",
    "with_coverage_strip", "world_map",
]
