"""A way forward from an empty result: which distance limit keeps every row out, the nearest
row it keeps out, and the limit that would let it in.

UI-free. ``"0 Sb occurrences within 300 km of a seaport by road"`` becomes ``"The nearest is
Kharan, 564 km by road"`` plus a wider limit the page can offer; every number is computed from
the data with the same filter the page uses (:func:`mineralmap.filters.apply`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mineralmap import filters
from mineralmap.filters import FilterSpec
from mineralmap.summary import md_escape

__all__ = ["LIMITS", "NearMiss", "message_markdown", "near_misses", "widened_limit"]

#: Distance limits of :class:`~mineralmap.filters.FilterSpec`: field -> (what it measures,
#: rounding step of the widened limit in km).
LIMITS: dict[str, tuple[str, float]] = {
    "max_port_km": ("to a seaport by road", 10.0),
    "max_rail_km": ("to an active railway", 5.0),
    "max_road_km": ("to a primary road", 5.0),
}


@dataclass(frozen=True)
class NearMiss:
    """The nearest row that one distance limit keeps out.

    Attributes
    ----------
    field
        The limit (a key of :data:`LIMITS`).
    what
        What it measures (``"to a seaport by road"``).
    limit_km
        The limit now.
    nearest_km
        That row's distance (the measure the filter uses).
    name, occ_id
        That row.
    widened_km
        :func:`widened_limit` of ``nearest_km``: with it the filter keeps at least that row.
    count
        Rows the filter keeps with ``widened_km`` (computed, at least 1).
    """

    field: str
    what: str
    limit_km: float
    nearest_km: float
    name: str
    occ_id: str
    widened_km: float
    count: int


def _distance(df: pd.DataFrame, field: str) -> pd.Series:
    """The distance a limit is checked against (see :class:`~mineralmap.filters.FilterSpec`:
    road haul to a seaport, straight line where no haul is known)."""
    def num(col: str) -> pd.Series:
        if col not in df.columns:
            return pd.Series(np.nan, index=df.index)
        return pd.to_numeric(df[col], errors="coerce")

    if field == "max_port_km":
        road = num("haul_road_km")
        return road.where(road.notna(), num("port_nearest_km"))
    return num("rail_km" if field == "max_rail_km" else "road_primary_km")


def widened_limit(nearest_km: float, step: float) -> float:
    """``nearest_km`` rounded up to a multiple of ``step`` (a round number that admits it)."""
    if not math.isfinite(nearest_km) or nearest_km <= 0:
        return float(step)
    out = float(math.ceil(nearest_km / step) * step)
    return out if out >= nearest_km else out + float(step)


def near_misses(df: pd.DataFrame, spec: FilterSpec) -> list[NearMiss]:
    """For each distance limit of ``spec`` that alone keeps every row out: the nearest row.

    Parameters
    ----------
    df
        All occurrences (enriched).
    spec
        The filter that kept no row.

    Returns
    -------
    list[NearMiss]
        Empty when ``spec`` keeps rows, or when no single limit is the reason (the other
        filters match nothing either).
    """
    if len(filters.apply(df, spec)[0]):
        return []
    out = []
    for field, (what, step) in LIMITS.items():
        limit = getattr(spec, field)
        if limit is None:
            continue
        relaxed, _ = filters.apply(df, dataclasses.replace(spec, **{field: None}))
        dist = _distance(relaxed, field).dropna()
        if dist.empty:
            continue
        i = dist.idxmin()
        nearest = float(dist.loc[i])
        widened = max(widened_limit(nearest, step), float(limit))
        count = len(filters.apply(df, dataclasses.replace(spec, **{field: widened}))[0])
        if count == 0:  # pragma: no cover - the filter and _distance measure the same thing
            continue
        row = relaxed.loc[i]
        name = str(row.get("name", "")) or str(row.get("id", ""))
        out.append(NearMiss(field, what, float(limit), nearest, name, str(row.get("id", "")),
                            widened, count))
    return out


def message_markdown(miss: NearMiss) -> str:
    """``"The nearest is **Kharan** (SB-003), 564 km to a seaport by road (limit 300 km)."``
    with the name escaped for Markdown."""
    return (f"The nearest is **{md_escape(miss.name)}** ({md_escape(miss.occ_id)}), "
            f"{miss.nearest_km:,.0f} km {miss.what} (limit {miss.limit_km:,.0f} km).")
