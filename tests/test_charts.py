"""Vega-Lite specs built without Altair."""

from __future__ import annotations

import pandas as pd

from mineralmap import charts


def test_stacked_bars_long_form_and_spec():
    table = pd.DataFrame({"Sb": [2, 0], "REE": [1, 3], "other": [0, 5]},
                         index=pd.Index(["Balochistan", "Punjab"], name="province"))
    data, spec = charts.stacked_bars(table, category="province")
    assert len(data) == 6 and data["count"].sum() == table.to_numpy().sum()
    assert data["commodity"].nunique() == 3 and not data["commodity"].isin(["Sb", "REE"]).any()
    assert spec["encoding"]["x"]["sort"] == ["Balochistan", "Punjab"]
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert len(spec["encoding"]["color"]["scale"]["range"]) == 3


def test_stacked_bars_empty_table():
    data, spec = charts.stacked_bars(pd.DataFrame(columns=["Sb", "REE", "other"]), category="x")
    assert data.empty and spec["mark"]["type"] == "bar"
