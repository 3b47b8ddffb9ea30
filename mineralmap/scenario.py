"""Export-terminal scenario and traceability indicators.

Port comparison
---------------
:func:`compare_ports` routes every mapped occurrence over the road graph of
:mod:`mineralmap.network` to each seaport (Karachi, Port Qasim, Gwadar) and, optionally, to a
user-entered *candidate terminal* on the coast, and assigns each occurrence to the terminal it
reaches by the shortest road haul.

* Road haul to a terminal is exactly :meth:`RoadNetwork.haul`'s ``haul_road_km``: network
  distance from the road point nearest the occurrence to the terminal's road point, plus the
  straight geodesic leg from that road point to the terminal. The occurrence's own access leg
  (``access_km``, occurrence to the nearest road) is reported per occurrence but not included in
  the totals: it is the same whichever terminal is chosen.
* A candidate terminal is snapped onto the nearest road segment of a component that reaches a
  seaport (a virtual node splits that segment) and one extra Dijkstra search runs from it. The
  straight geodesic leg from the candidate to that road point (its *access leg*) is added to
  every haul to the candidate and reported in the notes. Known simplification: an occurrence
  whose nearest road point lies on the very segment the candidate snapped to is routed via a
  segment end (over-estimate of at most that segment's length).
* The candidate must lie inside :data:`COASTAL_BAND`, a lon/lat box around Pakistan's coast
  (Jiwani/Gwadar bay in the west to Sir Creek in the east, from the Indus delta mouths at about
  23.5 N to about 25.9 N, roughly 100 km inland from the coast). The box is a plausibility
  check, not a coastline: a point in the sea or a few tens of km inland passes. The access-leg
  note tells the user how far from the road network the point is.
* Weights (for example ``ore_tonnage_t``) turn the haul into tonne-kilometres. Rows without a
  weight are left out of the weighted totals and counted in the notes; they still count for
  the occurrence counts and km totals.

Traceability
------------
:func:`traceability` lists antimony occurrences with their distance to the Afghan border and to
the nearest border crossing, and flags ``crossing_closer_than_port`` when the straight-line
distance to the nearest crossing (``crossing_km``) is smaller than the road haul to the nearest
seaport (``haul_road_km``). A straight line is never longer than a road, so this flag leans
towards flagging. When a road network and the crossings layer are given, the road distance to
the nearest crossing is computed as well (``crossing_road_km``, by default to crossings into Afghanistan) and a like-for-like flag
``crossing_closer_by_road`` is added. Both are *geographic indicators* of where cross-border
flows would be cheap, not evidence that any ore crosses the border.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy import sparse
from scipy.sparse import csgraph
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from mineralmap.errors import MineralmapError
from mineralmap.network import RoadNetwork, geod_km, to_lonlat, to_metric

#: (lon_min, lat_min, lon_max, lat_max) a candidate terminal must fall in (see module doc).
COASTAL_BAND: tuple[float, float, float, float] = (61.5, 23.5, 68.8, 25.9)
#: Terminal id used for the candidate in column names (``haul_candidate_km``).
CANDIDATE_ID = "candidate"
#: An access leg shorter than this (km) counts as "on the road network".
ON_NETWORK_KM = 0.1

PER_PORT_COLUMNS: tuple[str, ...] = (
    "port_id",
    "port",
    "candidate",
    "lon",
    "lat",
    "occurrences",
    "total_haul_km",
    "median_haul_km",
    "weighted_occurrences",
    "weight_total_t",
    "weighted_t_km",
)

TRACE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "province",
    "district",
    "border_afghanistan_km",
    "crossing_nearest",
    "crossing_km",
    "haul_road_port",
    "haul_road_km",
    "crossing_closer_than_port",
)
TRACE_ROAD_COLUMNS: tuple[str, ...] = (
    "crossing_road_nearest",
    "crossing_road_km",
    "crossing_closer_by_road",
)


class ScenarioError(MineralmapError):
    """A scenario input (candidate site, weight column, port selection) cannot be used."""


@dataclass
class ScenarioResult:
    """Outcome of :func:`compare_ports`.

    Attributes
    ----------
    per_occurrence : pandas.DataFrame
        One row per routed occurrence: ``id, name, lon, lat, port_id, port, haul_km,
        access_km``, one ``haul_<terminal id>_km`` column per terminal, and ``weight`` (NaN
        when no weights were asked for or the row has none).
    per_port : pandas.DataFrame
        One row per terminal (:data:`PER_PORT_COLUMNS`), zero counts kept.
    notes : list[str]
        Plain-language caveats (candidate access leg, rows left out and why).
    routes : list[tuple[str, shapely.geometry.LineString]]
        (terminal name, route) for each routed occurrence, for drawing.
    terminals : pandas.DataFrame
        ``port_id, port, lon, lat, candidate`` of the terminals compared.
    candidate_access_km : float or None
        Length of the candidate's straight access leg to the road network.
    """

    per_occurrence: pd.DataFrame
    per_port: pd.DataFrame
    notes: list[str]
    routes: list[tuple[str, LineString]] = field(default_factory=list)
    terminals: pd.DataFrame = field(default_factory=pd.DataFrame)
    candidate_access_km: float | None = None


# --------------------------------------------------------------------------------------------
# validation


#: A candidate terminal must lie within this geodesic distance (km) of Pakistan's coastline.
MAX_COAST_KM = 15.0


def coastline(countries: gpd.GeoDataFrame,
              bounds: tuple[float, float, float, float] = COASTAL_BAND) -> BaseGeometry | None:
    """Pakistan's sea coast: its country boundary minus the land borders with its neighbours.

    Parameters
    ----------
    countries
        The ``countries`` layer (``iso3``: PAK and neighbours), EPSG:4326.
    bounds
        Box the coast is looked for in (excludes boundary stretches with units the layer does
        not hold, e.g. in Kashmir).

    Returns
    -------
    shapely geometry or None
        Lines along the coast (None when Pakistan is not in the layer).
    """
    if countries is None or countries.empty or "iso3" not in countries:
        return None
    pak = countries.loc[countries["iso3"] == "PAK", "geometry"]
    if pak.empty:
        return None
    others = countries.loc[countries["iso3"] != "PAK", "geometry"]
    line = shapely.union_all(pak.boundary.to_numpy())
    if len(others):
        line = line.difference(shapely.union_all(others.to_numpy()).buffer(0.02))
    return line.intersection(shapely.box(*bounds))


def coast_distance_km(lon: float, lat: float, coast: BaseGeometry) -> float:
    """Geodesic distance (km) from a point to the nearest point of ``coast``."""
    near = shapely.ops.nearest_points(coast, shapely.Point(lon, lat))[0]
    return float(geod_km(np.array([lon]), np.array([lat]), np.array([near.x]), np.array([near.y]))[0])


def validate_candidate(
    candidate: tuple[float, float], bounds: tuple[float, float, float, float] = COASTAL_BAND,
    coast: BaseGeometry | None = None, max_coast_km: float = MAX_COAST_KM,
) -> tuple[float, float]:
    """Check a candidate terminal ``(lon, lat)``; return it as floats.

    Parameters
    ----------
    candidate
        ``(lon, lat)`` in degrees.
    bounds
        Plausibility box (lon_min, lat_min, lon_max, lat_max).
    coast
        Pakistan's coastline (:func:`coastline`); when given, the candidate must lie within
        ``max_coast_km`` of it (a terminal is on the coast, not inland or far out at sea).
    max_coast_km
        Largest accepted distance to the coastline, km.

    Raises
    ------
    ScenarioError
        Not two finite numbers, outside ``bounds``, or farther than ``max_coast_km`` from the
        coast.
    """
    try:
        lon, lat = (float(candidate[0]), float(candidate[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise ScenarioError(
            f"candidate terminal must be (longitude, latitude) in degrees, got {candidate!r}"
        ) from exc
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise ScenarioError(f"candidate terminal has no valid coordinate: ({lon}, {lat})")
    x0, y0, x1, y1 = bounds
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        raise ScenarioError(
            f"candidate terminal ({lon:.4f} E, {lat:.4f} N) is outside Pakistan's coastal band "
            f"(longitude {x0}–{x1} E, latitude {y0}–{y1} N); enter a site on the coast"
        )
    if coast is not None and not coast.is_empty:
        d = coast_distance_km(lon, lat, coast)
        if d > max_coast_km:
            raise ScenarioError(
                f"candidate terminal ({lon:.4f} E, {lat:.4f} N) is {d:.0f} km from Pakistan's "
                f"coastline; a terminal must be within {max_coast_km:.0f} km of the coast"
            )
    return lon, lat


# --------------------------------------------------------------------------------------------
# terminal networks


def _single_port(net: RoadNetwork, j: int) -> RoadNetwork:
    """The network restricted to seaport row ``j`` (haul/route then refer to that port only)."""
    pid = str(net.ports["id"].iat[j])
    return replace(
        net,
        ports=net.ports.iloc[[j]].reset_index(drop=True),
        port_node={pid: net.port_node[pid]},
        port_leg_km=net.port_leg_km[[j]],
        dist=net.dist[[j]],
        pred=net.pred[[j]],
    )


def _reachable_segments(net: RoadNetwork) -> np.ndarray:
    g = net.graph
    if not net.port_node or g.u.size == 0:
        return np.empty(0, dtype=np.int64)
    comps = np.unique(g.comp[np.fromiter(net.port_node.values(), dtype=np.int64)])
    return np.flatnonzero(np.isin(g.comp[g.u], comps))


class _Locator:
    """Nearest road segment (of a component reaching a seaport) for lon/lat points."""

    def __init__(self, net: RoadNetwork) -> None:
        g = net.graph
        self.net = net
        self.segs = _reachable_segments(net)
        if self.segs.size == 0:
            raise ScenarioError("the road network has no road connected to a seaport; "
                                "cannot route to this point")
        a, b = g.u[self.segs], g.v[self.segs]
        self.tree = shapely.STRtree(shapely.linestrings(
            np.stack([np.column_stack([g.x[a], g.y[a]]), np.column_stack([g.x[b], g.y[b]])],
                     axis=1)
        ))

    def locate(self, lon: np.ndarray, lat: np.ndarray):
        """Edge index (-1 when unmapped), fraction ``t`` from ``u``, road-point lon/lat."""
        g = self.net.graph
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        edge = np.full(lon.size, -1, dtype=np.int64)
        t = np.full(lon.size, np.nan)
        rlon = np.full(lon.size, np.nan)
        rlat = np.full(lon.size, np.nan)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return edge, t, rlon, rlat
        px, py = to_metric(lon[ok], lat[ok])
        src, k = self.tree.query_nearest(shapely.points(px, py), all_matches=False)
        k = k[np.argsort(src, kind="stable")]
        e = self.segs[k]
        ax, ay, bx, by = g.x[g.u[e]], g.y[g.u[e]], g.x[g.v[e]], g.y[g.v[e]]
        dx, dy = bx - ax, by - ay
        L2 = dx * dx + dy * dy
        tt = np.where(L2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(L2 > 0, L2, 1), 0.0)
        tt = np.clip(tt, 0.0, 1.0)
        qlon, qlat = to_lonlat(ax + tt * dx, ay + tt * dy)
        edge[ok], t[ok], rlon[ok], rlat[ok] = e, tt, qlon, qlat
        return edge, t, rlon, rlat


@dataclass
class _Terminal:
    net: RoadNetwork  # single-port network routing to this terminal
    edge: int
    t: float
    road_lon: float
    road_lat: float
    access_km: float

    def haul(self, loc: tuple[np.ndarray, ...], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Road haul (km) from points to this terminal; ``loc`` = ``_Locator.locate(lon, lat)``.

        Points located on the terminal's own segment are routed along it directly.
        """
        h = np.array(self.net.haul(lon, lat)["haul_road_km"], dtype=float)  # writable copy
        edge, t = loc[0], loc[1]
        same = edge == self.edge
        if same.any():
            w = float(self.net.graph.w[self.edge])
            direct = np.abs(t[same] - self.t) * w + self.access_km
            h[same] = np.fmin(h[same], direct)
        return h

    def route(self, lon: float, lat: float, road_lon: float, road_lat: float, edge: int,
              t: float) -> LineString | None:
        """Route geometry from a point (with its located road point) to this terminal."""
        if edge == self.edge:
            w = float(self.net.graph.w[self.edge])
            via = self.net.haul(np.array([lon]), np.array([lat]))["haul_road_km"].iat[0]
            if not np.isfinite(via) or abs(t - self.t) * w + self.access_km <= via:
                return LineString(_dedup([(lon, lat), (road_lon, road_lat),
                                          (self.road_lon, self.road_lat),
                                          (float(self.net.ports["lon"].iat[0]),
                                           float(self.net.ports["lat"].iat[0]))]))
        line = self.net.route(lon, lat, str(self.net.ports["id"].iat[0]))
        if line is None:
            return None
        xy = shapely.get_coordinates(line)
        rp = np.array([self.road_lon, self.road_lat])
        if len(xy) >= 2 and not (xy[-2] == rp).all() and not (xy[-1] == rp).all():
            xy = np.insert(xy, len(xy) - 1, rp, axis=0)
        return shapely.linestrings(xy)


