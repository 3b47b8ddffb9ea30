"""Summary tables and chart data for the pages (counts, histograms, display tables, details)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mineralmap.paging import Page, page_rows, shown_columns

#: Columns of the occurrence table shown to users, in order.
DISPLAY_COLUMNS: tuple[str, ...] = (
    "name", "commodity_group", "haul_road_km", "haul_road_port", "precision", "precision_km",
    "district_geo", "province_geo", "rail_km", "road_primary_km", "port_nearest_km",
    "crossing_nearest", "crossing_km", "status", "commodities", "station_nearest",
    "source_title", "first_url", "id",
)

#: Readable headers for the display table (column -> label).
DISPLAY_LABELS: dict[str, str] = {
    "name": "name", "commodity_group": "commodity", "haul_road_km": "road haul to port (km)",
    "haul_road_port": "port by road", "precision": "location precision",
    "precision_km": "± km", "district_geo": "district", "province_geo": "province",
    "rail_km": "active railway (km)", "road_primary_km": "primary road (km)",
    "port_nearest_km": "nearest seaport, straight (km)", "crossing_nearest": "nearest crossing",
    "crossing_km": "crossing (km)", "status": "status", "commodities": "all commodities",
    "station_nearest": "nearest station", "source_title": "source", "first_url": "source link",
    "id": "id",
}

#: Markdown syntax characters escaped with a backslash by :func:`md_escape`. ``&`` is left (an
#: entity only ever decodes to literal text, and HTML-escaped text must stay readable), and so is
#: ``_`` between two letters or digits, which can neither open nor close emphasis
#: (``max_port_km`` stays searchable as typed).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>$~|#!{}]|(?<![^\W_])_|_(?![^\W_]))")
#: Line breaks and control characters: a value never starts a new Markdown block.
_MD_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
#: Where GitHub-flavoured Markdown would turn plain text into a live link (``…://``, ``www.``,
#: ``name@host``): a zero-width space is put there.
_MD_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?=@)|(?i:(?<=www)(?=\.))")
#: The invisible break :func:`md_escape` inserts (U+200B ZERO WIDTH SPACE).
ZWSP = "\u200b"


def md_escape(value: object) -> str:
    """``value`` as literal Markdown text, safe to show anywhere Streamlit renders Markdown.

    Markdown and HTML characters (emphasis, links, images, tables, headings, LaTeX ``$``) are
    backslash-escaped, line breaks become spaces, and a zero-width space breaks every spot where
    GitHub-flavoured Markdown would create a link by itself (``https://…``, ``www.…``,
    ``name@host``). Backslash escapes alone do not stop those autolinks: Streamlit's renderer
    finds them in the text after the escapes are resolved.

    Examples
    --------
    >>> md_escape("[sign in](https://evil)") == "\\[sign in\\](https:" + ZWSP + "//evil)"
    True
    """
    text = _MD_CONTROL.sub(" ", str(value))
    return _MD_AUTOLINK.sub(ZWSP, _MD_SPECIAL.sub(r"\\\1", text))


_URL_SPLIT = re.compile(r"\s*(?:\||;)\s*(?=https?://)|\s+\|\s+")


@dataclass(frozen=True)
class Counts:
    """Headline counts of a set of occurrences."""

    total: int
    mapped: int
    unmapped: int
    by_commodity: pd.Series
    by_precision: pd.Series


def source_urls(value: object) -> list[str]:
    """Split a ``source_url`` cell (``" | "`` or ``"; "`` separated) into URLs."""
    if not isinstance(value, str) or not value.strip():
        return []
    return [u.strip() for u in _URL_SPLIT.split(value) if u.strip().startswith("http")]


def counts(occ: pd.DataFrame) -> Counts:
    """Total, mapped and unmapped counts, by commodity group and precision class."""
    mapped = occ["mapped"].fillna(False).astype(bool) if "mapped" in occ else occ["lon"].notna()
    return Counts(
        total=len(occ),
        mapped=int(mapped.sum()),
        unmapped=int((~mapped).sum()),
        by_commodity=occ["commodity_group"].value_counts().rename("occurrences"),
        by_precision=occ["precision"].value_counts().rename("occurrences"),
    )


def province_of(occ: pd.DataFrame) -> pd.Series:
    """Province from the polygon the point falls in, else the province the source states."""
    geo = occ["province_geo"] if "province_geo" in occ else pd.Series(None, index=occ.index)
    stated = occ["province"].replace("", np.nan)
    return geo.where(geo.notna() & (geo != ""), stated).fillna("(unknown)")


def _group_counts(keys: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Counts per (key, commodity group) as a table with the three group columns (zeros kept)."""
    counts = pd.DataFrame({"k": keys.to_numpy(), "g": groups.to_numpy()}).value_counts()
    table = counts.unstack("g", fill_value=0) if len(counts) else pd.DataFrame()
    return table.reindex(columns=["Sb", "REE", "other"], fill_value=0).astype(int)


