"""Export-terminal scenario and traceability indicators.

Port comparison
---------------
:func:`compare_ports` routes every mapped occurrence over the road graph of
:mod:`mineralmap.network` to each seaport (Karachi, Port Qasim, Gwadar) and, optionally, to a
user-entered *candidate terminal* on the coast, and assigns each occurrence to the terminal it
reaches by the shortest road haul. This module only composes: every graph operation (placing
points on the roads, shortest-path trees, adding the candidate, route geometry) is a method of
:class:`~mineralmap.network.RoadNetwork`.

* Road haul to a terminal is exactly :meth:`RoadNetwork.haul`'s ``haul_road_km``: network
  distance from the road point nearest the occurrence to the terminal's road point, plus the
  straight geodesic leg from that road point to the terminal. The occurrence's own access leg
  (``access_km``, occurrence to the nearest road) is reported per occurrence but not included in
  the totals: it is the same whichever terminal is chosen.
* A candidate terminal is snapped onto the nearest road segment of a component that reaches a
  seaport (a virtual node splits that segment) and one extra Dijkstra search runs from it
  (:meth:`RoadNetwork.add_terminal`). The straight geodesic leg from the candidate to that road
  point (its *access leg*) is added to every haul to the candidate and reported in the notes.
  An occurrence whose road point lies on the very segment the candidate snapped to is routed
  along that segment when that is shorter.
* Totals, medians and the assignment need no geometry. With ``with_routes`` the road routes of
  every routed occurrence are merged per terminal along its shortest-path tree
  (:attr:`ScenarioResult.tree_routes`, each road stretch once; :func:`drawn_routes` simplifies
  them for the map), and full per-occurrence routes are built for at most ``max_routes``
  occurrences plus any asked for by id (:attr:`ScenarioResult.routes`).
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
the nearest crossing is computed as well (``crossing_road_km``, by default to crossings into
Afghanistan) and a like-for-like flag ``crossing_closer_by_road`` is added. Both are *geographic indicators* of where cross-border
flows would be cheap, not evidence that any ore crosses the border.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from mineralmap._geo import geod_km
from mineralmap.errors import MineralmapError, ValidationError
from mineralmap.network import RoadNetwork, RoadPoints, Terminal

#: (lon_min, lat_min, lon_max, lat_max) a candidate terminal must fall in (see module doc).
COASTAL_BAND: tuple[float, float, float, float] = (61.5, 23.5, 68.8, 25.9)
#: Terminal id used for the candidate in column names (``haul_candidate_km``).
CANDIDATE_ID = "candidate"
#: Name of the candidate when the user gives none.
CANDIDATE_NAME = "Candidate terminal"
#: An access leg shorter than this (km) counts as "on the road network".
ON_NETWORK_KM = 0.1
#: Full per-occurrence routes built by :func:`compare_ports` by default (besides selected ones).
MAX_ROUTES = 50
#: Longest candidate name kept (characters).
MAX_NAME_CHARS = 80

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
        (terminal name, full route: access leg, road, terminal leg) for a few routed
        occurrences: those asked for by id and up to ``max_routes`` more (see
        :func:`compare_ports`).
    terminals : pandas.DataFrame
        ``port_id, port, lon, lat, candidate`` of the terminals compared.
    candidate_access_km : float or None
        Length of the candidate's straight access leg to the road network.
    tree_routes : list[tuple[str, shapely.Geometry]]
        (terminal name, MultiLineString) per terminal: the road routes of every occurrence
        assigned to it, merged along the terminal's shortest-path tree (every road stretch
        once, access legs left out). For drawing; see :func:`drawn_routes`.
    """

    per_occurrence: pd.DataFrame
    per_port: pd.DataFrame
    notes: list[str]
    routes: list[tuple[str, LineString]] = field(default_factory=list)
    terminals: pd.DataFrame = field(default_factory=pd.DataFrame)
    candidate_access_km: float | None = None
    tree_routes: list[tuple[str, shapely.Geometry]] = field(default_factory=list)


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
    except (TypeError, ValueError, IndexError, KeyError, OverflowError) as exc:
        raise ScenarioError(
            f"candidate terminal must be (longitude, latitude) in degrees, got {candidate!r:.60}"
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
# comparison: inputs


def _check_columns(occ: pd.DataFrame) -> None:
    missing = [c for c in ("id", "name", "lon", "lat") if c not in occ.columns]
    if missing:
        raise ScenarioError(f"occurrence table lacks column(s) {missing}")


def _weights(occ: pd.DataFrame, weights: str | None) -> np.ndarray | None:
    """The weight column as floats (NaN = no value), or None when no weights are asked for."""
    if weights is None:
        return None
    if weights not in occ.columns:
        raise ScenarioError(
            f"weight column {weights!r} not in the occurrence table; "
            f"numeric columns are e.g. {[c for c in occ.columns if c.endswith('_t')]}"
        )
    w = pd.to_numeric(occ[weights], errors="coerce").to_numpy(dtype=float)
    if (w[np.isfinite(w)] < 0).any():
        raise ScenarioError(f"weight column {weights!r} has negative values")
    return w


def _seaports(net: RoadNetwork, ports: pd.DataFrame | None) -> list[Terminal]:
    """The network's seaport terminals listed in ``ports`` (kind ``seaport``); all when None."""
    terms = net.terminals()
    if ports is None:
        return terms
    if "id" not in ports.columns:
        raise ScenarioError(f"ports table has no 'id' column (has {list(ports.columns)})")
    p = ports
    if "kind" in p.columns:
        p = p[p["kind"].astype(str) == "seaport"]
    wanted = set(p["id"].astype(str))
    return [t for t in terms if t.id in wanted]


def candidate_label(name: object, taken: list[str]) -> str:
    """The candidate's display name: trimmed, control characters removed, at most
    :data:`MAX_NAME_CHARS` characters, :data:`CANDIDATE_NAME` when empty, and marked
    ``(candidate)`` when it equals a seaport's name in ``taken``."""
    text = "" if name is None else str(name)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    text = text[:MAX_NAME_CHARS].strip() or CANDIDATE_NAME
    return f"{text} (candidate)" if text in taken else text


def _terminal_at(net: RoadNetwork, at: tuple[float, float], tid: str, name: str) -> Terminal:
    """:meth:`RoadNetwork.add_terminal`, its error as a :class:`ScenarioError`."""
    try:
        return net.add_terminal(at[0], at[1], tid, name)
    except ValidationError as exc:
        raise ScenarioError(str(exc)) from exc


def _candidate_access_note(term: Terminal) -> str:
    if term.leg_km >= ON_NETWORK_KM:
        return (f"{term.name} is {term.leg_km:,.1f} km off the road network; connected by a "
                "straight access leg, included in every haul to it.")
    return f"{term.name} lies on the road network."


# --------------------------------------------------------------------------------------------
# comparison: results


@dataclass(frozen=True)
class _Assignment:
    """Each occurrence's hauls to every terminal and the terminal it is assigned to."""

    hauls: np.ndarray  # (terminals, occurrences) km, NaN = unreachable
    mapped: np.ndarray  # bool per occurrence
    reach: np.ndarray  # bool: reaches at least one terminal
    best: np.ndarray  # terminal index with the shortest haul

    @property
    def routed(self) -> np.ndarray:
        """Positions of the occurrences that are mapped and reach a terminal."""
        return np.flatnonzero(self.mapped & self.reach)


def _assign(net: RoadNetwork, terms: list[Terminal], pts: RoadPoints) -> _Assignment:
    m = len(pts)
    hauls = (np.vstack([net.haul_to(t, pts) for t in terms]) if terms
             else np.full((0, m), np.nan))
    reach = np.isfinite(hauls).any(axis=0)
    best = (np.argmin(np.where(np.isfinite(hauls), hauls, np.inf), axis=0) if terms
            else np.zeros(m, dtype=np.int64))
    mapped = np.isfinite(pts.lon) & np.isfinite(pts.lat)
    return _Assignment(hauls, mapped, reach, best)


def _coverage_notes(ids: pd.Series, a: _Assignment) -> list[str]:
    notes = []
    if (~a.mapped).any():
        notes.append(f"{int((~a.mapped).sum())} occurrence(s) without a coordinate left out: "
                     f"{_list(ids[~a.mapped])}.")
    unreach = a.mapped & ~a.reach
    if unreach.any():
        notes.append(f"{int(unreach.sum())} mapped occurrence(s) reach no terminal by road, "
                     f"left out: {_list(ids[unreach])}.")
    return notes


def _per_occurrence(occ: pd.DataFrame, ids: pd.Series, terms: list[Terminal], pts: RoadPoints,
                    a: _Assignment, w: np.ndarray | None) -> pd.DataFrame:
    idx = a.routed
    bsel = a.best[idx]
    tids = np.array([t.id for t in terms], dtype=object)
    names = np.array([t.name for t in terms], dtype=object)
    out = pd.DataFrame({
        "id": ids[idx].to_numpy(),
        "name": occ["name"].astype(str).to_numpy()[idx],
        "lon": pts.lon[idx],
        "lat": pts.lat[idx],
        "port_id": tids[bsel] if terms else np.empty(0, object),
        "port": names[bsel] if terms else np.empty(0, object),
        "haul_km": a.hauls[bsel, idx] if terms else np.empty(0),
        "access_km": pts.access_km[idx],
    })
    for i, t in enumerate(terms):
        out[f"haul_{t.id}_km"] = a.hauls[i, idx]
    out["weight"] = w[idx] if w is not None else np.nan
    return out


def _weight_note(per_occ: pd.DataFrame, weights: str | None) -> list[str]:
    if weights is None:
        return []
    no_w = ~np.isfinite(per_occ["weight"].to_numpy(dtype=float))
    if not no_w.any():
        return []
    return [f"{int(no_w.sum())} of {len(per_occ)} routed occurrence(s) have no {weights} value "
            "and are left out of the weighted totals (t·km)."]


def _candidate_note(per_occ: pd.DataFrame, a: _Assignment, name: str) -> str:
    """What the candidate (the last terminal) wins against the nearest existing seaport."""
    idx = a.routed
    won = per_occ["port_id"].to_numpy() == CANDIDATE_ID
    if not won.any():
        return f"{name} is not nearest by road for any of the {len(per_occ)} routed occurrence(s)."
    sea = a.hauls[:-1][:, idx[won]]
    saved = np.min(np.where(np.isnan(sea), np.inf, sea), axis=0) - a.hauls[-1, idx[won]]
    saved = saved[np.isfinite(saved)]
    median = np.median(saved) if saved.size else float("nan")
    return (f"{name} is nearest by road for {int(won.sum())} of {len(per_occ)} occurrence(s), "
            f"{saved.sum():,.0f} km less road haul in total (median {median:,.0f} km each) "
            "than their nearest existing seaport.")


def _drawn_points(per_occ: pd.DataFrame, a: _Assignment, max_routes: int,
                  route_ids: tuple[str, ...]) -> np.ndarray:
    """Positions (into ``occ``) of the occurrences that get a full route: the selected ones,
    then the heaviest (weighted) or first routed occurrences up to ``max_routes``."""
    idx = a.routed
    chosen = np.isin(per_occ["id"].to_numpy(dtype=str), np.asarray(route_ids, dtype=str))
    w = per_occ["weight"].to_numpy(dtype=float)
    order = np.argsort(-np.where(np.isfinite(w), w, -np.inf), kind="stable")
    top = order[:max(0, int(max_routes))]
    pick = np.union1d(np.flatnonzero(chosen), top)
    return idx[np.sort(pick)]


def _routes(net: RoadNetwork, terms: list[Terminal], pts: RoadPoints, a: _Assignment,
            draw: np.ndarray) -> tuple[list[tuple[str, LineString]], list[tuple[str, shapely.Geometry]]]:
    """Full routes of the ``draw`` occurrences, and every routed occurrence's road route merged
    per terminal along its shortest-path tree."""
    lines: dict[int, LineString | None] = {}
    for k, t in enumerate(terms):
        mine = draw[a.best[draw] == k]
        lines.update(zip(mine.tolist(), net.routes_to(t, pts, mine), strict=True))
    routes = [(terms[a.best[j]].name, lines[j]) for j in draw.tolist() if lines[j] is not None]
    merged = []
    idx = a.routed
    for k, t in enumerate(terms):
        geom = net.tree_routes(t, pts, idx[a.best[idx] == k])
        if geom is not None:
            merged.append((t.name, geom))
    return routes, merged


def _list(ids: pd.Series, limit: int = 8) -> str:
    vals = [str(v) for v in ids]
    more = f" and {len(vals) - limit} more" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def compare_ports(
    occ: pd.DataFrame,
    net: RoadNetwork,
    ports: pd.DataFrame | None,
    candidate: tuple[float, float] | None,
    candidate_name: str = CANDIDATE_NAME,
    weights: str | None = None,
    *,
    bounds: tuple[float, float, float, float] = COASTAL_BAND,
    with_routes: bool = True,
    max_routes: int = MAX_ROUTES,
    route_ids: tuple[str, ...] = (),
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
        Label of the candidate (see :func:`candidate_label`).
    weights : str or None
        Column of ``occ`` holding a tonnage (t) per occurrence, e.g. ``ore_tonnage_t``; turns
        km totals into t·km. Rows without a value are left out of the weighted totals.
    bounds : tuple of 4 floats
        Box the candidate must fall in, default :data:`COASTAL_BAND`.
    with_routes : bool
        Build route geometries: :attr:`ScenarioResult.tree_routes` (every routed occurrence,
        merged per terminal) and :attr:`ScenarioResult.routes` (full routes of a few).
    max_routes : int
        At most this many full routes in :attr:`ScenarioResult.routes` besides ``route_ids``:
        the heaviest occurrences when weighted, else the first in table order.
    route_ids : tuple of str
        Occurrence ids whose full route is always built (e.g. the one selected on the map).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ScenarioError
        Invalid candidate, unknown/negative weight column, no seaport to compare, or a
        missing ``id``/``name``/``lon``/``lat`` column.
    """
    _check_columns(occ)
    cand = validate_candidate(candidate, bounds) if candidate is not None else None
    w = _weights(occ, weights)
    terms = _seaports(net, ports)
    if not terms and cand is None:
        raise ScenarioError("no seaport to compare: the road network reaches none of the ports")
    notes: list[str] = []
    if cand is not None:
        name = candidate_label(candidate_name, [t.name for t in terms])
        terms.append(_terminal_at(net, cand, CANDIDATE_ID, name))
        notes.append(_candidate_access_note(terms[-1]))

    pts = net.locate(pd.to_numeric(occ["lon"], errors="coerce").to_numpy(dtype=float),
                     pd.to_numeric(occ["lat"], errors="coerce").to_numpy(dtype=float))
    a = _assign(net, terms, pts)
    ids = occ["id"].astype(str).reset_index(drop=True)
    notes += _coverage_notes(ids, a)
    per_occ = _per_occurrence(occ, ids, terms, pts, a, w)
    notes += _weight_note(per_occ, weights)
    terminals = pd.DataFrame({
        "port_id": [t.id for t in terms], "port": [t.name for t in terms],
        "lon": [t.lon for t in terms], "lat": [t.lat for t in terms],
        "candidate": [t.id == CANDIDATE_ID for t in terms],
    })
    per_port = _per_port(per_occ, terminals, weighted=w is not None)
    if cand is not None and len(terms) > 1:
        notes.append(_candidate_note(per_occ, a, terms[-1].name))
    routes, merged = [], []
    if with_routes:
        routes, merged = _routes(net, terms, pts, a,
                                 _drawn_points(per_occ, a, max_routes, tuple(route_ids)))
    return ScenarioResult(
        per_occurrence=per_occ, per_port=per_port, notes=notes, routes=routes,
        terminals=terminals, candidate_access_km=terms[-1].leg_km if cand is not None else None,
        tree_routes=merged,
    )


def _per_port(per_occ: pd.DataFrame, terminals: pd.DataFrame, weighted: bool) -> pd.DataFrame:
    tids = list(terminals["port_id"])
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
    out = terminals[["port_id", "port", "candidate", "lon", "lat"]].copy()
    out["occurrences"] = count.reindex(idx, fill_value=0).to_numpy(dtype=np.int64)
    out["total_haul_km"] = total.reindex(idx, fill_value=0.0).to_numpy(dtype=float)
    out["median_haul_km"] = median.reindex(idx).to_numpy(dtype=float)
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
    if lon.size == 0 or len(c_names) == 0:
        return np.full(lon.size, None, dtype=object), np.full(lon.size, np.nan)
    located = net.locate(lon, lat)
    d = np.full((len(c_names), lon.size), np.nan)
    for i in range(len(c_names)):  # one Dijkstra per crossing (a handful)
        if np.isfinite(c_lon[i]) and np.isfinite(c_lat[i]):
            term = _terminal_at(net, (c_lon[i], c_lat[i]), f"crossing_{i}", c_names[i])
            d[i] = net.haul_to(term, located)
    reach = np.isfinite(d).any(axis=0)
    best = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=0)
    km = np.where(reach, d[best, np.arange(lon.size)], np.nan)
    return np.where(reach, c_names[best], None), km


# --------------------------------------------------------------------------------------------
# drawing


def drawn_routes(result: ScenarioResult, simplify_deg: float = 0.001
                 ) -> list[tuple[str, shapely.Geometry]]:
    """The routes of a comparison ready to draw: one simplified geometry per terminal.

    :attr:`ScenarioResult.tree_routes` (every routed occurrence, merged along the shortest-path
    tree), each part simplified by ``simplify_deg`` degrees (default 0.001, about 100 m).
    The cost grows with the road length drawn, not with the number of occurrences.

    Parameters
    ----------
    result : ScenarioResult
        From :func:`compare_ports` with ``with_routes=True``.
    simplify_deg : float
        Douglas-Peucker tolerance in degrees; 0 keeps every vertex.

    Returns
    -------
    list of (str, shapely geometry)
        (terminal name, MultiLineString) in the order of the terminals.
    """
    if simplify_deg <= 0:
        return list(result.tree_routes)
    return [(name, shapely.simplify(g, simplify_deg, preserve_topology=False))
            for name, g in result.tree_routes]


def merged_routes(
    routes: list[tuple[str, LineString]], simplify_deg: float = 0.001
) -> list[tuple[str, shapely.Geometry]]:
    """Routes merged per destination, shared stretches once: for drawing many routes cheaply.

    Routes to the same terminal share most of their length (the trunk roads). Each route is cut
    into its vertex-to-vertex segments, duplicate segments (same end points to 1e-6 degrees,
    either direction) are dropped, the rest are merged into lines (``line_merge``) and
    simplified by ``simplify_deg`` degrees (default 0.001, about 100 m). For the routes of
    every occurrence use :func:`drawn_routes`, which needs no per-route geometry.

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
            by.setdefault(name, []).extend(shapely.get_parts(g))
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
