"""Find a place by name in our own layers: occurrences, towns, districts, ports and border
crossings (no online geocoder), and the map view that goes there.

UI-free. :func:`places` builds the index once per catalog; :func:`find` ranks the places whose
name contains every word of the query (case, accents and punctuation ignored); :func:`view_for`
is the view the map flies to. Query text is user input (typed, or from a link): any string is
accepted and never raises; labels are plain text, :func:`label_markdown` escapes them for
Markdown.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mineralmap.summary import md_escape
from mineralmap.viewport import fit_bounds, focus_view

__all__ = ["KINDS", "MAX_QUERY_CHARS", "Place", "find", "label", "label_markdown", "normalise",
           "places", "view_for"]

#: Kinds of place, in the order they are ranked when names match equally well, with labels.
KINDS: dict[str, str] = {
    "occurrence": "occurrence",
    "town": "town",
    "district": "district",
    "port": "port",
    "crossing": "border crossing",
}
#: Longer queries are cut to this many characters (no name is longer).
MAX_QUERY_CHARS = 120
#: Zoom a search flies to, per kind (districts are fitted to their outline instead).
_ZOOM = {"occurrence": 9.0, "town": 10.0, "port": 10.0, "crossing": 10.0}
_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Place:
    """One searchable place.

    Attributes
    ----------
    kind
        A key of :data:`KINDS`.
    name
        Its name as the data spells it.
    lon, lat
        A point on (or in) the place, EPSG:4326.
    context
        Province, commodity or country: what tells two places of one name apart ('' if none).
    ref
        Occurrence id for an occurrence, '' otherwise.
    bounds
        ``(west, south, east, north)`` of a district, None for a point.
    rank
        Tie-breaker within a kind (larger first: a town's population).
    key
        Normalised name (see :func:`normalise`).
    """

    kind: str
    name: str
    lon: float
    lat: float
    context: str = ""
    ref: str = ""
    bounds: tuple[float, float, float, float] | None = None
    rank: float = 0.0
    key: str = ""


def normalise(text: object) -> str:
    """Lower case, accents removed, every run of other characters one space (``"Loe-Shilman"``
    and ``"loe shilman"`` are equal)."""
    s = unicodedata.normalize("NFKD", str(text)[:MAX_QUERY_CHARS * 4])
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    return _WORD.sub(" ", s).strip()


def _text(frame: pd.DataFrame, col: str) -> list[str]:
    if col not in frame.columns:
        return [""] * len(frame)
    return frame[col].astype(object).where(frame[col].notna(), "").astype(str).str.strip().tolist()


def _xy(frame: gpd.GeoDataFrame | pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if {"lon", "lat"} <= set(frame.columns):
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float, na_value=np.nan)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float, na_value=np.nan)
    else:
        lon = np.full(len(frame), np.nan)
        lat = np.full(len(frame), np.nan)
    if "geometry" in frame.columns and len(frame):
        geom = gpd.GeoSeries(frame["geometry"], index=frame.index)
        ok = geom.notna() & ~geom.is_empty
        pts = geom[ok].representative_point()
        gx, gy = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
        gx[ok.to_numpy()] = pts.x.to_numpy()
        gy[ok.to_numpy()] = pts.y.to_numpy()
        lon = np.where(np.isfinite(lon), lon, gx)
        lat = np.where(np.isfinite(lat), lat, gy)
    return lon, lat


def _point_places(kind: str, frame: pd.DataFrame, context: Sequence[str],
                  refs: Sequence[str] | None = None, rank: Sequence[float] | None = None
                  ) -> list[Place]:
    lon, lat = _xy(frame)
    names = _text(frame, "name")
    out = []
    for i, name in enumerate(names):
        if not name or not (math.isfinite(lon[i]) and math.isfinite(lat[i])):
            continue
        out.append(Place(kind, name, float(lon[i]), float(lat[i]), context[i],
                         refs[i] if refs is not None else "", None,
                         float(rank[i]) if rank is not None else 0.0, normalise(name)))
    return out


def places(occurrences: pd.DataFrame, layers: Mapping[str, gpd.GeoDataFrame]) -> list[Place]:
    """Every searchable place: mapped occurrences, towns, districts, ports, border crossings.

    Parameters
    ----------
    occurrences
        Occurrence frame (``id``, ``name``, ``lon``, ``lat``; ``commodity_group``,
        ``province_geo`` are shown as context when present). Rows without coordinates are left
        out (the map cannot go there).
    layers
        Catalog layers; ``towns``, ``districts``, ``ports`` and ``border_crossings`` are used
        when present.

    Returns
    -------
    list[Place]
    """
    out: list[Place] = []
    occ = occurrences
    ctx = [", ".join(p for p in parts if p) for parts in zip(
        _text(occ, "commodity_group"), _text(occ, "province_geo"), strict=True)]
    out += _point_places("occurrence", occ, ctx, refs=_text(occ, "id"))
    towns = layers.get("towns")
    if towns is not None and len(towns):
        pop = pd.to_numeric(towns["population"], errors="coerce").fillna(0).tolist() \
            if "population" in towns.columns else None
        out += _point_places("town", towns, [""] * len(towns), rank=pop)
    ports = layers.get("ports")
    if ports is not None and len(ports):
        kinds = ["seaport" if k == "seaport" else "minor port" for k in _text(ports, "kind")]
        out += _point_places("port", ports, kinds)
    crossings = layers.get("border_crossings")
    if crossings is not None and len(crossings):
        ctry = [f"to {c}" if c else "" for c in _text(crossings, "country")]
        out += _point_places("crossing", crossings, ctry)
    districts = layers.get("districts")
    if districts is not None and len(districts) and "district" in districts.columns:
        lon, lat = _xy(districts)
        names = _text(districts, "district")
        prov = _text(districts, "province")
        for i, geom in enumerate(districts.geometry.tolist()):
            if not names[i] or geom is None or geom.is_empty or not math.isfinite(lon[i]):
                continue
            b = tuple(float(v) for v in geom.bounds)
            out.append(Place("district", names[i], float(lon[i]), float(lat[i]), prov[i], "",
                             (b[0], b[1], b[2], b[3]), 0.0, normalise(names[i])))
    return out


def _score(key: str, words: list[str], query: str) -> int | None:
    """0 exact, 1 prefix, 2 every word starts a word of the name, 3 substrings; None no match."""
    if key == query:
        return 0
    if not all(w in key for w in words):
        return None
    if key.startswith(query):
        return 1
    name_words = key.split()
    if all(any(nw.startswith(w) for nw in name_words) for w in words):
        return 2
    return 3


def find(index: Sequence[Place], query: object, limit: int = 8) -> list[Place]:
    """Places whose name contains every word of ``query``, best first.

    Ranking: exact name, then name starting with the query, then every query word starting a
    word of the name, then substrings; ties by kind (:data:`KINDS` order), then by ``rank``
    (larger first), then by name.

    Parameters
    ----------
    index
        :func:`places`.
    query
        Any text (cut to :data:`MAX_QUERY_CHARS`); blank gives no result.
    limit
        Most results returned (at least 1).

    Returns
    -------
    list[Place]
    """
    q = normalise(str(query)[:MAX_QUERY_CHARS])
    if not q:
        return []
    words = q.split()
    order = {k: i for i, k in enumerate(KINDS)}
    scored = []
    for p in index:
        sc = _score(p.key, words, q)
        if sc is not None:
            scored.append((sc, order.get(p.kind, len(order)), -p.rank, p.key, p))
    scored.sort(key=lambda t: t[:4])
    return [t[-1] for t in scored[:max(int(limit), 1)]]


def label(place: Place) -> str:
    """Plain-text label: ``"Quetta · district, Balochistan"``."""
    kind = KINDS.get(place.kind, place.kind)
    ctx = f", {place.context}" if place.context else ""
    ref = f" ({place.ref})" if place.ref else ""
    return f"{place.name}{ref} · {kind}{ctx}"


def label_markdown(place: Place) -> str:
    """:func:`label` escaped for Markdown (names come from data files and uploads)."""
    return md_escape(label(place))


def view_for(place: Place) -> dict[str, float]:
    """The map view that shows the place: a district fitted to its outline, a point at a zoom
    of its kind."""
    if place.bounds is not None:
        return fit_bounds(place.bounds)
    return focus_view(place.lon, place.lat, _ZOOM.get(place.kind, 9.0))
