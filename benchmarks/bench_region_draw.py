"""Cost of drawing a box on the Region & export map (issue 14, item 8), against the preview map
without the drawing grid, measured in the same process.

Usage::

    .venv/bin/python benchmarks/bench_region_draw.py

``st.pydeck_chart`` selections report the objects clicked, never a coordinate, so a box would be
drawn on a faint pickable grid (:func:`mineralmap.regionform.draw_grid`, cells of
:data:`~mineralmap.regionform.DRAW_STEP_DEG` degrees touching Pakistan) by clicking two corner
cells. The grid is not in the app yet: in headless Chromium with software WebGL the click on a
cell never reached the app's selection (issue 14 item 8 stays open), so only its cost is
measured here. Printed: the grid's one-off build and serialisation time (cached per catalog), and
the bytes the browser receives per rerun with the grid against the preview map alone (baseline:
the same deck without the grid). The alternative measured for the report (a Leaflet map via
streamlit-folium with its Draw plugin) needs 12 CDN scripts/styles at run time; that is stated
in the report, not measured here.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pydeck as pdk

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mineralmap import layers, mapviews, picks, regionform, selection  # noqa: E402
from mineralmap.catalog import load_catalog  # noqa: E402
from mineralmap.config import get_settings  # noqa: E402
from mineralmap.filters import FilterSpec  # noqa: E402
from mineralmap.regions import RegionSpec  # noqa: E402
from mineralmap.viewport import fit_view  # noqa: E402


def _ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    cat = load_catalog(get_settings().cache_dir)
    outline = cat.layer("provinces").geometry.union_all()
    build_ms = _ms(lambda: regionform.draw_grid(within=outline), repeat=3)
    grid = regionform.draw_grid(within=outline)
    freeze_ms = _ms(lambda: layers.freeze(pdk.Layer(
        "PolygonLayer", data=grid, id=regionform.DRAW_LAYER, get_polygon="polygon",
        pickable=True)), repeat=3)
    grid_layer = layers.freeze(pdk.Layer("PolygonLayer", data=grid, id=regionform.DRAW_LAYER,
                                         get_polygon="polygon", pickable=True))
    spec, region = FilterSpec(), RegionSpec(provinces=("Balochistan",))
    sel = selection.select(cat.occurrences, cat.layers, spec, region)
    cand = picks.candidates(cat.occurrences, spec, sel.rows["id"])
    context = [layers.freeze(lyr) for lyr in layers.context_layers(cat.layers,
                                                                   mapviews.REGION_CONTEXT)]

    def deck(with_grid: bool) -> str:
        d = mapviews.region_deck(context, sel.region, sel.rows, cand, fit_view(sel.region))
        if with_grid:
            d.layers.insert(len(context) + 1, grid_layer)
        return d.to_json()

    base_ms, grid_ms = _ms(lambda: deck(False)), _ms(lambda: deck(True))
    base_kb, grid_kb = len(deck(False).encode()) / 1e3, len(deck(True).encode()) / 1e3
    print(f"drawing grid: {len(grid)} cells of {regionform.DRAW_STEP_DEG}°; built in "
          f"{build_ms:.0f} ms and serialised in {freeze_ms:.0f} ms once per catalog")
    print(f"region deck JSON per rerun: {base_kb:,.0f} KB without the grid, {grid_kb:,.0f} KB "
          f"with it (x{grid_kb / base_kb:.2f})")
    print(f"region deck to_json per rerun: {base_ms:.1f} ms without, {grid_ms:.1f} ms with "
          f"(x{grid_ms / base_ms:.2f})")


if __name__ == "__main__":
    main()
