"""Routable road and rail graphs: one shortest-path tree per seaport, route geometry.

How the graphs are built
------------------------
* Every vertex of every line is a node; vertices at the same coordinate (to 1e-6 degrees, about
  0.1 m) are one node, so lines that share a vertex are connected.
* Dangling line ends (nodes of degree 1) are snapped to the nearest segment of another line within
  ``snap_m`` metres (roads :data:`SNAP_M` = 15 m: the OSM extract is simplified by about 11 m, so a
  T-junction's through-road may have lost the junction vertex; rail :data:`RAIL_SNAP_M` = 50 m,
  see there). The snap point becomes a virtual node splitting
  that segment. Lines that merely cross without a shared vertex (bridges, flyovers) stay unconnected.
* Edge weights are geodesic kilometres (WGS84, :class:`pyproj.Geod`) between consecutive vertices.
  The graph is undirected (the source carries no one-way information).
* Spatial look-ups (nearest segment, nearest node) run in :data:`METRIC_CRS`, a Lambert conformal
  conic fitted to Pakistan (standard parallels 27 N and 35 N): its scale error is below about 1 %
  between 23.5 N and 37.5 N. It is only used to *pick* the nearest feature; reported distances are
  geodesic.

Road haul
---------
``haul_road_<port>_km`` = network distance from the road point nearest the occurrence to the
seaport's road node, plus the straight geodesic leg from that node to the port point (WPI position,
usually a few hundred metres off the road end). The road point is the projection of the
occurrence onto the nearest segment *of a component that reaches at least one seaport*; the
partial segment length to either end is added and the better end taken. ``access_km`` is the
straight geodesic leg from the occurrence to that road point (not included in ``haul_road_km``).

Rail haul
---------
Only ``active`` lines are used. A station is on the rail graph when it lies within
:data:`STATION_SNAP_KM` of an active line. A seaport is rail-connected when an active rail node
lies within :data:`PORT_RAIL_KM` of it (on the real data: the Karachi port link ending at
Keamari, and the Port Qasim link; Gwadar has no railway). That node is the port's rail terminal.
``haul_rail_km`` for a station = the shortest rail distance from the station's node to any port
terminal, NaN when the station is off the network or its component reaches no port terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from mineralmap._geo import (
    SegmentIndex,
    geod_km,
    inverse_sq_length,
    project_on_segments,
    to_lonlat,
    to_metric,
)
from mineralmap._lazy import csgraph, sparse, spatial
from mineralmap.errors import ValidationError

#: Seaport ids that get their own ``haul_road_<x>_km`` column, and that column's name.
PORT_HAUL_COLUMNS: dict[str, str] = {
    "karachi": "haul_road_karachi_km",
    "port_qasim": "haul_road_qasim_km",
    "gwadar": "haul_road_gwadar_km",
}
#: Road classes kept in the routing graph (``secondary`` is needed for Gwadar to connect).
ROUTABLE_ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")
#: A station further than this from an active railway line is not on the rail graph.
STATION_SNAP_KM = 2.0
#: A seaport is rail-connected when an active rail node lies within this distance of it.
PORT_RAIL_KM = 5.0
#: Up to this many points, nearest-segment searches are exact (see :class:`SegmentIndex`); above
#: it they use the fast mode: its error is at most half a sub-segment (500 m) by construction;
#: ``benchmarks/bench_enrich.py`` prints the measured difference against the exact mode (in runs
#: so far: max 0.075 km on 1,000 and 0.18 km on 200 random points in Pakistan; fewer than 0.1 %
#: of the values off by more than 1 m).
EXACT_MAX_POINTS = 5_000
#: Longest line edge (degrees) kept before projecting; longer edges are densified.
DENSIFY_DEG = 0.05
#: Default snapping tolerance for dangling road ends, metres.
SNAP_M = 15.0
#: Default snapping tolerance for dangling rail ends, metres. The rail lines were merged from
#: z13 vector tiles whose seams leave gaps of up to ~40 m: at 15 m the active network splits into
#: 28 components (largest 77 % of km, ports cut off from the main line); at 50 m into 5 (98.7 %).
RAIL_SNAP_M = 50.0

HAUL_COLUMNS: tuple[str, ...] = (
    "haul_road_port",
    "haul_road_km",
    "access_km",
    *PORT_HAUL_COLUMNS.values(),
)


# --------------------------------------------------------------------------------------------
# generic graph


#: Up to this many points, :meth:`_Graph.nearest_node` compares every node instead of building a
#: k-d tree over them (~0.07 s on the real roads, for the three seaports).
_BRUTE_NEAREST_MAX = 16


@dataclass
class _Graph:
    """Undirected graph of line vertices (see module docstring)."""

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray  # unique undirected edges u < v
    v: np.ndarray
    w: np.ndarray  # km
    csr: sparse.csr_matrix
    comp: np.ndarray  # component label per node
    comp_length: np.ndarray  # km of edges per component

    @property
    def n_nodes(self) -> int:
        return int(self.lon.size)

    def nearest_node(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node (index, geodesic km) for each lon/lat point; -1/NaN when no node."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        idx = np.full(lon.shape, -1, dtype=np.int64)
        km = np.full(lon.shape, np.nan)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if self.n_nodes == 0 or not ok.any():
            return idx, km
        px, py = to_metric(lon[ok], lat[ok])
        if px.size <= _BRUTE_NEAREST_MAX:  # a few ports: cheaper than building a k-d tree
            tgt = np.array([np.argmin((self.x - qx) ** 2 + (self.y - qy) ** 2)
                            for qx, qy in zip(px, py, strict=True)], dtype=np.int64)
        else:
            tree = spatial.cKDTree(np.column_stack([self.x, self.y]))
            _, tgt = tree.query(np.column_stack([px, py]), k=1)
            tgt = np.asarray(tgt, dtype=np.int64)
        sel = np.flatnonzero(ok)
        idx[sel] = tgt
        km[sel] = geod_km(lon[sel], lat[sel], self.lon[tgt], self.lat[tgt])
        return idx, km


def _explode_lines(geoms: np.ndarray) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if geoms.size == 0:
        return geoms
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineString
    return parts[shapely.get_num_coordinates(parts) >= 2]


def _segments_within(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
                     seg_line: np.ndarray, node_of: np.ndarray, line_idx: np.ndarray,
                     nodes: np.ndarray, dist_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (position in ``nodes``, segment) of every graph segment ``u -> v`` within
    ``dist_m`` (planar, metric CRS) of a node, ordered by node position then segment.

    The candidates come from an STRtree of the (projected) lines, a few thousand geometries,
    rather than one geometry per segment (~200,000 on the real roads; building those took a
    third of the road-graph build); every candidate line's segments are then measured exactly.
    """
    lines = shapely.linestrings(np.column_stack([x[node_of], y[node_of]]), indices=line_idx)
    tree = shapely.STRtree(lines)
    pi, li = tree.query(shapely.points(x[nodes], y[nodes]), predicate="dwithin",
                        distance=dist_m)
    first = np.searchsorted(seg_line, li, side="left")
    count = np.searchsorted(seg_line, li, side="right") - first
    total = int(count.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    pi = np.repeat(pi, count)
    si = np.repeat(first, count) + np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    order = np.lexsort((si, pi))
    pi, si = pi[order], si[order]
    ax, ay = x[u[si]], y[u[si]]
    dx, dy = x[v[si]] - ax, y[v[si]] - ay
    _, ex, ey = project_on_segments(x[nodes[pi]], y[nodes[pi]], ax, ay, dx, dy,
                                    inverse_sq_length(dx, dy))
    near = np.hypot(ex, ey) <= dist_m
    return pi[near].astype(np.int64), si[near].astype(np.int64)


def _build_graph(geoms: np.ndarray, snap_m: float = SNAP_M) -> _Graph:
    """Build an undirected graph from line geometries in EPSG:4326."""
    lines = _explode_lines(geoms)
    if lines.size == 0:
        empty_f = np.empty(0)
        empty_i = np.empty(0, dtype=np.int64)
        return _Graph(empty_f, empty_f, empty_f, empty_f, empty_i, empty_i, empty_f,
                      sparse.csr_matrix((0, 0)), empty_i, empty_f)
    # edges are straight in lon/lat: densify long ones so their projected chords stay on them
    lines = shapely.segmentize(lines, DENSIFY_DEG)
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    kx = np.round(coords[:, 0] * 1e6).astype(np.int64) + (1 << 28)
    ky = np.round(coords[:, 1] * 1e6).astype(np.int64) + (1 << 28)
    key = (kx << 30) | ky
    ukey, first, node_of = np.unique(key, return_index=True, return_inverse=True)
    lon = coords[first, 0].copy()
    lat = coords[first, 1].copy()
    x, y = to_metric(lon, lat)

    same = line_idx[1:] == line_idx[:-1]
    u = node_of[:-1][same]
    v = node_of[1:][same]
    keep = u != v
    u, v = u[keep], v[keep]
    seg_line = line_idx[:-1][same][keep]  # line of each segment (non-decreasing)

    # --- snap dangling ends onto nearby segments (T-junctions that lost their shared vertex)
    n = lon.size
    if snap_m > 0 and u.size:
        deg = np.bincount(np.concatenate([u, v]), minlength=n)
        dangling = np.flatnonzero(deg == 1)
        if dangling.size:
            pi, si = _segments_within(x, y, u, v, seg_line, node_of, line_idx, dangling, snap_m)
            node = dangling[pi]
            # drop the dangling node's own segment
            own = (u[si] == node) | (v[si] == node)
            pi, si, node = pi[~own], si[~own], node[~own]
            if si.size:
                ax, ay = x[u[si]], y[u[si]]
                dx, dy = x[v[si]] - ax, y[v[si]] - ay
                t, ex, ey = project_on_segments(x[node], y[node], ax, ay, dx, dy,
                                                inverse_sq_length(dx, dy))
                qx, qy = ax + t * dx, ay + t * dy
                d = np.hypot(ex, ey)
                # nearest segment per dangling node
                order = np.lexsort((d, node))
                node_s = node[order]
                firsts = np.r_[True, node_s[1:] != node_s[:-1]]
                pick = order[firsts]
                node, si, t, qx, qy = node[pick], si[pick], t[pick], qx[pick], qy[pick]
                # snapping to a segment end = join that node directly
                at_a = t <= 1e-9
                at_b = t >= 1 - 1e-9
                mid = ~(at_a | at_b)
                new_u = [node[at_a], node[at_b]]
                new_v = [u[si[at_a]], v[si[at_b]]]
                k = int(mid.sum())
                drop = np.zeros(u.size, dtype=bool)
                if k:
                    # virtual nodes split their segment: a - p1 - p2 ... - b replaces a - b
                    o = np.lexsort((t[mid], si[mid]))
                    s_m, n_m = si[mid][o], node[mid][o]
                    qx_m, qy_m = qx[mid][o], qy[mid][o]
                    vid = n + np.arange(k)
                    qlon, qlat = to_lonlat(qx_m, qy_m)
                    lon = np.concatenate([lon, qlon])
                    lat = np.concatenate([lat, qlat])
                    x = np.concatenate([x, qx_m])
                    y = np.concatenate([y, qy_m])
                    grp_first = np.r_[True, s_m[1:] != s_m[:-1]]
                    grp_last = np.r_[s_m[1:] != s_m[:-1], True]
                    inner = ~grp_last
                    new_u += [n_m, u[s_m[grp_first]], vid[grp_last], vid[inner]]
                    new_v += [vid, vid[grp_first], v[s_m[grp_last]], vid[1:][inner[:-1]]]
                    drop[s_m] = True
                    n += k
                u = np.concatenate([u[~drop], *new_u])
                v = np.concatenate([v[~drop], *new_v])
                keep = u != v
                u, v = u[keep], v[keep]

    # --- unique undirected edges, geodesic weights
    a, b = np.minimum(u, v), np.maximum(u, v)
    ekey = a.astype(np.int64) * n + b
    _, uniq = np.unique(ekey, return_index=True)
    a, b = a[uniq], b[uniq]
    w = geod_km(lon[a], lat[a], lon[b], lat[b])
    w = np.maximum(w, 1e-9)  # explicit zeros would be dropped by scipy
    csr = sparse.csr_matrix(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    )
    n_comp, comp = csgraph.connected_components(csr, directed=False)
    comp_length = np.bincount(comp[a], weights=w, minlength=n_comp)
    return _Graph(lon, lat, x, y, a, b, w, csr, comp.astype(np.int64), comp_length)


def _seaports(ports: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Seaport id, name, lon, lat (rows with ``kind == 'seaport'``; all rows if no ``kind``)."""
    cols = ["id", "name", "lon", "lat"]
    if ports is None or len(ports) == 0:
        return pd.DataFrame(columns=cols)
    for c in ("id", "name"):
        if c not in ports.columns:
            raise ValidationError(f"ports layer: column {c!r} is missing (has {list(ports.columns)})")
    p = ports
    if "kind" in p.columns:
        p = p[p["kind"].astype(str) == "seaport"]
    geom = p.geometry.values
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    p = p[ok]
    pts = shapely.point_on_surface(p.geometry.values)
    return pd.DataFrame(
        {"id": p["id"].astype(str).to_numpy(), "name": p["name"].astype(str).to_numpy(),
         "lon": shapely.get_x(pts), "lat": shapely.get_y(pts)}
    ).reset_index(drop=True)


def _components_summary(g: _Graph, port_node: Mapping[str, int]) -> dict:
    total = float(g.comp_length.sum())
    largest = int(np.argmax(g.comp_length)) if g.comp_length.size else -1
    return {
        "nodes": g.n_nodes,
        "edges": int(g.u.size),
        "components": int(g.comp_length.size),
        "total_km": round(total, 1),
        "largest_component_km": round(float(g.comp_length.max()), 1) if total else 0.0,
        "largest_component_share": round(float(g.comp_length.max()) / total, 4) if total else 0.0,
        "ports_on_largest": {
            pid: bool(largest >= 0 and g.comp[node] == largest) for pid, node in port_node.items()
        },
    }


# --------------------------------------------------------------------------------------------
# road network


@dataclass(frozen=True)
class RoadPoints:
    """Points placed on the routable road network (:meth:`RoadNetwork.locate`).

    Attributes
    ----------
    lon, lat : numpy.ndarray
        The points (degrees).
    ok : numpy.ndarray of bool
        Mapped and placed on a road of a component that reaches a seaport.
    edge : numpy.ndarray of int
        Graph edge (index into ``graph.u`` / ``graph.v``) of the nearest road segment; -1 where
        not ``ok``.
    t : numpy.ndarray
        Fraction along that edge from ``graph.u[edge]`` to the road point (NaN where not ``ok``).
    road_lon, road_lat : numpy.ndarray
        The road point: the projection of the point onto that segment (NaN where not ``ok``).
    access_km : numpy.ndarray
        Straight geodesic leg from the point to its road point (NaN where not ``ok``).
    """

    lon: np.ndarray
    lat: np.ndarray
    ok: np.ndarray
    edge: np.ndarray
    t: np.ndarray
    road_lon: np.ndarray
    road_lat: np.ndarray
    access_km: np.ndarray

    def __len__(self) -> int:
        return int(self.lon.size)


@dataclass(frozen=True)
class Terminal:
    """A destination on the road graph with its shortest-path tree.

    A seaport's road point is the road node nearest it; a terminal added with
    :meth:`RoadNetwork.add_terminal` is projected onto its nearest road segment (``edge``, ``t``)
    and that point splits the segment.

    Attributes
    ----------
    id, name : str
        Terminal id (seaport id, ``candidate`` ...) and display name.
    lon, lat : float
        The terminal point.
    road_lon, road_lat : float
        Where the terminal joins the road graph.
    leg_km : float
        Straight geodesic leg from the road point to the terminal point.
    dist : numpy.ndarray
        ``(n_nodes,)`` network km from every node to the road point (inf: not connected).
    pred : numpy.ndarray
        ``(n_nodes,)`` next node towards the terminal; negative at the tree's root(s).
    edge : int
        Edge whose interior holds the road point, -1 when the road point is a node.
    t : float
        Fraction along ``edge`` from ``graph.u[edge]`` (NaN when ``edge`` is -1).
    """

    id: str
    name: str
    lon: float
    lat: float
    road_lon: float
    road_lat: float
    leg_km: float
    dist: np.ndarray = field(repr=False)
    pred: np.ndarray = field(repr=False)
    edge: int = -1
    t: float = float("nan")


@dataclass
class RoadNetwork:
    """Road graph with one shortest-path tree per seaport (see module docstring).

    Every graph operation of the project lives here: :meth:`locate` places points on the road
    network (the one nearest-segment locator), :meth:`terminals` and :meth:`add_terminal` give
    shortest-path trees, :meth:`haul_to` measures road hauls along a tree, :meth:`route_to` and
    :meth:`tree_routes` draw routes.

    Attributes
    ----------
    graph : _Graph
        Nodes, edges (geodesic km), CSR adjacency and connected components.
    ports : pandas.DataFrame
        Seaports routed to: ``id, name, lon, lat``.
    port_node : dict[str, int]
        Road node nearest each seaport (by id).
    port_leg_km : numpy.ndarray
        Straight geodesic leg from each port's road node to the port point (km).
    dist, pred : numpy.ndarray
        ``(n_ports, n_nodes)`` network distance (km) and predecessor arrays from each port.
    largest_component_share : float
        Share of network length (km) in the largest connected component.
    """

    graph: _Graph
    ports: pd.DataFrame
    port_node: dict[str, int]
    port_leg_km: np.ndarray
    dist: np.ndarray
    pred: np.ndarray
    largest_component_share: float
    _seg_tree: SegmentIndex | None = field(default=None, repr=False)
    _seg_idx: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)

    def components_summary(self) -> dict:
        """Nodes, edges, component count, km in total and in the largest component, and
        whether each seaport's node lies on the largest component."""
        out = _components_summary(self.graph, self.port_node)
        out["port_snap_km"] = {
            pid: round(float(k), 3)
            for pid, k in zip(self.ports["id"], self.port_leg_km, strict=True)
        }
        return out

    # ---- locating points ---------------------------------------------------------------------

    def locate(self, lon: np.ndarray, lat: np.ndarray, exact: bool | None = None) -> RoadPoints:
        """Project points onto the nearest road segment of a component that reaches a seaport.

        Parameters
        ----------
        lon, lat : array-like
            Points (degrees, EPSG:4326); NaN (or a value outside +-180 / +-90) marks an
            unmapped point.
        exact : bool, optional
            Exact nearest segment (default: when at most :data:`EXACT_MAX_POINTS` points; above
            that the fast mode of :class:`SegmentIndex`).

        Returns
        -------
        RoadPoints
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        m = lon.size
        ok = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)  # False for NaN
        edge = np.full(m, -1, dtype=np.int64)
        t, rlon, rlat, acc = (np.full(m, np.nan) for _ in range(4))
        if self._seg_tree is not None and ok.any():
            px, py = to_metric(lon[ok], lat[ok])
            projected = np.isfinite(px) & np.isfinite(py)  # a pole can project to infinity
            ok[ok] = projected
            px, py = px[projected], py[projected]
        if self._seg_tree is None or not ok.any():
            ok[:] = False
        else:
            if exact is None:
                exact = px.size <= EXACT_MAX_POINTS
            seg, t[ok], q, _ = self._seg_tree.query(np.column_stack([px, py]), exact=exact)
            edge[ok] = self._seg_idx[seg]
            rlon[ok], rlat[ok] = to_lonlat(q[:, 0], q[:, 1])
            acc[ok] = geod_km(lon[ok], lat[ok], rlon[ok], rlat[ok])
        return RoadPoints(lon, lat, ok, edge, t, rlon, rlat, acc)

    # ---- shortest-path trees -----------------------------------------------------------------

    def terminals(self) -> list[Terminal]:
        """One :class:`Terminal` per seaport, in the order of :attr:`ports` (trees precomputed)."""
        g = self.graph
        out = []
        for j, r in enumerate(self.ports.itertuples(index=False)):
            node = self.port_node[str(r.id)]
            out.append(Terminal(
                id=str(r.id), name=str(r.name), lon=float(r.lon), lat=float(r.lat),
                road_lon=float(g.lon[node]), road_lat=float(g.lat[node]),
                leg_km=float(self.port_leg_km[j]), dist=self.dist[j], pred=self.pred[j],
            ))
        return out

    def terminal(self, port_id: str) -> Terminal:
        """The seaport terminal with id ``port_id``.

        Raises
        ------
        ValidationError
            Unknown seaport id.
        """
        for term in self.terminals():
            if term.id == port_id:
                return term
        raise ValidationError(f"unknown seaport id {port_id!r}; known: {list(self.ports['id'])}")

    def add_terminal(self, lon: float, lat: float, terminal_id: str, name: str) -> Terminal:
        """A terminal at an arbitrary point, with its own shortest-path tree.

        The point is projected onto the nearest road segment of a component that reaches a
        seaport; that road point splits the segment (a virtual node joined to both ends by the
        partial lengths) and one Dijkstra search runs from it. ``leg_km`` is the straight
        geodesic leg from the point to the road.

        Parameters
        ----------
        lon, lat : float
            The terminal point (degrees).
        terminal_id, name : str
            Id and display name of the terminal.

        Returns
        -------
        Terminal

        Raises
        ------
        ValidationError
            The point is not a finite coordinate, or no road reaches a seaport.
        """
        if self._seg_tree is None:
            raise ValidationError("the road network has no road connected to a seaport; "
                                  "cannot route to this point")
        pts = self.locate(np.array([lon], dtype=float), np.array([lat], dtype=float), exact=True)
        if not pts.ok[0]:
            raise ValidationError(f"terminal {name!r} has no valid coordinate: ({lon}, {lat})")
        g = self.graph
        e, t = int(pts.edge[0]), float(pts.t[0])
        u, v = int(g.u[e]), int(g.v[e])
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
        return Terminal(
            id=str(terminal_id), name=str(name), lon=float(lon), lat=float(lat),
            road_lon=float(pts.road_lon[0]), road_lat=float(pts.road_lat[0]),
            leg_km=float(pts.access_km[0]), dist=dist[:n], pred=pred, edge=e, t=t,
        )

    # ---- hauls -------------------------------------------------------------------------------

    def _entry(self, term: Terminal, pts: RoadPoints, i: np.ndarray):
        """Where points ``i`` (all ``ok``) join ``term``'s tree.

        Returns ``(km via the tree incl. the terminal leg, entry node, direct)``; ``direct``
        marks points on the terminal's own segment that are nearer along it than via the tree.
        """
        g = self.graph
        e, t = pts.edge[i], pts.t[i]
        w = g.w[e]
        du = term.dist[g.u[e]] + t * w
        dv = term.dist[g.v[e]] + (1.0 - t) * w
        via = np.minimum(du, dv) + term.leg_km
        node = np.where(du <= dv, g.u[e], g.v[e])
        direct = np.zeros(i.size, dtype=bool)
        if term.edge >= 0:
            same = e == term.edge
            along = np.abs(t - term.t) * w + term.leg_km
            direct = same & (~np.isfinite(via) | (along <= via))
            via = np.where(same, np.fmin(via, along), via)
        return via, node, direct

    def haul_to(self, term: Terminal, pts: RoadPoints) -> np.ndarray:
        """Road haul (km) from located points to a terminal (vectorised).

        Network distance from each road point to the terminal's road point plus the
        terminal's leg (the points' own access legs are not included); points on the
        terminal's own segment are routed along it when that is shorter.

        Returns
        -------
        numpy.ndarray
            One value per point; NaN where the point is not ``ok`` or cannot reach ``term``.
        """
        out = np.full(len(pts), np.nan)
        i = np.flatnonzero(pts.ok)
        if i.size:
            km, _, _ = self._entry(term, pts, i)
            out[i] = np.where(np.isfinite(km), km, np.nan)
        return out

    def haul(self, lon: np.ndarray, lat: np.ndarray, exact: bool | None = None) -> pd.DataFrame:
        """Road haul from many points to every seaport (vectorised).

        Parameters
        ----------
        lon, lat : numpy.ndarray
            Occurrence coordinates (degrees, EPSG:4326); NaN marks an unmapped row.
        exact : bool, optional
            Exact nearest road segment (default: when at most :data:`EXACT_MAX_POINTS` points).

        Returns
        -------
        pandas.DataFrame
            One row per point with :data:`HAUL_COLUMNS` (km, unrounded): ``haul_road_port``
            (port name), ``haul_road_km``, ``access_km`` and one column per seaport id in
            :data:`PORT_HAUL_COLUMNS`. NaN/None where the point is unmapped or no port is
            reachable.
        """
        pts = self.locate(lon, lat, exact)
        m = len(pts)
        out = pd.DataFrame({c: np.full(m, np.nan) for c in HAUL_COLUMNS})
        out["haul_road_port"] = pd.Series([None] * m, dtype=object)
        terms = self.terminals()
        if not pts.ok.any() or not terms:
            return out
        per_port = np.vstack([self.haul_to(term, pts) for term in terms])
        for term, km in zip(terms, per_port, strict=True):
            col = PORT_HAUL_COLUMNS.get(term.id)
            if col is not None:
                out[col] = km
        reach = np.isfinite(per_port).any(axis=0)
        best = np.argmin(np.where(np.isfinite(per_port), per_port, np.inf), axis=0)
        names = np.array([term.name for term in terms], dtype=object)
        out["haul_road_km"] = np.where(reach, per_port[best, np.arange(m)], np.nan)
        out["access_km"] = np.where(reach, pts.access_km, np.nan)
        out["haul_road_port"] = pd.Series(np.where(reach, names[best], None), dtype=object)
        return out

    # ---- route geometry ----------------------------------------------------------------------

    def routes_to(self, term: Terminal, pts: RoadPoints, sel: np.ndarray) -> list[LineString | None]:
        """Full route geometries (lon/lat) of the points ``sel`` to ``term``: access leg, road
        path along the shortest-path tree, terminal leg.

        Meant for a few routes (one walk up the tree per point); for many, see
        :meth:`tree_routes`.

        Returns
        -------
        list of LineString or None
            One per index in ``sel``; None where the point is not ``ok`` or cannot reach
            ``term``.
        """
        sel = np.atleast_1d(np.asarray(sel, dtype=np.int64))
        out: list[LineString | None] = [None] * sel.size
        ok = pts.ok[sel]
        if not ok.any():
            return out
        via, node, direct = self._entry(term, pts, sel[ok])
        pred = term.pred.tolist()  # walking a Python list is ~20x faster than numpy scalars
        g = self.graph
        tail = np.array([[term.road_lon, term.road_lat], [term.lon, term.lat]])
        for k, i, km, start, straight in zip(np.flatnonzero(ok), sel[ok], via, node, direct,
                                             strict=True):
            if not np.isfinite(km):
                continue
            path = [] if straight else _walk(pred, int(start))
            xy = np.concatenate([
                [[pts.lon[i], pts.lat[i]], [pts.road_lon[i], pts.road_lat[i]]],
                np.column_stack([g.lon[path], g.lat[path]]), tail,
            ])
            line = _lines([_one(xy)])
            out[k] = line[0] if line.size else LineString([xy[0], xy[0]])
        return out

    def route_to(self, term: Terminal, pts: RoadPoints, i: int) -> LineString | None:
        """:meth:`routes_to` for one point."""
        return self.routes_to(term, pts, np.array([i]))[0]

    def route(self, lon: float, lat: float, port_id: str) -> LineString | None:
        """Route geometry (lon/lat) from a point to a seaport: access leg + road path + port leg.

        Returns None when the point is unmapped or the port is not reachable from the road
        nearest the point. Raises :class:`~mineralmap.errors.ValidationError` for an unknown
        port id.
        """
        term = self.terminal(port_id)
        return self.route_to(term, self.locate(np.array([lon]), np.array([lat]), exact=True), 0)

    def tree_routes(self, term: Terminal, pts: RoadPoints,
                    sel: np.ndarray | None = None) -> shapely.Geometry | None:
        """Road routes of many points to one terminal, merged: every road stretch drawn once.

        The union of the points' paths in ``term``'s shortest-path tree, cut into chains at
        branch points, plus each used edge's partial stretch to the farthest road point on it,
        the direct stretches of points on the terminal's own segment, and the terminal leg.
        The points' own access legs are left out (:meth:`routes_to` draws full routes). The
        cost grows with the road length drawn, not with the number of points.

        Parameters
        ----------
        term : Terminal
        pts : RoadPoints
        sel : numpy.ndarray, optional
            Indices (or boolean mask) of the points to draw; default all.

        Returns
        -------
        shapely.MultiLineString or None
            None when no selected point reaches ``term``.
        """
        i = np.arange(len(pts)) if sel is None else np.asarray(sel)
        if i.dtype == bool:
            i = np.flatnonzero(i)
        i = i[pts.ok[i]]
        via, node, direct = self._entry(term, pts, i)
        reach = np.isfinite(via)
        i, node, direct = i[reach], node[reach], direct[reach]
        if i.size == 0:
            return None
        g = self.graph
        lonlat = np.column_stack([g.lon, g.lat])
        road = np.array([term.road_lon, term.road_lat])
        end = np.array([term.lon, term.lat])
        on_tree, entry = i[~direct], node[~direct]
        near = np.column_stack([pts.road_lon[i[direct]], pts.road_lat[i[direct]]])
        roots = np.unique(_roots(term.pred, entry)) if on_tree.size else np.empty(0, np.int64)
        legs = [_one(np.array([lonlat[r], road])) for r in roots] + [_one(np.array([road, end]))]
        used = _tree_union(term.pred, entry)
        return shapely.multilinestrings(_lines([
            _tree_chains(term.pred, used, lonlat),
            _stack(self._partials(term, used, pts, on_tree, entry, lonlat)),
            _stack(np.stack([near, np.broadcast_to(road, near.shape)], axis=1)),
            *legs,
        ]))

    def _partials(self, term: Terminal, used: np.ndarray, pts: RoadPoints, i: np.ndarray,
                  node: np.ndarray, lonlat: np.ndarray) -> np.ndarray:
        """Per (edge, entry node) the stretch from the node to the farthest road point on it,
        as ``(k, 2, 2)`` coordinates; edges that are wholly part of the drawn tree are skipped."""
        g = self.graph
        e = pts.edge[i]
        u, v = g.u[e], g.v[e]
        in_tree = (used[u] & (term.pred[u] == v)) | (used[v] & (term.pred[v] == u))
        frac = np.where(node == u, pts.t[i], 1.0 - pts.t[i])  # share of the edge to draw
        order = np.lexsort((-frac, node, e))
        e_o, n_o = e[order], node[order]
        first = np.r_[True, (e_o[1:] != e_o[:-1]) | (n_o[1:] != n_o[:-1])] if i.size else []
        k = order[first]
        k = k[(frac[k] > 0) & ~in_tree[k]]
        ends = np.column_stack([pts.road_lon[i[k]], pts.road_lat[i[k]]])
        return np.stack([lonlat[node[k]], ends], axis=1)


def _walk(pred: list[int], node: int) -> list[int]:
    """Nodes from ``node`` up a shortest-path tree (``pred`` as a list) to its root."""
    path = [node]
    nxt = pred[node]
    while nxt >= 0:
        path.append(nxt)
        nxt = pred[nxt]
    return path


def _roots(pred: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Root reached from each start node (vectorised pointer jumping up the tree)."""
    up = np.where(pred >= 0, pred, np.arange(pred.size))
    cur = np.asarray(start, dtype=np.int64)
    while True:
        nxt = up[cur]
        if np.array_equal(nxt, cur):
            return cur
        up = up[up]  # double the stride
        cur = nxt


def _tree_union(pred: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Mask of the nodes on the tree paths from the ``start`` nodes to the root(s).

    One breadth-first search (scipy) over child -> parent links from a virtual source joined to
    every start node.
    """
    n = pred.size
    start = np.unique(np.asarray(start, dtype=np.int64))
    used = np.zeros(n + 1, dtype=bool)
    if start.size:
        child = np.flatnonzero(pred >= 0)
        rows = np.concatenate([child, np.full(start.size, n)])
        cols = np.concatenate([pred[child], start])
        up = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1))
        used[csgraph.breadth_first_order(up, n, directed=True, return_predecessors=False)] = True
    return used[:n]


def _tree_chains(pred: np.ndarray, used: np.ndarray, lonlat: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a tree union (:func:`_tree_union`) merged into chains.

    A chain runs upwards until it reaches the root or a node where two used branches meet, so
    every used edge is in exactly one chain. Pointer jumping orders each chain; no Python loop
    over nodes or points.

    Returns
    -------
    tuple of numpy.ndarray
        A :func:`_lines` batch: lon/lat of every chain's nodes, and nodes per chain.
    """
    n = pred.size
    e_nodes = np.flatnonzero(used & (pred >= 0))  # each stands for its edge to pred
    if e_nodes.size == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    parent = pred[e_nodes]
    n_child = np.bincount(parent, minlength=n)
    cont = (pred[parent] >= 0) & (n_child[parent] == 1)  # the chain goes on through the parent
    pos = np.full(n, -1, dtype=np.int64)
    pos[e_nodes] = np.arange(e_nodes.size)
    nxt = np.where(cont, pos[parent], np.arange(e_nodes.size))
    hops = cont.astype(np.int64)
    while True:  # list ranking: hops to the chain's last edge, and that edge
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            break
        hops = hops + hops[nxt]
        nxt = nn
    order = np.lexsort((-hops, nxt))
    tail = nxt[order]
    last = np.flatnonzero(np.r_[tail[1:] != tail[:-1], True])  # last edge of each chain
    nodes = np.insert(e_nodes[order], last + 1, parent[order][last])
    return lonlat[nodes], np.diff(np.r_[-1, last]) + 1


def _lines(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """LineStrings from batches ``(xy (n, 2), points per line)``: consecutive duplicate points
    dropped, a line left with one point skipped. Vectorised over all lines."""
    parts = [(xy, sizes) for xy, sizes in parts if len(sizes)]
    if not parts:
        return np.empty(0, dtype=object)
    xy = np.concatenate([p[0] for p in parts])
    sizes = np.concatenate([p[1] for p in parts])
    part = np.repeat(np.arange(sizes.size), sizes)
    keep = np.r_[True, (part[1:] != part[:-1]) | (xy[1:] != xy[:-1]).any(axis=1)]
    xy, part = xy[keep], part[keep]
    good = np.bincount(part, minlength=sizes.size)[part] >= 2
    xy, part = xy[good], part[good]
    if part.size == 0:
        return np.empty(0, dtype=object)
    _, part = np.unique(part, return_inverse=True)
    return shapely.linestrings(xy, indices=part)


def _one(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One line as a :func:`_lines` batch."""
    return xy, np.array([len(xy)])


def _stack(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(m, k, 2)`` lines of ``k`` points each as a :func:`_lines` batch."""
    return xy.reshape(-1, 2), np.full(xy.shape[0], xy.shape[1])


def build_road_network(
    roads: gpd.GeoDataFrame, ports: gpd.GeoDataFrame, snap_m: float = SNAP_M
) -> RoadNetwork:
    """Build the road graph and run one Dijkstra search per seaport.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road lines (EPSG:4326) with column ``fclass``; classes in
        :data:`ROUTABLE_ROAD_CLASSES` are used (all rows when ``fclass`` is absent).
    ports : geopandas.GeoDataFrame
        Ports layer (``id, name, kind``); only ``kind == 'seaport'`` rows are routed to.
    snap_m : float
        Dangling line ends within this many metres of another segment are joined to it.

    Returns
    -------
    RoadNetwork
    """
    if roads is not None and len(roads) and "fclass" in roads.columns:
        roads = roads[roads["fclass"].isin(ROUTABLE_ROAD_CLASSES)]
    geoms = roads.geometry.values if roads is not None and len(roads) else np.empty(0, object)
    g = _build_graph(np.asarray(geoms, dtype=object), snap_m=snap_m)
    sp = _seaports(ports)
    node, leg = g.nearest_node(sp["lon"].to_numpy(), sp["lat"].to_numpy())
    has = node >= 0
    sp = sp[has].reset_index(drop=True)
    node, leg = node[has], leg[has]
    if node.size:
        dist, pred = csgraph.dijkstra(g.csr, directed=False, indices=node,
                                      return_predecessors=True)
        dist = np.atleast_2d(dist)
        pred = np.atleast_2d(pred)
        reach_comp = np.unique(g.comp[node])
        seg_idx = np.flatnonzero(np.isin(g.comp[g.u], reach_comp))
    else:
        dist = np.empty((0, g.n_nodes))
        pred = np.empty((0, g.n_nodes), dtype=np.int32)
        seg_idx = np.empty(0, dtype=np.int64)
    tree = None
    if seg_idx.size:
        a, b = g.u[seg_idx], g.v[seg_idx]
        tree = SegmentIndex(np.column_stack([g.x[a], g.y[a]]), np.column_stack([g.x[b], g.y[b]]))
    total = float(g.comp_length.sum())
    share = float(g.comp_length.max()) / total if total > 0 else 0.0
    return RoadNetwork(
        graph=g, ports=sp, port_node={str(p): int(n) for p, n in zip(sp["id"], node, strict=True)},
        port_leg_km=np.asarray(leg, dtype=float), dist=dist, pred=pred,
        largest_component_share=share, _seg_tree=tree, _seg_idx=seg_idx,
    )


# --------------------------------------------------------------------------------------------
# rail network


@dataclass
class RailNetwork:
    """Active-rail graph with one shortest-path tree per rail-connected seaport.

    Attributes
    ----------
    graph : _Graph
    ports : pandas.DataFrame
        Rail-connected seaports (``id, name, lon, lat``).
    port_node : dict[str, int]
        Rail terminal node per rail-connected seaport id.
    station_names : numpy.ndarray
        Station names in the order of the stations layer.
    station_node : numpy.ndarray
        Rail node of each station (-1 when further than :data:`STATION_SNAP_KM` from active rail).
    station_haul_km : numpy.ndarray
        Rail distance from each station to the nearest port terminal (NaN if not connected).
    station_port : numpy.ndarray
        Name of that port (None if not connected).
    largest_component_share : float
    """

    graph: _Graph
    ports: pd.DataFrame
    port_node: dict[str, int]
    station_names: np.ndarray
    station_lon: np.ndarray
    station_lat: np.ndarray
    station_node: np.ndarray
    station_haul_km: np.ndarray
    station_port: np.ndarray
    largest_component_share: float

    def components_summary(self) -> dict:
        """Nodes, edges, components, km, largest-component share, ports on largest component,
        and how many stations reach a port by rail."""
        out = _components_summary(self.graph, self.port_node)
        out["stations"] = int(self.station_names.size)
        out["stations_on_rail"] = int((self.station_node >= 0).sum())
        out["stations_reaching_port"] = int(np.isfinite(self.station_haul_km).sum())
        return out

    def haul(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        """Nearest station (name, geodesic km) and its rail haul to a port, for many points.

        Returns a DataFrame with ``station_nearest, station_km, haul_rail_km, haul_rail_port``.
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        m = lon.size
        out = pd.DataFrame({
            "station_nearest": pd.Series([None] * m, dtype=object),
            "station_km": np.full(m, np.nan),
            "haul_rail_km": np.full(m, np.nan),
            "haul_rail_port": pd.Series([None] * m, dtype=object),
        })
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any() or self.station_names.size == 0:
            return out
        have = np.flatnonzero(np.isfinite(self.station_lon) & np.isfinite(self.station_lat))
        if have.size == 0:
            return out
        sx, sy = to_metric(self.station_lon[have], self.station_lat[have])
        tree = spatial.cKDTree(np.column_stack([sx, sy]))
        px, py = to_metric(lon[ok], lat[ok])
        _, st = tree.query(np.column_stack([px, py]), k=1)
        st = have[np.asarray(st, dtype=np.int64)]
        idx = np.flatnonzero(ok)
        out.loc[idx, "station_nearest"] = self.station_names[st]
        out.loc[idx, "station_km"] = geod_km(lon[ok], lat[ok], self.station_lon[st],
                                             self.station_lat[st])
        out.loc[idx, "haul_rail_km"] = self.station_haul_km[st]
        out.loc[idx, "haul_rail_port"] = self.station_port[st]
        return out


def _active_railways(railways: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if railways is None or len(railways) == 0:
        return railways
    if "active" in railways.columns:
        return railways[railways["active"].fillna(False).astype(bool)]
    if "status" in railways.columns:
        return railways[railways["status"].astype(str) == "active"]
    raise ValidationError(
        "railways layer: needs an 'active' (bool) or 'status' column to tell active lines apart"
    )


def build_rail_network(
    railways: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, ports: gpd.GeoDataFrame,
    snap_m: float = RAIL_SNAP_M,
) -> RailNetwork:
    """Build the active-rail graph, snap stations and seaports, one Dijkstra per rail port.

    Parameters
    ----------
    railways : geopandas.GeoDataFrame
        Railway lines with ``active`` (bool; ``status == 'active'`` is accepted instead).
    stations : geopandas.GeoDataFrame
        Station points with ``name``.
    ports : geopandas.GeoDataFrame
        Ports layer; seaports with an active rail node within :data:`PORT_RAIL_KM` get a
        terminal.
    snap_m : float
        Dangling-end snapping tolerance in metres.

    Returns
    -------
    RailNetwork
    """
    act = _active_railways(railways)
    geoms = act.geometry.values if act is not None and len(act) else np.empty(0, object)
    g = _build_graph(np.asarray(geoms, dtype=object), snap_m=snap_m)
    sp = _seaports(ports)
    node, leg = g.nearest_node(sp["lon"].to_numpy(), sp["lat"].to_numpy())
    conn = (node >= 0) & (leg <= PORT_RAIL_KM)
    sp = sp[conn].reset_index(drop=True)
    node = node[conn]

    if stations is not None and len(stations):
        if "name" not in stations.columns:
            raise ValidationError("rail_stations layer: column 'name' is missing")
        # arrays stay aligned with the stations layer (row i = station i); a row without
        # geometry gets NaN coordinates and is never on the graph
        geom = np.asarray(stations.geometry.values, dtype=object)
        valid = ~shapely.is_missing(geom)
        valid[valid] = ~shapely.is_empty(geom[valid])
        s_lon = np.full(geom.size, np.nan)
        s_lat = np.full(geom.size, np.nan)
        pts = shapely.point_on_surface(geom[valid])
        s_lon[valid], s_lat[valid] = shapely.get_x(pts), shapely.get_y(pts)
        names = stations["name"].astype(object)
        s_names = names.where(names.notna(), None).to_numpy(dtype=object)
    else:
        s_lon = s_lat = np.empty(0)
        s_names = np.empty(0, dtype=object)
    s_node, s_km = g.nearest_node(s_lon, s_lat)
    s_node = np.where(s_km <= STATION_SNAP_KM, s_node, -1)
    s_haul = np.full(s_lon.size, np.nan)
    s_port = np.full(s_lon.size, None, dtype=object)
    if node.size and s_lon.size:
        dist = np.atleast_2d(csgraph.dijkstra(g.csr, directed=False, indices=node))
        on = s_node >= 0
        d = dist[:, s_node[on]]
        finite = np.isfinite(d).any(axis=0)
        best = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=0)
        idx = np.flatnonzero(on)
        s_haul[idx] = np.where(finite, d[best, np.arange(best.size)], np.nan)
        s_port[idx] = np.where(finite, sp["name"].to_numpy(dtype=object)[best], None)
    total = float(g.comp_length.sum())
    share = float(g.comp_length.max()) / total if total > 0 else 0.0
    return RailNetwork(
        graph=g, ports=sp, port_node={str(p): int(n) for p, n in zip(sp["id"], node, strict=True)},
        station_names=s_names, station_lon=np.asarray(s_lon, float),
        station_lat=np.asarray(s_lat, float), station_node=s_node, station_haul_km=s_haul,
        station_port=s_port, largest_component_share=share,
    )


@dataclass
class Networks:
    """Road and rail networks built once per :func:`mineralmap.enrich.enrich` call."""

    road: RoadNetwork | None
    rail: RailNetwork | None


def _layer(layers: Mapping[str, gpd.GeoDataFrame], name: str) -> gpd.GeoDataFrame | None:
    lyr = layers.get(name)
    if lyr is None or len(lyr) == 0:
        return None
    return lyr


def build_networks(layers: Mapping[str, gpd.GeoDataFrame]) -> Networks:
    """Build both networks from a layers mapping (``roads``, ``railways``, ``rail_stations``,
    ``ports``); a network whose lines or ports are missing/empty is None."""
    roads, ports = _layer(layers, "roads"), _layer(layers, "ports")
    rails, stations = _layer(layers, "railways"), _layer(layers, "rail_stations")
    road = build_road_network(roads, ports) if roads is not None and ports is not None else None
    rail = None
    if rails is not None and ports is not None:
        rail = build_rail_network(rails, stations, ports)
    return Networks(road=road, rail=rail)
