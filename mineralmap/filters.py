"""Occurrence filters as data: one frozen :class:`FilterSpec` shared by every page and the CLI.

A spec yields a boolean mask over the (enriched) occurrence table, one human sentence that says
what the mask keeps, and a flat ``dict[str, str]`` for ``st.query_params`` (and back, ignoring
unknown or invalid parameters with a note instead of failing).

Column rules
------------
* Province: ``province_geo`` (point in polygon) where known, else the stated ``province``.
* District: ``district_geo`` where known, else the stated ``district``.
* Commodity: a value matches the commodity group (``Sb``, ``REE``, ``other``) or the primary
  commodity code (``Cu``, ``Au`` ...); case-insensitive.
* Distance to port: ``haul_road_km`` (road haul to the nearest reachable seaport) where known,
  else ``port_nearest_km`` (straight line); :func:`apply` says which one was used.
* Distance to rail: ``rail_km``; distance to a primary road: ``road_primary_km``.
* Unmapped rows (no coordinates) never satisfy a distance filter; ``include_unmapped=False``
  drops them altogether.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from mineralmap._geo import has_geometry
from mineralmap.errors import FilterError
from mineralmap.schema import (
    COMMODITY_GROUP_ALIASES,
    COMMODITY_GROUPS,
    PRECISION_CLASSES,
    PROVINCES,
)

__all__ = [
    "FilterSpec",
    "PARAM_KEYS",
    "apply",
    "commodity_groups",
    "districts_in",
    "filter_options",
    "ids_in",
    "port_distance_basis",
]

_TUPLE_FIELDS = ("provinces", "districts", "commodities", "statuses", "precisions")
_DIST_FIELDS = ("max_port_km", "max_rail_km", "max_road_km")

#: Query-parameter key of every field (``st.query_params`` / URLs).
PARAM_KEYS: dict[str, str] = {
    "provinces": "province",
    "districts": "district",
    "commodities": "commodity",
    "statuses": "status",
    "precisions": "precision",
    "max_port_km": "max_port_km",
    "max_rail_km": "max_rail_km",
    "max_road_km": "max_road_km",
    "name_query": "q",
    "include_unmapped": "unmapped",
}
_FIELD_BY_KEY = {v: k for k, v in PARAM_KEYS.items()}


def unique_names(value: object, name: str, error: type[Exception] = FilterError,
                 what: str = "filter") -> tuple[str, ...]:
    """Stripped, non-empty, de-duplicated strings of a name or a list of names (first-seen order).

    Raises
    ------
    error
        ``value`` is neither None, a string nor an iterable (the message names the ``what``
        ``name``).
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise error(f"{what} '{name}' must be a list of names, got {value!r}")
    out: list[str] = []
    for v in value:
        s = str(v).strip()
        if s and s not in out:
            out.append(s)
    return tuple(out)


def ids_in(values: pd.Series, ids: Iterable[object]) -> np.ndarray:
    """Boolean mask: which of ``values`` are among ``ids`` (compared as text; a missing value
    is never among them).

    One set lookup per value: ``Series.isin`` (pyarrow strings) and ``Index.isin`` (objects)
    both cost about 0.6 s for 100,000 values against 100,000 ids; this takes milliseconds.
    """
    if isinstance(ids, pd.Series | pd.Index | np.ndarray):
        ids = pd.Series(ids).to_numpy(dtype=object)
    wanted = {str(i) for i in ids}
    have = values.to_numpy(dtype=object)
    hit = np.fromiter((str(v) in wanted for v in have), dtype=bool, count=len(have))
    return hit & ~pd.isna(have)


def _coalesce(df: pd.DataFrame, primary: str, fallback: str) -> pd.Series:
    """``df[primary]`` where it is a non-empty value, else ``df[fallback]`` (as strings)."""
    base = df[fallback] if fallback in df.columns else pd.Series(None, index=df.index, dtype=object)
    if primary not in df.columns:
        return base
    prim = df[primary]
    use = prim.notna() & (prim.astype(str).str.len() > 0)
    return prim.where(use, base)


def _isin_ci(values: pd.Series, wanted: Sequence[str]) -> pd.Series:
    low = {w.casefold() for w in wanted}
    return values.astype("string").str.casefold().isin(low).fillna(False).astype(bool)


