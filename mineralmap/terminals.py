"""Ports and terminals as the pages ask for them: the port id behind a port name, the minor
ports offered as candidate-terminal sites, the road route of one occurrence to its port, the
scenario and traceability inputs for a set of occurrence ids, and the network summaries.

Functions take frames and networks (never a Streamlit object); :mod:`mineralmap.ui.cache`
caches them by the catalog key and plain values.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from mineralmap import params, scenario
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


# ---------------------------------------------------------------------------- candidate input


def _in_band(lon: float, lat: float, band: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = band
    return x0 <= lon <= x1 and y0 <= lat <= y1


def check_candidate_input(lon: float | None, lat: float | None,
                          band: tuple[float, float, float, float] = scenario.COASTAL_BAND
                          ) -> tuple[tuple[float, float] | None, str | None, bool]:
    """Read the two typed coordinates of a candidate terminal; say what is wrong, never raise.

    The coastal band and coast distance are checked later by
    :func:`mineralmap.scenario.validate_candidate`; this catches what a person typing numbers
    gets wrong: one number missing, a value that is no longitude or latitude, and latitude and
    longitude typed the other way round.

    Parameters
    ----------
    lon, lat
        The typed longitude and latitude (None when the field is empty).
    band
        The coastal band ``(lon_min, lat_min, lon_max, lat_max)`` a candidate must lie in.

    Returns
    -------
    tuple[tuple[float, float] | None, str | None, bool]
        ``(lon, lat)`` to use (None when unusable), a message (None when there is nothing to
        say) and whether the message is an error (False: a hint, e.g. both fields empty).
    """
    x0, y0, x1, y1 = band
    where = f"Pakistan's coast is at longitude {x0}–{x1} °E, latitude {y0}–{y1} °N"
    if lon is None and lat is None:
        return None, "Enter both coordinates to add the candidate.", False
    if lon is None or lat is None:
        missing = "longitude" if lon is None else "latitude"
        return None, f"Enter the {missing} too ({where}).", False
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError, OverflowError):
        return None, f"The coordinates must be numbers ({where}).", True
    if not (math.isfinite(x) and math.isfinite(y)):
        return None, f"The coordinates must be finite numbers ({where}).", True
    problems = []
    if not -180 <= x <= 180:
        problems.append(f"longitude {x:g} is not a longitude (it must lie between −180 and "
                        "180 °E)")
    if not -90 <= y <= 90:
        problems.append(f"latitude {y:g} is not a latitude (it must lie between −90 and 90 °N)")
    swapped = not _in_band(x, y, band) and _in_band(y, x, band)
    if swapped:
        return None, (f"Longitude {x:g} and latitude {y:g} look swapped: did you mean longitude "
                      f"{y:g} °E, latitude {x:g} °N? ({where}.)"), True
    if problems:
        text = "; ".join(problems)
        return None, f"{text[0].upper()}{text[1:]}. {where}.", True
    return (x, y), None, False


@dataclass(frozen=True)
class CandidateLink:
    """The candidate terminal a link asks for: a minor-port ``site`` or a typed ``lonlat``,
    and its ``name`` (None: the default name)."""

    site: str | None = None
    lonlat: tuple[float, float] | None = None
    name: str | None = None

    def to_params(self) -> dict[str, str]:
        """Query parameters of this candidate (``cand_site`` or ``cand``, and ``cand_name``)."""
        out: dict[str, str] = {}
        if self.site is not None:
            out["cand_site"] = self.site
        elif self.lonlat is not None:
            out["cand"] = ",".join(params.fmt_number(v) for v in self.lonlat)
        if (out and self.name and self.name != CANDIDATE_NAME
                and self.name != site_name(self.site)):
            out["cand_name"] = self.name
        return out


def site_name(site: str | None) -> str:
    """Default name of a candidate placed at a minor port."""
    return f"Candidate at {site}" if site else CANDIDATE_NAME


def candidate_from_params(query: Mapping[str, str | Sequence[str]], sites: Collection[str]
                          ) -> tuple[CandidateLink | None, list[str]]:
    """The candidate terminal a link asks for; never raises.

    ``cand_site`` must be one of ``sites`` (the minor ports offered); ``cand=lon,lat`` must be
    two finite numbers (whether they make a valid terminal is said by the page, as for typed
    values); ``cand_name`` is kept as text (at most :data:`mineralmap.scenario.MAX_NAME_CHARS`
    characters, shown escaped).

    Returns
    -------
    tuple[CandidateLink | None, list[str]]
        The candidate (None when the link has none usable) and one note per ignored value.
    """
    notes: list[str] = []
    site = params.first_value(query, "cand_site")
    raw = params.first_value(query, "cand")
    name = params.first_value(query, "cand_name")
    if name is not None:
        name = " ".join("".join(c if c.isprintable() else " " for c in name).split())
        name = name[:scenario.MAX_NAME_CHARS].strip() or None
    link: CandidateLink | None = None
    if site is not None:
        if site in set(sites):
            link = CandidateLink(site=site, name=name)
        else:
            notes.append(f"ignored unknown candidate site {params.quote_value(site)}")
    if link is None and raw is not None:
        lonlat = params.parse_floats(raw, 2)
        if lonlat is None or any(abs(v) > 1000 for v in lonlat):
            notes.append(f"ignored candidate {params.quote_value(raw)} (expected lon,lat in "
                         "degrees)")
        else:
            link = CandidateLink(lonlat=(lonlat[0], lonlat[1]), name=name)
    if link is None and name is not None and site is None and raw is None:
        notes.append("ignored cand_name: the link names no candidate (cand or cand_site)")
    return link, notes
