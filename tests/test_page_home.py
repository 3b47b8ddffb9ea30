"""AppTest of the Overview page on the real (cached) data."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _run(use_real_cache) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.run()
    return at


def test_home_renders_counts_and_map(use_real_cache):
    at = _run(use_real_cache)
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Occurrences"]) >= 32
    assert int(metrics["Antimony (Sb)"]) == 21
    assert int(metrics["Rare earths (REE)"]) == 11
    assert int(metrics["Mapped"]) + int(metrics["Unmapped (no coordinate)"]) == int(metrics["Occurrences"])
    # the sentence above the results describes the (empty) filter
    assert any("occurrences" in m.value.lower() for m in at.markdown)
    # attributions of the layers are shown
    assert any("OpenStreetMap" in c.value for c in at.caption)


def test_sidebar_filter_changes_counts(use_real_cache):
    at = _run(use_real_cache)
    before = int({m.label: m.value for m in at.metric}["Occurrences"])
    at.multiselect(key="flt_commodities").set_value(["Sb"]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Occurrences"]) == 21 < before
    assert int(metrics["Rare earths (REE)"]) == 0
    assert any(m.value.startswith("#### 21 Sb") or "21 Sb" in m.value for m in at.markdown)
