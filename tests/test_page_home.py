"""AppTest of the Overview page: on the toy world (counts computed from its catalog) and one smoke
test on the real data (structure only: the data decides the numbers)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LABELS = ["Occurrences", "Antimony (Sb)", "Rare earths (REE)", "Mapped",
          "Unmapped (no coordinate)"]


def _run() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def test_home_renders_counts_and_map(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    at = _run()
    metrics = _metrics(at)
    assert list(metrics) == LABELS
    assert metrics["Occurrences"] == len(occ)
    assert metrics["Antimony (Sb)"] == int((occ["commodity_group"] == "Sb").sum())
    assert metrics["Rare earths (REE)"] == int((occ["commodity_group"] == "REE").sum())
    assert metrics["Mapped"] == int(occ["mapped"].sum())
    assert metrics["Unmapped (no coordinate)"] == int((~occ["mapped"].astype(bool)).sum()) > 0
    assert any(f"{metrics['Unmapped (no coordinate)']} occurrence(s) have no published coordinate"
               in c.value for c in at.caption)
    # the sentence above the results describes the (empty) filter
    assert any(m.value.startswith("#### ") and "occurrences" in m.value.lower() for m in at.markdown)
    # one map, and the province x commodity table covers every province of the toy world
    assert len(at.get("deck_gl_json_chart")) == 1
    by_province = at.dataframe[0].value
    assert set(occ["province_geo"].dropna()) <= set(by_province.index.astype(str))
    # attributions of the layers are shown
    assert any("OpenStreetMap" in c.value for c in at.caption)


def test_sidebar_filter_changes_counts(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    n_sb = int((occ["commodity_group"] == "Sb").sum())
    at = _run()
    before = _metrics(at)["Occurrences"]
    at.multiselect(key="flt_commodities").set_value(["Sb"]).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = _metrics(at)
    assert metrics["Occurrences"] == metrics["Antimony (Sb)"] == n_sb < before
    assert metrics["Rare earths (REE)"] == 0
    assert any(m.value.startswith("#### ") and f"{n_sb} Sb" in m.value for m in at.markdown)


def test_home_smoke_on_real_data(use_real_cache):
    at = _run()
    metrics = _metrics(at)
    assert list(metrics) == LABELS
    assert metrics["Occurrences"] > 0
    assert metrics["Mapped"] + metrics["Unmapped (no coordinate)"] == metrics["Occurrences"]
    assert metrics["Antimony (Sb)"] + metrics["Rare earths (REE)"] <= metrics["Occurrences"]
    assert len(at.get("deck_gl_json_chart")) == 1
    assert any("OpenStreetMap" in c.value for c in at.caption)


def test_overview_notes_ignored_link_parameters_and_removes_them(use_toy_world):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["bogus"] = "1"
    at.query_params["province"] = "Atlantis"
    at.query_params["commodity"] = "Sb"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info)
    assert "Some link parameters were ignored" in notes
    assert "bogus" in notes and "Atlantis" in notes
    assert dict(at.query_params) == {"commodity": "Sb"} or set(at.query_params) == {"commodity"}


def test_app_sets_the_project_pandas_options(use_toy_world):
    """app.py calls config.configure_pandas() (the CLI and the tests do too)."""
    import pandas as pd

    with pd.option_context("mode.string_storage", "pyarrow"):
        _run()
        assert pd.get_option("mode.string_storage") == "python"