def _mapped(df: pd.DataFrame) -> pd.Series:
    if "mapped" in df.columns:
        return df["mapped"].fillna(False).astype(bool)
    if "geometry" in df.columns:
        return pd.Series(has_geometry(df["geometry"].to_numpy(dtype=object)), index=df.index)
    if {"lon", "lat"} <= set(df.columns):
        return pd.to_numeric(df["lon"], errors="coerce").notna() & pd.to_numeric(
            df["lat"], errors="coerce"
        ).notna()
    return pd.Series(True, index=df.index)


def _port_km(df: pd.DataFrame) -> pd.Series:
    nan = pd.Series(np.nan, index=df.index)
    road = pd.to_numeric(df["haul_road_km"], errors="coerce") if "haul_road_km" in df else nan
    straight = (
        pd.to_numeric(df["port_nearest_km"], errors="coerce") if "port_nearest_km" in df else nan
    )
    return road.where(road.notna(), straight)


def commodity_group(commodity: pd.Series) -> pd.Series:
    """Map primary commodity strings to "Sb", "REE" or "other" (first ``;``/``,`` token; the
    spellings are :data:`mineralmap.schema.COMMODITY_GROUP_ALIASES`)."""
    tok = commodity.fillna("").astype(str).str.split(r"[;,]", regex=True).str[0].str.strip()
    up = tok.str.upper()
    grp = np.full(len(up), "other", dtype=object)
    for group, aliases in COMMODITY_GROUP_ALIASES.items():
        grp[up.isin(aliases).to_numpy(dtype=bool)] = group
    return pd.Series(grp, index=commodity.index, dtype=object)


def commodity_groups(df: pd.DataFrame) -> pd.Series:
    """Commodity group per row: ``commodity_group`` where known, else derived from ``commodity``.

    Returns
    -------
    pandas.Series
        ``"Sb"``, ``"REE"``, ``"other"`` (None when neither column is available).
    """
    if "commodity_group" in df.columns:
        grp = df["commodity_group"].astype(object)
        known = (grp.notna() & (grp.astype(str) != "")).to_numpy(bool)
    else:
        grp = pd.Series(None, index=df.index, dtype=object)
        known = np.zeros(len(df), dtype=bool)
    if known.all() or "commodity" not in df.columns:
        return grp
    grp = grp.copy()
    grp.iloc[~known] = commodity_group(df["commodity"].iloc[~known]).to_numpy(dtype=object)
    return grp


def port_distance_basis(df: pd.DataFrame) -> str:
    """Say which distance the port filter uses on ``df``.

    Returns
    -------
    str
        ``"road"`` (every mapped row has ``haul_road_km``), ``"straight"`` (none has) or
        ``"mixed"`` (road haul where known, straight line elsewhere).
    """
    mapped = _mapped(df)
    if "haul_road_km" not in df.columns:
        return "straight"
    road = pd.to_numeric(df["haul_road_km"], errors="coerce")[mapped]
    if len(road) == 0 or road.notna().all():
        return "road"
    return "straight" if road.isna().all() else "mixed"


def _fmt_km(v: float) -> str:
    return f"{v:g}"


def _join(items: Sequence[str], word: str = "or") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


