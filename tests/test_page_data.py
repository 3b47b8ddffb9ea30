"""AppTest of the Data & sources page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def test_data_page_lists_layers_and_unmapped(use_real_cache):
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    layers = at.dataframe[0].value
    assert {"provinces", "districts", "roads", "railways", "occurrences"} <= set(layers["layer"])
    assert (layers["licence"].str.len() > 0).all()
    unmapped = at.dataframe[2].value
    assert {"REE-026", "Sb-032"} <= set(unmapped["id"])
    networks = at.dataframe[3].value
    assert list(networks["network"]) == ["road", "rail"]
    road = networks.set_index("network").loc["road"]
    assert "gwadar" in road["seaports on largest component"]
    assert 0.9 < float(road["share in largest component"]) <= 1.0
