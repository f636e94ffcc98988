"""Every question the dashboard asks, answered from the DuckDB file (the only read-side SQL).

Each function takes ``(db_path, flt: Filter, ...)`` and returns pandas DataFrames (or a small dict);
see "The queries contract" in docs/architecture.md. Reads go through `trends.store.read_cursor`
(one cursor per thread, reopened when a writer publishes a new generation), so these functions are
safe to call from Streamlit's script threads; `trends.cache` adds `st.cache_data` on top.
"""

from trends.queries._base import QueryError, period_range, period_start
from trends.queries.articles import (
    NO_GROWTH_SORT_NOTICE,
    NO_VIEWS_SORT_NOTICE,
    article,
    drilldown,
    new_since_last_ingest,
    search,
    snippet,
)
from trends.queries.corrections import article_corrections
from trends.queries.coverage import CORE_SPAN_RULE, DENSEST_SPAN_RULE, archive_span, coverage
from trends.queries.drivers import DRIVERS_EXPLAINED, drivers, log_odds_dirichlet, search_words
from trends.queries.overview import availability, facets, reject_reasons, rejects, summary
from trends.queries.readership import top_articles, views_by, views_distribution, views_over_time, views_vs_age
from trends.queries.relations import co_mention_matrix, co_mention_network, co_mentions
from trends.queries.timeseries import (
    SHARE_ACTIVE_EXPLAINED,
    comparison_windows,
    country_map,
    headline,
    rising_falling,
    volume,
)

__all__ = [
    "CORE_SPAN_RULE",
    "DENSEST_SPAN_RULE",
    "DRIVERS_EXPLAINED",
    "NO_GROWTH_SORT_NOTICE",
    "NO_VIEWS_SORT_NOTICE",
    "QueryError",
    "SHARE_ACTIVE_EXPLAINED",
    "archive_span",
    "article",
    "article_corrections",
    "availability",
    "co_mention_matrix",
    "co_mention_network",
    "co_mentions",
    "comparison_windows",
    "country_map",
    "coverage",
    "drilldown",
    "drivers",
    "facets",
    "log_odds_dirichlet",
    "headline",
    "new_since_last_ingest",
    "period_range",
    "period_start",
    "reject_reasons",
    "rejects",
    "rising_falling",
    "search",
    "search_words",
    "snippet",
    "summary",
    "top_articles",
    "views_by",
    "views_distribution",
    "views_over_time",
    "views_vs_age",
    "volume",
]
