"""commentary-trends: ingest commentary pages into DuckDB, tag them, and chart the trends."""

__version__ = "0.1.0"
