"""Every question the dashboard asks, answered from the DuckDB file (the only read-side SQL).

Each function takes ``(db_path, flt: Filter, ...)`` and returns pandas DataFrames (or a small dict);
see "The queries contract" in docs/architecture.md. Reads go through `trends.store.read_cursor`
(one cursor per thread, reopened when a writer publishes a new generation), so these functions are
safe to call from Streamlit's script threads; `trends.cache` adds `st.cache_data` on top.
"""

from trends.queries._base import QueryError, period_range, period_start
from trends.queries.articles import article, drilldown, new_since_last_ingest, search, snippet
from trends.queries.overview import facets, summary
from trends.queries.readership import top_articles, views_by, views_distribution, views_over_time, views_vs_age
from trends.queries.relations import co_mention_matrix, co_mentions
from trends.queries.timeseries import comparison_windows, country_map, headline, rising_falling, volume

__all__ = [
    "QueryError",
    "article",
    "co_mention_matrix",
    "co_mentions",
    "comparison_windows",
    "country_map",
    "drilldown",
    "facets",
    "headline",
    "new_since_last_ingest",
    "period_range",
    "period_start",
    "rising_falling",
    "search",
    "snippet",
    "summary",
    "top_articles",
    "views_by",
    "views_distribution",
    "views_over_time",
    "views_vs_age",
    "volume",
]
