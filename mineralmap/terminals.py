"""Ports and terminals as the pages ask for them: the port id behind a port name, the minor
ports offered as candidate-terminal sites, the road route of one occurrence to its port, the
scenario and traceability inputs for a set of occurrence ids, and the network summaries.

Functions take frames and networks (never a Streamlit object); :mod:`mineralmap.ui.cache`
caches them by the catalog key and plain values.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from mineralmap import scenario
from mineralmap.network import RailNetwork, RoadNetwork
from mineralmap.scenario import ScenarioResult

#: Default name of a candidate terminal.
CANDIDATE_NAME = scenario.CANDIDATE_NAME


def port_id(ports: pd.DataFrame, name: object) -> str | None:
    """The id of the port called ``name`` (None when there is none, or ``name`` is not text)."""
    if not isinstance(name, str) or not name or len(ports) == 0:
        return None
    hit = ports.loc[ports["name"].astype(str) == name, "id"]
    return None if hit.empty else str(hit.iloc[0])


def minor_ports(ports: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """Minor ports (kind ``minor``) with a point: name -> (lon, lat), in layer order."""
    if len(ports) == 0 or "kind" not in ports.columns:
        return {}
    p = ports[(ports["kind"].astype(str) == "minor") & ports.geometry.notna()]
    return {str(n): (float(g.x), float(g.y)) for n, g in zip(p["name"], p.geometry, strict=True)}


def road_port(occ: pd.DataFrame, occ_id: str | None) -> tuple[float, float, str] | None:
    """(lon, lat, port name) of a mapped occurrence that reaches a port by road, else None."""
    if not occ_id:
        return None
    row = occ.loc[occ["id"].astype(str) == str(occ_id)]
    if row.empty or not bool(row["mapped"].iloc[0]):
        return None
    port = row["haul_road_port"].iloc[0]
    if not isinstance(port, str) or not port:
        return None
    return float(row["lon"].iloc[0]), float(row["lat"].iloc[0]), port


def occurrence_route(occ: pd.DataFrame, ports: pd.DataFrame, net: RoadNetwork,
                     occ_id: str) -> LineString | None:
    """Road route of the occurrence ``occ_id`` to the port it reaches by the shortest road.

    Returns None when the occurrence is unmapped, has no road port, or its port is not a port
    of ``net``.
    """
    start = road_port(occ, occ_id)
    if start is None:
        return None
    lon, lat, name = start
    pid = port_id(ports, name)
    if pid is None or pid not in set(net.ports["id"].astype(str)):
        return None
    return net.route(lon, lat, pid)


def rows_by_ids(occ: pd.DataFrame, ids: Iterable[str]) -> pd.DataFrame:
    """The occurrences with these ids as a plain DataFrame (geometry column dropped)."""
    sub = occ[occ["id"].astype(str).isin(set(map(str, ids)))]
    if isinstance(sub, gpd.GeoDataFrame):
        sub = sub.drop(columns=sub.geometry.name)
    return pd.DataFrame(sub)


def compare_terminals(occ: pd.DataFrame, ids: Iterable[str], net: RoadNetwork,
                      ports: pd.DataFrame, candidate: tuple[float, float] | None,
                      name: str = CANDIDATE_NAME, weights: str | None = None) -> ScenarioResult:
    """:func:`mineralmap.scenario.compare_ports` for the occurrences with these ids."""
    return scenario.compare_ports(rows_by_ids(occ, ids), net, ports, candidate, name, weights)


def traceability_rows(occ: pd.DataFrame, ids: Iterable[str], net: RoadNetwork,
                      crossings: pd.DataFrame) -> pd.DataFrame:
    """:func:`mineralmap.scenario.traceability` for the occurrences with these ids."""
    return scenario.traceability(rows_by_ids(occ, ids), net,
                                 crossings if len(crossings) else None)


def traceability_sentence(trace: pd.DataFrame) -> str:
    """One sentence counting the traceability flags, leading with the road-vs-road indicator."""
    def count(col: str) -> int | None:
        if col not in trace:
            return None
        return int(trace[col].fillna(False).astype(bool).sum())

    road, straight = count("crossing_closer_by_road"), count("crossing_closer_than_port")
    parts = [f"{len(trace)} antimony occurrence(s) in the current selection"]
    if road is not None:
        parts.append(f"{road} where the road to the nearest Afghan crossing is shorter than the "
                     "road haul to the nearest seaport")
    if straight is not None:
        parts.append(f"{straight} by the looser straight-line-vs-road indicator")
    return "; ".join(parts) + "."


def network_summaries(road: RoadNetwork, rail: RailNetwork) -> dict[str, dict]:
    """Connectivity summaries of the road and rail graphs (rows of the Data page's table)."""
    return {"road": road.components_summary(), "rail": rail.components_summary()}