@dataclass(frozen=True)
class FilterSpec:
    """Occurrence filter shared by the map page, the region page and the CLI.

    Every field is optional; an empty spec keeps every row. Lists are stored as tuples so that a
    spec is hashable (usable as a cache key).

    Parameters
    ----------
    provinces, districts
        Names to keep (``province_geo``/``district_geo`` where known, else the stated name).
    commodities
        Commodity groups (``"Sb"``, ``"REE"``, ``"other"``) or primary commodity codes.
    statuses, precisions
        Values of ``status`` and ``precision`` to keep.
    max_port_km
        Maximum road haul to a seaport (``haul_road_km``), straight line (``port_nearest_km``)
        where no road haul is known.
    max_rail_km, max_road_km
        Maximum straight-line distance to a railway (``rail_km``) and to a primary road
        (``road_primary_km``).
    name_query
        Case-insensitive substring of ``name``.
    include_unmapped
        Keep rows without coordinates (they never satisfy a distance filter).
    """

    provinces: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    max_port_km: float | None = None
    max_rail_km: float | None = None
    max_road_km: float | None = None
    name_query: str = ""
    include_unmapped: bool = True

    def __post_init__(self) -> None:
        for name in _TUPLE_FIELDS:
            object.__setattr__(self, name, unique_names(getattr(self, name), name))
        for name in _DIST_FIELDS:
            v = getattr(self, name)
            if v is None:
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise FilterError(f"{name} must be a number of km, got {v!r}") from None
            if not math.isfinite(f) or f < 0:
                raise FilterError(f"{name} must be a finite distance >= 0 km, got {v!r}")
            object.__setattr__(self, name, f)
        object.__setattr__(self, "name_query", str(self.name_query or "").strip())
        object.__setattr__(self, "include_unmapped", bool(self.include_unmapped))

    # ------------------------------------------------------------------ state
    @property
    def is_empty(self) -> bool:
        """True when the spec keeps every row."""
        return self == FilterSpec()

    @property
    def has_distance(self) -> bool:
        """True when any distance filter is set."""
        return any(getattr(self, n) is not None for n in _DIST_FIELDS)

    # ------------------------------------------------------------------ mask
    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows of ``df`` that pass every filter.

        Parameters
        ----------
        df
            Occurrence table (curated columns, enrichment columns where available).

        Returns
        -------
        pandas.Series
            ``bool`` Series aligned with ``df.index``.
        """
        keep = pd.Series(True, index=df.index)
        if self.provinces:
            keep &= _isin_ci(_coalesce(df, "province_geo", "province"), self.provinces)
        if self.districts:
            keep &= _isin_ci(_coalesce(df, "district_geo", "district"), self.districts)
        if self.commodities:
            hit = _isin_ci(commodity_groups(df), self.commodities)
            if "commodity" in df.columns:
                hit |= _isin_ci(df["commodity"], self.commodities)
            keep &= hit
        if self.statuses:
            keep &= _isin_ci(df["status"], self.statuses) if "status" in df else False
        if self.precisions:
            keep &= _isin_ci(df["precision"], self.precisions) if "precision" in df else False
        mapped = _mapped(df)
        if not self.include_unmapped:
            keep &= mapped
        limits = (
            (self.max_port_km, lambda: _port_km(df)),
            (self.max_rail_km, lambda: df.get("rail_km")),
            (self.max_road_km, lambda: df.get("road_primary_km")),
        )
        for limit, values in limits:
            if limit is None:
                continue
            v = values()
            if v is None:
                keep &= False
                continue
            v = pd.to_numeric(v, errors="coerce")
            keep &= mapped & (v <= limit).fillna(False).astype(bool)
        if self.name_query and "name" in df.columns:
            keep &= (
                df["name"].astype("string").str.contains(self.name_query, case=False, regex=False)
                .fillna(False)
                .astype(bool)
            )
        return keep.astype(bool)

    # ------------------------------------------------------------------ sentence
    def describe(self, n: int, *, port_basis: str = "road") -> str:
        """One human sentence saying what ``n`` kept rows are.

        Parameters
        ----------
        n
            Number of rows kept.
        port_basis
            ``"road"``, ``"straight"`` or ``"mixed"`` (see :func:`port_distance_basis`): how the
            port distance was measured.

        Examples
        --------
        >>> FilterSpec(provinces=("Balochistan",), commodities=("Sb",), max_port_km=400).describe(12)
        '12 Sb occurrences in Balochistan within 400 km of a seaport by road'
        >>> FilterSpec().describe(155)
        'All 155 occurrences'
        """
        noun = "occurrence" if n == 1 else "occurrences"
        if self.is_empty:
            return f"All {n:,} {noun}"
        if self.include_unmapped is False and self == FilterSpec(include_unmapped=False):
            return f"All {n:,} mapped {noun}"
        words = [f"{n:,}"]
        if self.precisions:
            words.append(_join(list(self.precisions)))
        if self.statuses:
            words.append(_join(list(self.statuses)) + "-status")
        if self.commodities:
            words.append(_join([c if c != "other" else "other-commodity" for c in self.commodities]))
        if not self.include_unmapped:
            words.append("mapped")
        words.append(noun)
        if self.name_query:
            words.append(f'named like "{self.name_query}"')
        if self.districts:
            d = "district" if len(self.districts) == 1 else "districts"
            words.append(f"in {_join(list(self.districts))} {d}")
        if self.provinces:
            words.append(("of " if self.districts else "in ") + _join(list(self.provinces)))
        dist: list[str] = []
        if self.max_port_km is not None:
            how = {
                "road": "by road",
                "straight": "in a straight line",
                "mixed": "by road (straight line where no road route is known)",
            }.get(port_basis, "by road")
            dist.append(f"{_fmt_km(self.max_port_km)} km of a seaport {how}")
        if self.max_rail_km is not None:
            dist.append(f"{_fmt_km(self.max_rail_km)} km of a railway")
        if self.max_road_km is not None:
            dist.append(f"{_fmt_km(self.max_road_km)} km of a primary road")
        if dist:
            words.append("within " + _join(dist, "and"))
        return " ".join(words)

    # ------------------------------------------------------------------ query params
    def to_params(self) -> dict[str, str]:
        """Flat query parameters of the non-default fields (lists joined with ``,``).

        Returns
        -------
        dict[str, str]
            E.g. ``{"province": "Balochistan", "commodity": "Sb", "max_port_km": "400"}``.
        """
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v == f.default:
                continue
            key = PARAM_KEYS[f.name]
            if f.name in _TUPLE_FIELDS:
                out[key] = ",".join(v)
            elif f.name in _DIST_FIELDS:
                out[key] = _fmt_km(v)
            elif f.name == "include_unmapped":
                out[key] = "1" if v else "0"
            else:
                out[key] = str(v)
        return out

    @classmethod
    def from_params(
        cls, params: Mapping[str, str | list[str]], *, ignore: Iterable[str] = ()
    ) -> tuple[FilterSpec, list[str]]:
        """Rebuild a spec from query parameters, ignoring what cannot be used.

        Parameters
        ----------
        params
            ``st.query_params`` (or any mapping); a value may be a string (comma-separated list)
            or a list of strings.
        ignore
            Keys owned by something else (layer toggles, map view ...): skipped silently.

        Returns
        -------
        tuple[FilterSpec, list[str]]
            The spec and one human note per ignored parameter or value.
        """
        notes: list[str] = []
        kw: dict[str, object] = {}
        skip = set(ignore)
        for key in params:
            if key in skip:
                continue
            raw = params[key]
            values = [raw] if isinstance(raw, str) else [str(x) for x in raw]
            if not values:  # a key without a value (``?max_port_km`` with no ``=``) says nothing
                continue
            name = _FIELD_BY_KEY.get(key)
            if name is None:
                notes.append(f"Ignored unknown parameter '{key}'.")
                continue
            if name in _TUPLE_FIELDS:
                items = [s.strip() for v in values for s in v.split(",") if s.strip()]
                if name == "provinces":
                    items = _canonical(items, PROVINCES, "province", notes)
                elif name == "precisions":
                    items = _canonical(items, PRECISION_CLASSES, "precision class", notes)
                kw[name] = tuple(items)
            elif name in _DIST_FIELDS:
                text = values[-1].strip()
                try:
                    f = float(text)
                except ValueError:
                    notes.append(f"Ignored {key}={text!r}: not a number of km.")
                    continue
                if not math.isfinite(f) or f < 0:
                    notes.append(f"Ignored {key}={text!r}: must be a distance >= 0 km.")
                    continue
                kw[name] = f
            elif name == "include_unmapped":
                text = values[-1].strip().lower()
                if text in ("1", "true", "yes", "on"):
                    kw[name] = True
                elif text in ("0", "false", "no", "off"):
                    kw[name] = False
                else:
                    notes.append(f"Ignored {key}={values[-1]!r}: use 1 or 0.")
            else:
                kw[name] = values[-1]
        return cls(**kw), notes  # type: ignore[arg-type]

    # ------------------------------------------------------------------ validation
    def validate(
        self, valid_provinces: Iterable[str], valid_districts: Iterable[str] = ()
    ) -> FilterSpec:
        """Check province and district names; return the spec with names in canonical case.

        Parameters
        ----------
        valid_provinces, valid_districts
            Names that exist in the data (an empty ``valid_districts`` skips the district check).

        Returns
        -------
        FilterSpec
            The spec with names spelled as in the valid lists.

        Raises
        ------
        FilterError
            Naming the unknown values and listing the valid ones.
        """
        new: dict[str, tuple[str, ...]] = {}
        for name, valid, what in (
            ("provinces", list(valid_provinces), "province"),
            ("districts", list(valid_districts), "district"),
        ):
            chosen = getattr(self, name)
            if not chosen or (name == "districts" and not valid):
                continue
            lookup = {v.casefold(): v for v in valid if isinstance(v, str)}
            unknown = [c for c in chosen if c.casefold() not in lookup]
            if unknown:
                raise FilterError(
                    f"unknown {what} {', '.join(repr(u) for u in unknown)}; valid {what}s: "
                    + ", ".join(sorted(lookup.values()))
                )
            new[name] = tuple(lookup[c.casefold()] for c in chosen)
        return replace(self, **new) if new else self


def _canonical(items: list[str], valid: Sequence[str], what: str, notes: list[str]) -> list[str]:
    lookup = {v.casefold(): v for v in valid}
    out = []
    for it in items:
        if it.casefold() in lookup:
            out.append(lookup[it.casefold()])
        else:
            notes.append(f"Ignored unknown {what} '{it}' (valid: {', '.join(valid)}).")
    return out


def apply(df: pd.DataFrame, spec: FilterSpec) -> tuple[pd.DataFrame, str]:
    """Filter ``df`` with ``spec``.

    Parameters
    ----------
    df
        Occurrence table (a GeoDataFrame stays a GeoDataFrame).
    spec
        The filters.

    Returns
    -------
    tuple[pandas.DataFrame, str]
        The kept rows with every column, and the sentence describing them.
    """
    kept = df.loc[spec.mask(df)]
    basis = port_distance_basis(df) if spec.max_port_km is not None else "road"
    return kept, spec.describe(len(kept), port_basis=basis)


def _present(values: pd.Series) -> list[str]:
    s = values.dropna().astype(str).str.strip()
    return sorted(set(s[s != ""]))


def _district_choices(df: pd.DataFrame) -> pd.Series:
    """District names offered for filtering: the polygon names (``district_geo``) once the data
    is enriched; the curated ``district`` column is free text ("(uncertain: …)") and is used only
    for data that has not been enriched."""
    if "district_geo" in df.columns:
        return df["district_geo"].astype("string").fillna("").astype(str)
    return _coalesce(df, "district_geo", "district")


def filter_options(df: pd.DataFrame) -> dict[str, list[str]]:
    """Choices offered by the filter widgets: the values present in ``df``.

    Returns
    -------
    dict[str, list[str]]
        ``provinces``, ``districts`` (all), ``commodities`` (groups present in
        :data:`~mineralmap.schema.COMMODITY_GROUPS` order, then primary codes), ``statuses``,
        ``precisions`` (in :data:`~mineralmap.schema.PRECISION_CLASSES` order) and one key
        ``"districts:<province>"`` per province with that province's districts (see
        :func:`districts_in`).
    """
    empty = pd.Series([], dtype=object)
    prov = _coalesce(df, "province_geo", "province") if len(df.columns) else empty
    dist = _district_choices(df) if len(df.columns) else empty
    groups = _present(commodity_groups(df)) if len(df.columns) else []
    codes = _present(df["commodity"]) if "commodity" in df else []
    commodities = [g for g in COMMODITY_GROUPS if g in groups]
    commodities += [c for c in codes if c not in commodities]
    precisions = _present(df["precision"]) if "precision" in df else []
    out: dict[str, list[str]] = {
        "provinces": _present(prov),
        "districts": _present(dist),
        "commodities": commodities,
        "statuses": _present(df["status"]) if "status" in df else [],
        "precisions": [p for p in PRECISION_CLASSES if p in precisions]
        + [p for p in precisions if p not in PRECISION_CLASSES],
    }
    for p in out["provinces"]:
        out[f"districts:{p}"] = _present(dist[prov == p])
    return out


def districts_in(df: pd.DataFrame, provinces: Iterable[str] = ()) -> list[str]:
    """Districts present in ``df`` within ``provinces`` (all districts when none are given)."""
    provinces = list(provinces)
    dist = _district_choices(df)
    if not provinces:
        return _present(dist)
    prov = _coalesce(df, "province_geo", "province")
    return _present(dist[_isin_ci(prov, provinces)])
