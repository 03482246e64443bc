"""Session-state keys, spelled once, and their first values.

Only small values live here: ids, choices, the last import's summary. Data
comes from ``admin_app.data`` (cached per store), connections from ``tenancy``.
"""

import streamlit as st

VIEWER = "viewer"
"""Who this run is for (``auth.Viewer``), set by the entry script every run."""
STORE_ID = "store_id"
"""The store chosen in the sidebar; checked against the session every run."""
FLASH = "flash"
"""Messages a callback leaves for the next run: a list of (kind, text)."""
IMPORT_REPORT = "import_report"
"""Summary of the last import check or run, to show until the next one."""
COUNT_DIFFERENCES = "count_differences"
"""Differences of the stock count being checked, before it is applied."""
DESCRIBE_JOB = "describe_job"
"""The bulk description job the owner last started, to follow its progress."""
LAST_PAGE = "last_page"
"""The page last counted as a view, so reruns of it are not counted again."""
PRODUCTS_EDITOR = "products_editor"
COUNT_EDITOR = "count_editor"

_DEFAULTS = {
    VIEWER: None,
    STORE_ID: None,
    FLASH: [],
    IMPORT_REPORT: None,
    COUNT_DIFFERENCES: None,
    DESCRIBE_JOB: None,
}


def init():
    """Give every key its first value, once per browser session."""
    for key, value in _DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = list(value) if isinstance(value, list) else value


def viewer():
    return st.session_state.get(VIEWER)
