"""The dashboard's Streamlit pieces, one job per module; pages import the modules they use.

- `state`: PageState, the URL's state (Filter, ViewState) and what the session remembers, as one object
- `lifecycle`: the app shell (`configure`, `serve`, the last-resort handler) and every page's first and
  last steps (`page_setup`, `require_articles`, `end_page`, `stop`)
- `bootstrap`: the first start without a database (the demo build in a child process, with progress)
- `data`: the database summary, selector options, the schema check (read-only)
- `sidebar`: the URL-bound filter widgets
- `chart`: any figure with its CSV download, and a click that drills down
- `sections`: tabs for a page's lower half, the open one in the link
- `drill`: pickers, the articles behind a clicked point, article rows
- `article`: one article in full, its tags' mentions highlighted
- `share`: the "share this view" box
- `preload`: the early import of Plotly's browser module, so the first chart does not wait for its download
- `later`: on a browser's first view, the rest of the page is sent once the first chart is drawn
- `notices`: empty states, one-line notices, the synthetic-data banner
- `text`: escaping and formatting (no Streamlit)
"""
