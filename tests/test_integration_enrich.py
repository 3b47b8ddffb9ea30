"""Integration: enrichment and road/rail networks on the real layers built from the mirror.

Reads the bulk layers from the project's layer cache as the ``real_cache`` fixture leaves it (built
from the mirror with :func:`mineralmap.ingest.build_cache`, or brought up to date: no work when it
is), then checks plausible network facts. The build itself is tested in test_integration_data.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from toy_world import skip_or_fail_in_ci

from mineralmap import catalog, curated, ingest, sources
from mineralmap import enrich as en
from mineralmap import network as nw
from mineralmap._geo import GEOD
from mineralmap.schema import PORT_HAUL_COLUMNS

#: One xdist worker runs this file (``--dist loadgroup``): the real layers are loaded, networked
#: and enriched once per run, not once on each worker.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration_enrich")]

NEEDED = ("provinces", "districts", "tehsils", "countries", "roads", "railways",
          "rail_stations", "airports", "towns")


@pytest.fixture(scope="module")
def real(request):
    mirror = sources.mirror_dir()
    if mirror is None or not (mirror / "transport" / "osm_roads_pakistan.geojson").is_file():
        skip_or_fail_in_ci("source mirror (../shared/sources or $MINERALMAP_SOURCES) not available")
    cache = request.getfixturevalue("real_cache")  # after the mirror check: built from it
    layers, missing = catalog.load_layers(cache)
    lacking = [n for n in NEEDED if n in missing]
    assert not lacking, f"layers not built: {lacking}: {ingest.read_manifest(cache)}"
    occ = curated.load_occurrences()
    nets = nw.build_networks(layers)

    return layers, occ, nets, en.enrich(occ, layers, networks=nets)


def test_every_seaport_on_largest_road_component(real):
    layers, _, nets, _ = real
    road = nets.road
    summary = road.components_summary()
    print(f"\nroad network: {summary}")  # reported with -s
    seaports = set(layers["ports"].query("kind == 'seaport'")["id"])
    assert seaports == {"karachi", "port_qasim", "gwadar"}
    assert set(road.port_node) == seaports
    assert all(summary["ports_on_largest"].values()), summary
    assert road.largest_component_share > 0.95
    # a port's road node is close to the port point (WPI harbour reference points)
    assert max(summary["port_snap_km"].values()) < 5


def test_haul_not_shorter_than_geodesic(real):
    layers, occ, _, out = real
    ports = layers["ports"].set_index("id").geometry
    m = out[out["mapped"]]
    assert m["haul_road_km"].notna().all()
    lon, lat = m.geometry.x.to_numpy(), m.geometry.y.to_numpy()
    for pid, col in PORT_HAUL_COLUMNS.items():
        p = ports[pid]
        straight = GEOD.inv(lon, lat, np.full(lon.size, p.x), np.full(lat.size, p.y))[2] / 1000
        # door to port: access leg + network haul >= straight line (0.1 km rounding slack)
        total = m[col].to_numpy() + m["access_km"].to_numpy()
        assert np.all(total >= straight - 0.15), (pid, np.min(total - straight))
        # the check, literally: the road haul alone (without the access leg) is not
        # shorter than the occurrence's geodesic distance to the same port. Not guaranteed by
        # geometry for a point far off the road, but holds on the bundled data.
        assert np.all(m[col].to_numpy() >= straight - 0.1), m.loc[
            m[col].to_numpy() < straight - 0.1, ["id", "access_km", col]]
        port_col = {"karachi": "port_karachi_km", "port_qasim": "port_qasim_km",
                    "gwadar": "port_gwadar_km"}[pid]
        assert (m[col] >= m[port_col]).all()
    # road detour factor is plausible (roads are not straight, but not absurdly long)
    ratio = m["haul_road_km"] / m[[f"port_{k}_km" for k in ("karachi", "qasim", "gwadar")]].min(
        axis=1)
    assert ratio.between(0.9, 3.0).all()


def test_real_enrichment_plausible(real):
    layers, occ, nets, out = real
    assert len(out) == len(occ) and list(out["id"]) == list(occ["id"])
    m = out[out["mapped"]]
    assert m["province_geo"].notna().mean() > 0.9
    assert set(m["port_nearest"].dropna()) <= {"Karachi", "Port Qasim", "Gwadar"}
    assert (m["road_km"] <= m["road_primary_km"]).all()
    assert m["border_afghanistan_km"].notna().all() and m["border_iran_km"].notna().all()
    rail = nets.rail
    s = rail.components_summary()
    print(f"\nrail network: {s}")
    assert set(rail.port_node) == {"karachi", "port_qasim"}  # Gwadar has no railway
    assert s["stations_reaching_port"] > 0.5 * s["stations_on_rail"]
    assert m["haul_rail_km"].notna().any()
    assert (m["haul_rail_km"].dropna() >= 0).all()
