"""Export-terminal scenario (:func:`mineralmap.scenario.compare_ports`) at 1k, 10k, 100k points.

Usage::

    .venv/bin/python benchmarks/bench_scenario.py [--quick] [--baseline-max N] [--json]

Synthetic occurrences (:mod:`benchmarks.synthetic`: uniform in the real provinces) are compared
over the real road network (built once) to the seaports and a candidate terminal at Ormara, as
the Market & logistics page does. Measured in the same process:

* ``mineralmap``: :func:`compare_ports` with routes (full routes for ``MAX_ROUTES`` occurrences,
  every occurrence's road route merged per terminal along the shortest-path trees) plus
  :func:`mineralmap.scenario.drawn_routes` (what the page draws), and without routes;
* ``baseline``: the previous algorithm, kept below as :func:`baseline_compare_ports`: one
  single-port network per terminal, a second (STRtree) locator, an own augmented Dijkstra for the
  candidate, and a route geometry per occurrence in a Python loop, then merged for drawing by
  :func:`mineralmap.scenario.merged_routes` (as the page did; both parts printed). With routes
  it is run once up to ``--baseline-max`` points (default 10,000; it takes minutes at 100k),
  without routes at every N.

Agreement: the same occurrences are routed, to the same terminal, with the same hauls (largest
absolute difference printed, km). ``--quick``: 1k and 10k points, one repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from shapely.geometry import LineString

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402
from mineralmap import network, scenario  # noqa: E402
from mineralmap._geo import geod_km, to_lonlat, to_metric  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
#: Candidate terminal (Ormara, on the Makran coast) and its name, as a user would enter it.
CANDIDATE = (64.64, 25.21)
CANDIDATE_NAME = "Ormara candidate"


# --------------------------------------------------------------------------------------------
# baseline: the algorithm before the routing refactor (issue 10/17), kept verbatim in substance


def _single_port(net, j):
    pid = str(net.ports["id"].iat[j])
    return replace(net, ports=net.ports.iloc[[j]].reset_index(drop=True),
                   port_node={pid: net.port_node[pid]}, port_leg_km=net.port_leg_km[[j]],
                   dist=net.dist[[j]], pred=net.pred[[j]])


class _Locator:
    """The second nearest-segment locator the old scenario module had (GEOS STRtree)."""

    def __init__(self, net) -> None:
        g = net.graph
        self.net = net
        comps = np.unique(g.comp[np.fromiter(net.port_node.values(), dtype=np.int64)])
        self.segs = np.flatnonzero(np.isin(g.comp[g.u], comps))
        a, b = g.u[self.segs], g.v[self.segs]
        self.tree = shapely.STRtree(shapely.linestrings(
            np.stack([np.column_stack([g.x[a], g.y[a]]), np.column_stack([g.x[b], g.y[b]])],
                     axis=1)))

    def locate(self, lon, lat):
        g = self.net.graph
        edge = np.full(lon.size, -1, dtype=np.int64)
        t, rlon, rlat = (np.full(lon.size, np.nan) for _ in range(3))
        ok = np.isfinite(lon) & np.isfinite(lat)
        px, py = to_metric(lon[ok], lat[ok])
        src, k = self.tree.query_nearest(shapely.points(px, py), all_matches=False)
        e = self.segs[k[np.argsort(src, kind="stable")]]
        ax, ay, bx, by = g.x[g.u[e]], g.y[g.u[e]], g.x[g.v[e]], g.y[g.v[e]]
        dx, dy = bx - ax, by - ay
        l2 = dx * dx + dy * dy
        tt = np.where(l2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > 0, l2, 1), 0.0)
        tt = np.clip(tt, 0.0, 1.0)
        qlon, qlat = to_lonlat(ax + tt * dx, ay + tt * dy)
        edge[ok], t[ok], rlon[ok], rlat[ok] = e, tt, qlon, qlat
        return edge, t, rlon, rlat


@dataclass
class _Term:
    net: object
    edge: int
    t: float
    road_lon: float
    road_lat: float
    access_km: float

    def haul(self, loc, lon, lat):
        h = np.array(self.net.haul(lon, lat)["haul_road_km"], dtype=float)
        same = loc[0] == self.edge
        if same.any():
            w = float(self.net.graph.w[self.edge])
            h[same] = np.fmin(h[same], np.abs(loc[1][same] - self.t) * w + self.access_km)
        return h

    def route(self, lon, lat, road_lon, road_lat, edge, t):
        if edge == self.edge:
            w = float(self.net.graph.w[self.edge])
            via = self.net.haul(np.array([lon]), np.array([lat]))["haul_road_km"].iat[0]
            if not np.isfinite(via) or abs(t - self.t) * w + self.access_km <= via:
                return LineString([(lon, lat), (road_lon, road_lat),
                                   (self.road_lon, self.road_lat),
                                   (float(self.net.ports["lon"].iat[0]),
                                    float(self.net.ports["lat"].iat[0]))])
        line = self.net.route(lon, lat, str(self.net.ports["id"].iat[0]))
        if line is None:
            return None
        xy = shapely.get_coordinates(line)
        rp = np.array([self.road_lon, self.road_lat])
        if len(xy) >= 2 and not (xy[-2] == rp).all() and not (xy[-1] == rp).all():
            xy = np.insert(xy, len(xy) - 1, rp, axis=0)
        return shapely.linestrings(xy)


def _locate_terminal(loc, lon, lat, tid, name):
    net = loc.net
    g = net.graph
    edge, tt, rlon, rlat = loc.locate(np.array([lon]), np.array([lat]))
    e, t = int(edge[0]), float(tt[0])
    u, v = int(g.u[e]), int(g.v[e])
    access = float(geod_km(lon, lat, rlon[0], rlat[0])[()])
    n = g.n_nodes
    coo = g.csr.tocoo()
    w = float(g.w[e])
    wu, wv = max(t * w, 1e-9), max((1.0 - t) * w, 1e-9)
    aug = sparse.csr_matrix((np.concatenate([coo.data, [wu, wu, wv, wv]]),
                             (np.concatenate([coo.row, [n, u, n, v]]),
                              np.concatenate([coo.col, [u, n, v, n]]))), shape=(n + 1, n + 1))
    dist, pred = csgraph.dijkstra(aug, directed=False, indices=n, return_predecessors=True)
    pred = pred[:n].copy()
    pred[pred == n] = -9999
    sub = replace(net, ports=pd.DataFrame({"id": [tid], "name": [name], "lon": [lon],
                                           "lat": [lat]}),
                  port_node={tid: u}, port_leg_km=np.array([access]), dist=dist[:n][None, :],
                  pred=pred[None, :])
    return _Term(sub, e, t, float(rlon[0]), float(rlat[0]), access)


def baseline_compare_ports(occ, net, candidate, candidate_name, with_routes=True):  # noqa: C901
    """The old compare_ports (every seaport, optional candidate, no weights): per_occurrence
    and one route per routed occurrence (None without routes)."""
    rows = list(range(len(net.ports)))
    names = [str(net.ports["name"].iat[j]) for j in rows]
    tids = [str(net.ports["id"].iat[j]) for j in rows]
    term_nets = [_single_port(net, j) for j in rows]
    cand_term = None
    if candidate is not None:
        locator = _Locator(net)
        cand_term = _locate_terminal(locator, candidate[0], candidate[1], "candidate",
                                     candidate_name)
        names.append(candidate_name)
        tids.append("candidate")
    lon = occ["lon"].to_numpy(dtype=float)
    lat = occ["lat"].to_numpy(dtype=float)
    m, k = lon.size, len(tids)
    hauls = np.full((k, m), np.nan)
    access = np.full(m, np.nan)
    for i, tn in enumerate(term_nets):
        h = tn.haul(lon, lat)
        hauls[i] = h["haul_road_km"].to_numpy(dtype=float)
        access = np.where(np.isnan(access), h["access_km"].to_numpy(dtype=float), access)
    loc = None
    if cand_term is not None:
        loc = locator.locate(lon, lat)
        hauls[-1] = cand_term.haul(loc, lon, lat)
        access = np.where(np.isnan(access) & (loc[0] >= 0), geod_km(lon, lat, loc[2], loc[3]),
                          access)
    keep = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(hauls).any(axis=0)
    best = np.argmin(np.where(np.isfinite(hauls), hauls, np.inf), axis=0)
    idx = np.flatnonzero(keep)
    bsel = best[idx]
    per_occ = pd.DataFrame({
        "id": occ["id"].astype(str).to_numpy()[idx], "lon": lon[idx], "lat": lat[idx],
        "port_id": np.asarray(tids, dtype=object)[bsel],
        "port": np.asarray(names, dtype=object)[bsel],
        "haul_km": hauls[bsel, idx], "access_km": access[idx],
    })
    for i, tid in enumerate(tids):
        per_occ[f"haul_{tid}_km"] = hauls[i, idx]
    if not with_routes:
        return per_occ, None
    routes = []
    for j, r in zip(idx, per_occ.itertuples(index=False), strict=True):
        if cand_term is not None and r.port_id == "candidate":
            line = cand_term.route(r.lon, r.lat, loc[2][j], loc[3][j], int(loc[0][j]),
                                   float(loc[1][j]))
        else:
            line = term_nets[tids.index(r.port_id)].route(r.lon, r.lat, r.port_id)
        if line is not None:
            routes.append((r.port, line))
    return per_occ, routes


# --------------------------------------------------------------------------------------------
# measurement


def _best(fn, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _occurrences(n: int) -> pd.DataFrame:
    occ = synthetic.occurrences(n)
    return pd.DataFrame(occ.drop(columns=occ.geometry.name))


def _agreement(new: pd.DataFrame, old: pd.DataFrame) -> dict:
    a, b = new.set_index("id"), old.set_index("id")
    same_rows = set(a.index) == set(b.index)
    b = b.reindex(a.index)
    cols = [c for c in b.columns if c.startswith("haul_") or c == "access_km"]
    diff = {c: float(np.nanmax(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float)), initial=0))
            for c in cols}
    return {"same_rows": same_rows,
            "same_terminal_share": float((a["port_id"] == b["port_id"]).mean()) if len(a) else 1.0,
            "max_abs_km": max(diff.values(), default=0.0), "max_abs_km_by_column": diff}


def run(quick: bool = False, baseline_max: int = 10_000) -> dict:
    """Measure; return a dict of seconds, ratios and agreement per N."""
    layers = synthetic.context_layers()
    res: dict = {"load_avg_before": os.getloadavg()[0], "sizes": {}}
    t0 = time.perf_counter()
    net = network.build_road_network(layers["roads"], layers["ports"])
    res["network_build_s"] = time.perf_counter() - t0
    ports = layers["ports"]
    rep = 1 if quick else 3
    for n in (QUICK_SIZES if quick else SIZES):
        occ = _occurrences(n)

        def new(routes: bool, occ=occ):
            r = scenario.compare_ports(occ, net, ports, CANDIDATE, CANDIDATE_NAME,
                                       with_routes=routes)
            return r, (scenario.drawn_routes(r) if routes else None)

        t_new, (r_new, drawn) = _best(lambda: new(True), rep)
        t_new_nr, _ = _best(lambda: new(False), rep)
        t_old_nr, (old_occ, _) = _best(lambda occ=occ: baseline_compare_ports(
            occ, net, CANDIDATE, CANDIDATE_NAME, with_routes=False), rep)
        row = {"mineralmap_s": t_new, "mineralmap_no_routes_s": t_new_nr,
               "baseline_no_routes_s": t_old_nr,
               "ratio_no_routes": t_old_nr / t_new_nr,
               "drawn_vertices": int(sum(shapely.get_num_coordinates(g) for _, g in drawn)),
               "full_routes": len(r_new.routes),
               "agreement": _agreement(r_new.per_occurrence, old_occ)}
        if n <= baseline_max:
            t_old, (_, old_routes) = _best(lambda occ=occ: baseline_compare_ports(
                occ, net, CANDIDATE, CANDIDATE_NAME), 1)
            t_merge, old_drawn = _best(lambda r=old_routes: scenario.merged_routes(r), 1)
            row["baseline_compare_s"] = t_old
            row["baseline_merge_s"] = t_merge
            row["baseline_s"] = t_old + t_merge
            row["ratio"] = row["baseline_s"] / t_new
            row["ratio_compare_only"] = t_old / t_new
            row["baseline_drawn_vertices"] = int(sum(shapely.get_num_coordinates(g)
                                                     for _, g in old_drawn))
        res["sizes"][n] = row
    res["load_avg_after"] = os.getloadavg()[0]
    return res


def print_result(res: dict) -> None:
    """Print :func:`run`'s numbers as a table."""
    print(f"1-min load average before / after: {res['load_avg_before']:.1f} / "
          f"{res['load_avg_after']:.1f} on {os.cpu_count()} cores (shared machine); road "
          f"network build {res['network_build_s']:.1f} s (once, not in the figures)")
    print("compare_ports, seaports + candidate terminal; seconds (best of 3 unless --quick; "
          "baseline with routes: one run)")
    head = (f"{'N':>8} {'new s':>8} {'old s':>9} {'ratio':>8} {'new no-rt s':>12} "
            f"{'old no-rt s':>12} {'ratio':>7} {'same port':>10} {'max |dkm|':>10} "
            f"{'drawn vtx new/old':>18}")
    print(head)
    print("-" * len(head))
    for n, r in res["sizes"].items():
        old = f"{r['baseline_s']:9.2f}" if "baseline_s" in r else f"{'n/a':>9}"
        ratio = f"{r['ratio']:7.1f}x" if "ratio" in r else f"{'':>8}"
        vtx = f"{r['drawn_vertices']:,}/" + (f"{r['baseline_drawn_vertices']:,}"
                                             if "baseline_drawn_vertices" in r else "n/a")
        ag = r["agreement"]
        print(f"{n:>8,} {r['mineralmap_s']:8.3f} {old} {ratio} {r['mineralmap_no_routes_s']:12.3f} "
              f"{r['baseline_no_routes_s']:12.3f} {r['ratio_no_routes']:6.1f}x "
              f"{ag['same_terminal_share']:10.4f} {ag['max_abs_km']:10.2e} {vtx:>18}")
        if "baseline_s" in r:
            print(f"{'':>8} old = compare_ports with a route per occurrence "
                  f"{r['baseline_compare_s']:.2f} s + merged_routes {r['baseline_merge_s']:.2f} s"
                  f"; new vs old compare_ports alone: {r['ratio_compare_only']:.1f}x")
        if not ag["same_rows"]:
            print("         (routed occurrences differ from the baseline)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k and 10k points, one repeat")
    ap.add_argument("--baseline-max", type=int, default=10_000,
                    help="largest N at which the old algorithm runs with routes (default 10000)")
    ap.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = ap.parse_args(argv)
    res = run(args.quick, args.baseline_max)
    print_result(res)
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
