"""Streamlit glue: the only part of mineralmap that imports streamlit."""

from __future__ import annotations

from pathlib import Path

from mineralmap.ui.shell import (
    attributions,
    current_filter,
    filtered_occurrences,
    legend,
    load_catalog_or_stop,
    missing_layers_banner,
    no_match_notice,
    param_notes,
    sentence_header,
    show_error,
    sidebar_filters,
)

#: The browser tab's icon, a file of ours: a ``:material/…:`` page icon is fetched from
#: fonts.gstatic.com, which fails offline (a console error on every page load).
FAVICON = str(Path(__file__).with_name("favicon.png"))

__all__ = [
    "FAVICON",
    "attributions",
    "current_filter",
    "filtered_occurrences",
    "legend",
    "load_catalog_or_stop",
    "missing_layers_banner",
    "no_match_notice",
    "param_notes",
    "sentence_header",
    "show_error",
    "sidebar_filters",
]