def _dedup(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [coords[0]]
    for c in coords[1:]:
        if c != out[-1]:
            out.append(c)
    if len(out) < 2:
        out.append(out[0])
    return out


def terminal_network(
    net: RoadNetwork, lon: float, lat: float, terminal_id: str, name: str
) -> tuple[RoadNetwork, float, tuple[float, float]]:
    """A single-terminal :class:`RoadNetwork` routing to an arbitrary point.

    The point is snapped onto the nearest segment of a road component that reaches a seaport;
    a virtual node splits that segment and one Dijkstra search runs from it.

    Returns
    -------
    (RoadNetwork, float, (float, float))
        The network (its ``haul``/``route`` refer to the point), the straight geodesic access
        leg from the point to the road (km), and the road point (lon, lat).

    Raises
    ------
    ScenarioError
        When the network has no segment reachable from a seaport.
    """
    t_ = _locate_terminal(_Locator(net), lon, lat, terminal_id, name)
    return t_.net, t_.access_km, (t_.road_lon, t_.road_lat)


def _locate_terminal(
    loc: _Locator, lon: float, lat: float, terminal_id: str, name: str
) -> _Terminal:
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
    rows = np.concatenate([coo.row, [n, u, n, v]])
    cols = np.concatenate([coo.col, [u, n, v, n]])
    vals = np.concatenate([coo.data, [wu, wu, wv, wv]])
    aug = sparse.csr_matrix((vals, (rows, cols)), shape=(n + 1, n + 1))
    dist, pred = csgraph.dijkstra(aug, directed=False, indices=n, return_predecessors=True)
    pred = pred[:n].copy()
    pred[pred == n] = -9999  # the virtual root: paths end at u or v
    sub = replace(
        net,
        ports=pd.DataFrame({"id": [terminal_id], "name": [name], "lon": [lon], "lat": [lat]}),
        port_node={terminal_id: u},
        port_leg_km=np.array([access]),
        dist=dist[:n][None, :],
        pred=pred[None, :],
    )
    return _Terminal(sub, e, t, float(rlon[0]), float(rlat[0]), access)


# --------------------------------------------------------------------------------------------
# comparison


def _seaport_rows(net: RoadNetwork, ports: pd.DataFrame | None) -> list[int]:
    ids = [str(i) for i in net.ports["id"]]
    if ports is None:
        return list(range(len(ids)))
    if "id" not in ports.columns:
        raise ScenarioError(f"ports table has no 'id' column (has {list(ports.columns)})")
    p = ports
    if "kind" in p.columns:
        p = p[p["kind"].astype(str) == "seaport"]
    wanted = set(p["id"].astype(str))
    return [j for j, pid in enumerate(ids) if pid in wanted]


def _list(ids: pd.Series, limit: int = 8) -> str:
    vals = [str(v) for v in ids]
    more = f" and {len(vals) - limit} more" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def compare_ports(
    occ: pd.DataFrame,
    net: RoadNetwork,
    ports: pd.DataFrame | None,
    candidate: tuple[float, float] | None,
    candidate_name: str = "Candidate terminal",
    weights: str | None = None,
    *,
    bounds: tuple[float, float, float, float] = COASTAL_BAND,
    with_routes: bool = True,
) -> ScenarioResult:
    """Compare seaports (and an optional candidate terminal) by road haul from occurrences.

    Parameters
    ----------
    occ : pandas.DataFrame
        Occurrences with ``id``, ``name``, ``lon``, ``lat`` (NaN = unmapped), typically the
        currently filtered rows.
    net : RoadNetwork
        Road network from :func:`mineralmap.network.build_road_network`.
    ports : pandas.DataFrame or None
        Ports layer (``id``, optional ``kind``): seaports of ``net`` listed here (kind
        ``seaport``) are compared. None compares every seaport of ``net``.
    candidate : (float, float) or None
        Candidate terminal (lon, lat); must fall in ``bounds``.
    candidate_name : str
        Label of the candidate.
    weights : str or None
        Column of ``occ`` holding a tonnage (t) per occurrence, e.g. ``ore_tonnage_t``; turns
        km totals into t·km. Rows without a value are left out of the weighted totals.
    bounds : tuple of 4 floats
        Box the candidate must fall in, default :data:`COASTAL_BAND`.
    with_routes : bool
        Build route geometries (one per routed occurrence).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ScenarioError
        Invalid candidate, unknown/negative weight column, no seaport to compare, or a
        missing ``id``/``name``/``lon``/``lat`` column.
    """
    missing = [c for c in ("id", "name", "lon", "lat") if c not in occ.columns]
    if missing:
        raise ScenarioError(f"occurrence table lacks column(s) {missing}")
    cand = validate_candidate(candidate, bounds) if candidate is not None else None
    w = None
    if weights is not None:
        if weights not in occ.columns:
            raise ScenarioError(
                f"weight column {weights!r} not in the occurrence table; "
                f"numeric columns are e.g. {[c for c in occ.columns if c.endswith('_t')]}"
            )
        w = pd.to_numeric(occ[weights], errors="coerce").to_numpy(dtype=float)
        if (w[np.isfinite(w)] < 0).any():
            raise ScenarioError(f"weight column {weights!r} has negative values")

    rows = _seaport_rows(net, ports)
    if not rows and cand is None:
        raise ScenarioError("no seaport to compare: the road network reaches none of the ports")
    names = [str(net.ports["name"].iat[j]) for j in rows]
    tids = [str(net.ports["id"].iat[j]) for j in rows]
    term_nets = [_single_port(net, j) for j in rows]
    t_lon = [float(net.ports["lon"].iat[j]) for j in rows]
    t_lat = [float(net.ports["lat"].iat[j]) for j in rows]
    notes: list[str] = []
    cand_term: _Terminal | None = None
    if cand is not None:
        cname = candidate_name.strip() or "Candidate terminal"
        if cname in names:
            cname = f"{cname} (candidate)"
        locator = _Locator(net)
        cand_term = _locate_terminal(locator, cand[0], cand[1], CANDIDATE_ID, cname)
        names.append(cname)
        tids.append(CANDIDATE_ID)
        t_lon.append(cand[0])
        t_lat.append(cand[1])
        if cand_term.access_km >= ON_NETWORK_KM:
            notes.append(
                f"{cname} is {cand_term.access_km:,.1f} km off the road network; connected by "
                "a straight access leg, included in every haul to it."
            )
        else:
            notes.append(f"{cname} lies on the road network.")

    lon = pd.to_numeric(occ["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(occ["lat"], errors="coerce").to_numpy(dtype=float)
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
        access = np.where(np.isnan(access) & (loc[0] >= 0),
                          geod_km(lon, lat, loc[2], loc[3]), access)

    mapped = np.isfinite(lon) & np.isfinite(lat)
    reach = np.isfinite(hauls).any(axis=0) if k else np.zeros(m, dtype=bool)
    best = np.argmin(np.where(np.isfinite(hauls), hauls, np.inf), axis=0) if k else np.zeros(
        m, dtype=np.int64)
    ids = occ["id"].astype(str).reset_index(drop=True)
    if (~mapped).any():
        notes.append(
            f"{int((~mapped).sum())} occurrence(s) without a coordinate left out: "
            f"{_list(ids[~mapped])}."
        )
    unreach = mapped & ~reach
    if unreach.any():
        notes.append(
            f"{int(unreach.sum())} mapped occurrence(s) reach no terminal by road, left out: "
            f"{_list(ids[unreach])}."
        )
    keep = mapped & reach
    idx = np.flatnonzero(keep)
    bsel = best[idx]
    per_occ = pd.DataFrame({
        "id": ids[idx].to_numpy(),
        "name": occ["name"].astype(str).to_numpy()[idx],
        "lon": lon[idx],
        "lat": lat[idx],
        "port_id": np.asarray(tids, dtype=object)[bsel] if k else np.empty(0, object),
        "port": np.asarray(names, dtype=object)[bsel] if k else np.empty(0, object),
        "haul_km": hauls[bsel, idx] if k else np.empty(0),
        "access_km": access[idx],
    })
    for i, tid in enumerate(tids):
        per_occ[f"haul_{tid}_km"] = hauls[i, idx]
    per_occ["weight"] = w[idx] if w is not None else np.nan

    if w is not None:
        no_w = ~np.isfinite(per_occ["weight"].to_numpy(dtype=float))
        if no_w.any():
            notes.append(
                f"{int(no_w.sum())} of {len(per_occ)} routed occurrence(s) have no {weights} "
                "value and are left out of the weighted totals (t·km)."
            )

    per_port = _per_port(per_occ, tids, names, t_lon, t_lat, weighted=w is not None)
    if cand_term is not None and k > 1:
        won = per_occ["port_id"].to_numpy() == CANDIDATE_ID
        best_sea = np.nanmin(hauls[:-1, idx], axis=0) if idx.size else np.empty(0)
        saved = (best_sea - hauls[-1, idx])[won]
        saved = saved[np.isfinite(saved)]
        if won.any():
            notes.append(
                f"{names[-1]} is nearest by road for {int(won.sum())} of {len(per_occ)} "
                f"occurrence(s), {saved.sum():,.0f} km less road haul in total (median "
                f"{np.median(saved) if saved.size else float('nan'):,.0f} km each) than their "
                "nearest existing seaport."
            )
        else:
            notes.append(f"{names[-1]} is not nearest by road for any of the "
                         f"{len(per_occ)} routed occurrence(s).")

    routes: list[tuple[str, LineString]] = []
    if with_routes:
        for j, r in zip(idx, per_occ.itertuples(index=False), strict=True):  # drawing only
            if cand_term is not None and loc is not None and r.port_id == CANDIDATE_ID:
                line = cand_term.route(r.lon, r.lat, loc[2][j], loc[3][j], int(loc[0][j]),
                                       float(loc[1][j]))
            else:
                line = term_nets[tids.index(r.port_id)].route(r.lon, r.lat, r.port_id)
            if line is not None:
                routes.append((r.port, line))
    terminals = pd.DataFrame({
        "port_id": tids, "port": names, "lon": t_lon, "lat": t_lat,
        "candidate": [t == CANDIDATE_ID for t in tids],
    })
    return ScenarioResult(
        per_occurrence=per_occ, per_port=per_port, notes=notes, routes=routes,
        terminals=terminals,
        candidate_access_km=None if cand_term is None else cand_term.access_km,
    )


def _per_port(per_occ: pd.DataFrame, tids: list[str], names: list[str], t_lon: list[float],
              t_lat: list[float], weighted: bool) -> pd.DataFrame:
    g = per_occ.groupby("port_id", sort=False)
    count = g.size()
    total = g["haul_km"].sum()
    median = g["haul_km"].median()
    wt = per_occ["weight"].to_numpy(dtype=float)
    has_w = np.isfinite(wt)
    tkm = pd.Series(np.where(has_w, wt * per_occ["haul_km"].to_numpy(dtype=float), 0.0))
    wdf = pd.DataFrame({"port_id": per_occ["port_id"].to_numpy(), "has_w": has_w,
                        "w": np.where(has_w, wt, 0.0), "tkm": tkm.to_numpy()})
    wg = wdf.groupby("port_id", sort=False)
    idx = pd.Index(tids)
    out = pd.DataFrame({
        "port_id": tids,
        "port": names,
        "candidate": [t == CANDIDATE_ID for t in tids],
        "lon": t_lon,
        "lat": t_lat,
        "occurrences": count.reindex(idx, fill_value=0).to_numpy(dtype=np.int64),
        "total_haul_km": total.reindex(idx, fill_value=0.0).to_numpy(dtype=float),
        "median_haul_km": median.reindex(idx).to_numpy(dtype=float),
    })
    if weighted:
        out["weighted_occurrences"] = wg["has_w"].sum().reindex(idx, fill_value=0).to_numpy(
            dtype=np.int64)
        out["weight_total_t"] = wg["w"].sum().reindex(idx, fill_value=0.0).to_numpy(dtype=float)
        out["weighted_t_km"] = wg["tkm"].sum().reindex(idx, fill_value=0.0).to_numpy(dtype=float)
    else:
        out["weighted_occurrences"] = pd.array([pd.NA] * len(tids), dtype="Int64")
        out["weight_total_t"] = np.nan
        out["weighted_t_km"] = np.nan
    return out[list(PER_PORT_COLUMNS)]


# --------------------------------------------------------------------------------------------
# traceability


def _is_sb(occ: pd.DataFrame) -> pd.Series:
    if "commodity_group" in occ.columns:
        return occ["commodity_group"].astype(str) == "Sb"
    if "commodity" in occ.columns:
        return occ["commodity"].astype(str).str.strip() == "Sb"
    raise ScenarioError("occurrence table has neither 'commodity_group' nor 'commodity'")


def traceability(
    occ: pd.DataFrame,
    net: RoadNetwork | None = None,
    crossings: pd.DataFrame | None = None,
    country: str | None = "Afghanistan",
) -> pd.DataFrame:
    """Border and crossing distances of antimony (Sb) occurrences, with a documented flag.

    Parameters
    ----------
    occ : pandas.DataFrame
        Enriched occurrences (``border_afghanistan_km, crossing_nearest, crossing_km,
        haul_road_port, haul_road_km``; see :data:`mineralmap.schema.ENRICH_COLUMNS`).
    net : RoadNetwork, optional
        With ``crossings``: also compute the road distance to the nearest crossing.
    crossings : geopandas.GeoDataFrame, optional
        Border-crossing points (``id``, ``name``, point geometry or ``lon``/``lat``).
    country : str or None
        Only crossings whose ``country`` column equals this are used for the road distance
        (default: crossings into Afghanistan, the origin the traceability concern is about);
        None uses every crossing. The straight-line ``crossing_nearest``/``crossing_km`` come
        from the enrichment and cover every crossing.

    Returns
    -------
    pandas.DataFrame
        Sb rows only, columns :data:`TRACE_COLUMNS` (plus :data:`TRACE_ROAD_COLUMNS` when
        ``net`` and ``crossings`` are given), sorted by ``crossing_km``.
        ``crossing_closer_than_port`` = ``crossing_km < haul_road_km`` (straight line to the
        crossing vs road to the port; nullable boolean, NA when either is unknown).
        ``crossing_closer_by_road`` compares road to road. Both are geographic indicators,
        not evidence (see the module docstring).
    """
    sb = occ[_is_sb(occ)]
    out = pd.DataFrame(index=range(len(sb)))
    for c in TRACE_COLUMNS[:-1]:
        out[c] = sb[c].to_numpy() if c in sb.columns else np.nan
    for c in ("border_afghanistan_km", "crossing_km", "haul_road_km"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["crossing_closer_than_port"] = _flag(out["crossing_km"], out["haul_road_km"])
    if net is not None and crossings is not None and len(crossings):
        if country is not None and "country" in crossings.columns:
            crossings = crossings[crossings["country"].astype(str) == country]
        road_name, road_km = _road_to_crossings(sb, net, crossings)
        out["crossing_road_nearest"] = road_name
        out["crossing_road_km"] = road_km
        out["crossing_closer_by_road"] = _flag(out["crossing_road_km"], out["haul_road_km"])
    return out.sort_values("crossing_km", na_position="last", kind="stable").reset_index(drop=True)


def _flag(a: pd.Series, b: pd.Series) -> pd.Series:
    known = a.notna() & b.notna()
    return pd.Series(pd.array(np.where(known, a < b, False), dtype="boolean")).where(known, pd.NA)


def _road_to_crossings(sb: pd.DataFrame, net: RoadNetwork, crossings: pd.DataFrame):
    """Nearest crossing by road (name, km incl. the crossing's own access leg) per Sb row."""
    if {"lon", "lat"} <= set(crossings.columns):
        c_lon = pd.to_numeric(crossings["lon"], errors="coerce").to_numpy(dtype=float)
        c_lat = pd.to_numeric(crossings["lat"], errors="coerce").to_numpy(dtype=float)
    else:
        pts = shapely.point_on_surface(crossings.geometry.values)
        c_lon, c_lat = shapely.get_x(pts), shapely.get_y(pts)
    c_names = crossings["name"].astype(str).to_numpy()
    lon = pd.to_numeric(sb["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(sb["lat"], errors="coerce").to_numpy(dtype=float)
    d = np.full((len(c_names), lon.size), np.nan)
    locator = _Locator(net)
    loc = locator.locate(lon, lat)
    for i in range(len(c_names)):  # one Dijkstra per crossing (a handful)
        if not (np.isfinite(c_lon[i]) and np.isfinite(c_lat[i])):
            continue
        t = _locate_terminal(locator, c_lon[i], c_lat[i], f"crossing_{i}", c_names[i])
        d[i] = t.haul(loc, lon, lat)
    if lon.size == 0 or len(c_names) == 0:
        return np.full(lon.size, None, dtype=object), np.full(lon.size, np.nan)
    reach = np.isfinite(d).any(axis=0)
    best = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=0)
    km = np.where(reach, d[best, np.arange(lon.size)], np.nan)
    return np.where(reach, c_names[best], None), km


# --------------------------------------------------------------------------------------------
# drawing


def merged_routes(
    routes: list[tuple[str, LineString]], simplify_deg: float = 0.001
) -> list[tuple[str, shapely.Geometry]]:
    """Routes merged per destination, shared stretches once: for drawing many routes cheaply.

    Routes to the same terminal share most of their length (the trunk roads). Each route is cut
    into its vertex-to-vertex segments, duplicate segments (same end points to 1e-6 degrees,
    either direction) are dropped, the rest are merged into lines (``line_merge``) and
    simplified by ``simplify_deg`` degrees (default 0.001, about 100 m).

    Parameters
    ----------
    routes : list of (str, LineString)
        :attr:`ScenarioResult.routes`.
    simplify_deg : float
        Douglas-Peucker tolerance in degrees; 0 keeps every vertex.

    Returns
    -------
    list of (str, shapely geometry)
        One (Multi)LineString per terminal name, in first-seen order.
    """
    by: dict[str, list[LineString]] = {}
    for name, g in routes:
        if g is not None and not shapely.is_empty(g):
            by.setdefault(name, []).append(g)
    out: list[tuple[str, shapely.Geometry]] = []
    for name, geoms in by.items():
        xy, part = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
        same = part[1:] == part[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        ka, kb = np.round(a * 1e6).astype(np.int64), np.round(b * 1e6).astype(np.int64)
        swap = (ka[:, 0] > kb[:, 0]) | ((ka[:, 0] == kb[:, 0]) & (ka[:, 1] > kb[:, 1]))
        lo = np.where(swap[:, None], kb, ka)
        hi = np.where(swap[:, None], ka, kb)
        keep = np.flatnonzero((lo != hi).any(axis=1))
        k4 = np.column_stack([lo, hi])[keep]
        order = np.lexsort(k4.T[::-1])
        k4s = k4[order]
        first = np.r_[True, (k4s[1:] != k4s[:-1]).any(axis=1)]
        sel = keep[np.sort(order[first])]
        segs = shapely.linestrings(np.stack([a[sel], b[sel]], axis=1))
        merged = shapely.line_merge(shapely.multilinestrings(segs))
        if simplify_deg > 0:
            merged = shapely.simplify(merged, simplify_deg)
        out.append((name, merged))
    return out