def commodity_by_province(occ: pd.DataFrame) -> pd.DataFrame:
    """Counts with provinces as rows and commodity groups as columns (zeros kept)."""
    if occ.empty:
        return pd.DataFrame(columns=["Sb", "REE", "other"], dtype=int).rename_axis("province")
    table = _group_counts(province_of(occ), occ["commodity_group"])
    table.index.name = "province"
    return table.sort_values(["Sb", "REE", "other"], ascending=False)


def haul_histogram(occ: pd.DataFrame, bin_km: float = 100.0) -> pd.DataFrame:
    """Occurrences per road-haul-distance bin (``haul_road_km``), by commodity group."""
    haul = occ["haul_road_km"].astype(float)
    ok = haul.notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=["Sb", "REE", "other"], dtype=int)
    values = haul.to_numpy()[ok]
    nbins = max(int(np.ceil(values.max() / bin_km)), 1)
    idx = np.minimum((values // bin_km).astype(int), nbins - 1)
    labels = np.array([f"{int(i * bin_km)}–{int((i + 1) * bin_km)} km" for i in range(nbins)])
    table = _group_counts(pd.Series(labels[idx]), occ.loc[ok, "commodity_group"])
    table = table.reindex(labels, fill_value=0)
    table.index.name = "road haul to port"
    return table


def display_table(occ: pd.DataFrame, max_rows: int | None = None) -> pd.DataFrame:
    """The occurrence table shown to users: readable columns, first source URL as a link.

    Parameters
    ----------
    occ
        Occurrence rows.
    max_rows
        Keep only the first ``max_rows`` rows (a browser table of 100,000 rows is slow to send
        and useless to scroll); None keeps all.
    """
    if max_rows is not None and len(occ) > max_rows:
        occ = occ.iloc[:max(0, int(max_rows))]
    first_url = occ["source_url"].map(lambda v: (source_urls(v) or [None])[0])
    # only the shown columns are taken (an enriched row has ~60); pandas 3's copy-on-write keeps
    # the new column out of ``occ``, and ``out[cols]`` below is the one copy
    cols = [c for c in DISPLAY_COLUMNS if c in occ.columns or c == "first_url"]
    out = pd.DataFrame(occ[[c for c in cols if c != "first_url"]])
    out["first_url"] = first_url
    return out[cols].reset_index(drop=True)


def display_page(occ: pd.DataFrame, page: Page,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One page of the display table with only the chosen columns (what a browser table is sent).

    Parameters
    ----------
    occ
        All occurrence rows (stay on the server).
    page
        :func:`mineralmap.paging.page_bounds` of ``len(occ)``.
    columns
        Display columns to keep (:data:`DISPLAY_COLUMNS` names), in this order; None or none
        known: all display columns.
    """
    table = display_table(page_rows(occ, page))
    return table[shown_columns(table.columns, columns, DISPLAY_COLUMNS)]


_QA_NOTE = re.compile(r"\s*\[[^\]]*(?:check|polygon hit)[^\]]*\]")


def placement_note(note: object) -> str:
    """The curators' geocoding note without the bracketed QA annotations (kept in the data)."""
    if not isinstance(note, str):
        return ""
    return _QA_NOTE.sub("", note).strip()


def details(row: pd.Series) -> dict[str, object]:
    """Every attribute of one occurrence (geometry dropped, NaN as None), for a detail panel."""
    out: dict[str, object] = {}
    for k, v in row.items():
        if k == "geometry":
            continue
        out[str(k)] = None if (isinstance(v, float) and np.isnan(v)) else v
    return out


def layer_status(layers: dict[str, pd.DataFrame], missing: dict[str, str],
                 attributions: list[dict[str, str]]) -> pd.DataFrame:
    """One row per layer: features loaded, status, licence and attribution."""
    attr = {a["layer"]: a for a in attributions}
    names = list(dict.fromkeys([*layers, *attr]))
    rows = []
    for name in names:
        gdf = layers.get(name)
        a = attr.get(name, {})
        rows.append({
            "layer": name,
            "features": None if gdf is None else len(gdf),
            "status": missing.get(name, "loaded" if gdf is not None and len(gdf) else
                                  ("curated table" if gdf is None else "empty")),
            "title": a.get("title", ""),
            "licence": a.get("licence", ""),
            "attribution": a.get("attribution", ""),
            "url": a.get("url", ""),
        })
    return pd.DataFrame(rows)


def unmapped_rows(occ: pd.DataFrame) -> pd.DataFrame:
    """Occurrences without a coordinate, with the reason recorded by the curators."""
    mapped = occ["mapped"].fillna(False).astype(bool) if "mapped" in occ else occ["lon"].notna()
    cols = [c for c in ("id", "name", "commodity", "province", "district", "geocode_note",
                        "source_title") if c in occ]
    return pd.DataFrame(occ.loc[~mapped, cols]).reset_index(drop=True)


def precision_table(occ: pd.DataFrame) -> pd.DataFrame:
    """Counts per precision class and commodity group, with the median ± km of each class."""
    if occ.empty:
        return pd.DataFrame(columns=["Sb", "REE", "other", "median ± km"])
    table = pd.crosstab(occ["precision"], occ["commodity_group"])
    for col in ("Sb", "REE", "other"):
        if col not in table:
            table[col] = 0
    table = table[["Sb", "REE", "other"]]
    table["median ± km"] = occ.groupby("precision")["precision_km"].median().round(1)
    return table


def _km_text(value: object, pm: object) -> str:
    if not isinstance(value, int | float) or pd.isna(value):
        return "—"
    if isinstance(pm, int | float) and not pd.isna(pm):
        return f"{value:,.0f} ± {pm:,.0f}"
    return f"{value:,.0f}"


def distance_markdown(d: dict[str, object]) -> str:
    """Markdown table of one occurrence's infrastructure distances (km ± location precision)."""
    pm = d.get("precision_km")
    rows = [
        ("Road haul to port", "haul_road_km", d.get("haul_road_port")),
        ("…of which straight access leg to that road", "access_km", None),
        ("Straight line to nearest seaport", "port_nearest_km", d.get("port_nearest")),
        ("Road haul to Karachi", "haul_road_karachi_km", None),
        ("Road haul to Port Qasim", "haul_road_qasim_km", None),
        ("Road haul to Gwadar", "haul_road_gwadar_km", None),
        ("Rail haul from nearest station to a port", "haul_rail_km", None),
        ("Nearest active railway", "rail_km", None),
        ("Nearest station", "station_km", d.get("station_nearest")),
        ("Nearest primary road", "road_primary_km", d.get("road_nearest_ref")),
        ("Nearest road (motorway to secondary: the OSM extract has no minor roads)", "road_km", None),
        ("Nearest airport", "airport_km", d.get("airport_nearest")),
        ("Nearest town", "town_km", d.get("town_nearest")),
        ("Nearest border crossing", "crossing_km", d.get("crossing_nearest")),
        ("Afghan border", "border_afghanistan_km", None),
        ("Iran border", "border_iran_km", None),
    ]
    lines = ["| distance | km | to |", "|---|---:|---|"]
    for label, col, to in rows:
        name = md_escape(to) if isinstance(to, str) and to else ""
        lines.append(f"| {label} | {_km_text(d.get(col), pm)} | {name} |")
    return "\n".join(lines)


def network_table(summaries: dict[str, dict]) -> pd.DataFrame:
    """One row per network (road, rail): size, connectivity and which seaports it reaches."""
    rows = []
    for name, s in summaries.items():
        ports = s.get("ports_on_largest", {})
        rows.append({
            "network": name,
            "nodes": s.get("nodes"),
            "edges": s.get("edges"),
            "components": s.get("components"),
            "total km (edges)": s.get("total_km"),
            "share in largest component": s.get("largest_component_share"),
            "seaports on largest component": ", ".join(p for p, ok in ports.items() if ok) or "none",
            "seaports not connected": ", ".join(p for p, ok in ports.items() if not ok) or "none",
        })
    return pd.DataFrame(rows)
