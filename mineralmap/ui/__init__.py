"""Streamlit glue: the only part of mineralmap that imports streamlit."""

from __future__ import annotations

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

__all__ = [
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
