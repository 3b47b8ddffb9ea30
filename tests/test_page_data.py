"""AppTest of the Data & sources page: on the toy world and one smoke test on the real data."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mineralmap import paging
from mineralmap.catalog import load_catalog
from mineralmap.schema import LAYER_COLUMNS, SEAPORT_IDS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _real_occurrences(cache: Path):
    return load_catalog(cache).occurrences


def _data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_data_page_lists_layers_and_unmapped(use_toy_world):
    cat = use_toy_world.catalog
    at = _data_page()
    layers = at.dataframe[0].value
    assert set(LAYER_COLUMNS) | {"occurrences"} <= set(layers["layer"])
    assert (layers["licence"].str.len() > 0).all()
    occ = cat.occurrences
    unmapped = at.dataframe[2].value
    expected = set(occ.loc[~occ["mapped"].astype(bool), "id"])
    assert expected and set(unmapped["id"]) == expected
    assert any(f"all {len(expected):,} rows" in b.proto.label for b in at.get("download_button"))
    networks = at.dataframe[3].value
    assert list(networks["network"]) == ["road", "rail"]
    # the toy roads meet at shared vertices: one component reaching every seaport
    road = networks.set_index("network").loc["road"]
    assert all(p in road["seaports on largest component"] for p in SEAPORT_IDS)
    assert float(road["share in largest component"]) == 1.0


def test_data_page_smoke_on_real_data(use_real_cache):
    at = _data_page()
    layers = at.dataframe[0].value
    assert {"provinces", "districts", "roads", "railways", "occurrences"} <= set(layers["layer"])
    assert (layers["licence"].str.len() > 0).all()
    occ = _real_occurrences(use_real_cache)
    n_unmapped = int((~occ["mapped"].astype(bool)).sum())
    if n_unmapped:  # unmapped rows: one page of them, or a message when there are none
        assert "id" in at.dataframe[2].value.columns
        assert len(at.dataframe[2].value) == min(n_unmapped, paging.PAGE_SIZE)
    else:
        assert any("Every occurrence has a coordinate" in i.value for i in at.info)
    networks = at.dataframe[-1].value
    assert list(networks["network"]) == ["road", "rail"]
    share = float(networks.set_index("network").loc["road", "share in largest component"])
    assert 0.0 < share <= 1.0
