"""Vega-Lite chart specs for the pages (plain dicts: no Altair schema validation per rerun)."""

from __future__ import annotations

import pandas as pd

from mineralmap.layers import COMMODITY_COLORS, COMMODITY_LABELS, hex_color
from mineralmap.schema import COMMODITY_GROUPS

_GROUPS = COMMODITY_GROUPS


def stacked_bars(table: pd.DataFrame, *, category: str, value: str = "occurrences",
                 sort_categories: bool = False) -> tuple[pd.DataFrame, dict]:
    """Long-form data and a Vega-Lite spec for a stacked bar chart of commodity-group counts.

    Parameters
    ----------
    table
        Counts with categories as index and the commodity groups ``Sb``, ``REE``, ``other`` as
        columns (e.g. :func:`mineralmap.summary.commodity_by_province`).
    category
        Axis title of the categories.
    value
        Axis title of the counts.
    sort_categories
        Keep the table's order (False) or sort the categories by name (True).

    Returns
    -------
    tuple[pandas.DataFrame, dict]
        ``(data, spec)`` for ``st.vega_lite_chart(data, spec)``.
    """
    cols = [g for g in _GROUPS if g in table.columns]
    long = (
        table[cols].rename_axis("category").reset_index()
        .melt(id_vars="category", var_name="group", value_name="count")
    )
    long["commodity"] = long["group"].map(COMMODITY_LABELS).fillna(long["group"])
    order = None if sort_categories else [str(c) for c in table.index]
    spec = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "category", "type": "nominal", "title": category, "sort": order,
                  "axis": {"labelAngle": -30}},
            "y": {"field": "count", "type": "quantitative", "title": value, "stack": "zero"},
            "color": {
                "field": "commodity", "type": "nominal", "title": None,
                "scale": {"domain": [COMMODITY_LABELS[g] for g in _GROUPS],
                          "range": [hex_color(COMMODITY_COLORS[g]) for g in _GROUPS]},
                "legend": {"orient": "bottom"},
            },
            "tooltip": [{"field": "category", "title": category},
                        {"field": "commodity"}, {"field": "count", "title": value}],
        },
    }
    return long, spec
