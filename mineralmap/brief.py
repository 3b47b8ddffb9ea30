"""Region brief: a printable, sourced A4 PDF of a selection, for a visiting delegation.

:func:`build_brief` takes a :class:`~mineralmap.selection.Selection` (the same one the Region &
export page and ``python -m mineralmap export`` build) and returns the PDF as bytes, offline and
without Streamlit. Pages:

1. cover: title, the selection sentence, dataset version, date, counts by commodity group and by
   location precision;
2. map (vector, :mod:`mineralmap._brief_map`): province and district boundaries, the region
   outline, seaports, railways, primary roads and above, occurrences styled as in the app,
   north arrow, scale bar, legend, inset, attribution line;
3. logistics: the first :data:`MAX_TABLE_ROWS` occurrences (road haul to Karachi, Port Qasim and
   Gwadar, nearest rail station, Afghan border) with the count of the rest, and a chart of road
   haul distances of every selected occurrence;
4. context: market facts *as reported* with their attributions, the traceability indicator with
   its caveat;
5. sources: every source cited by the selected rows with its URLs, licence and attribution of
   every layer, what the precision classes mean.

Every figure printed comes from the selection, the catalog layers or the curated market facts;
nothing is estimated here. Text from data is HTML-escaped before it enters the template.

The PDF is laid out by WeasyPrint from an HTML/CSS template: Pango/HarfBuzz shape Arabic-script
(Urdu) text and fontconfig falls back per glyph to a font that has it (Noto Naskh Arabic /
Noto Nastaliq Urdu from Debian's ``fonts-noto-core``); the map is embedded as SVG and stays
vector in the PDF. ``benchmarks/bench_brief.py`` compares this with ReportLab.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from mineralmap import __version__, summary
from mineralmap._brief_map import figure_bytes, haul_figure, map_figure
from mineralmap.errors import ExportError
from mineralmap.export import suggest_filename
from mineralmap.filters import FilterSpec
from mineralmap.layers import COMMODITY_LABELS
from mineralmap.market import load_market_facts
from mineralmap.regions import RegionSpec
from mineralmap.scenario import traceability
from mineralmap.schema import COMMODITY_GROUPS, PRECISION_CLASSES
from mineralmap.selection import Selection

__all__ = [
    "DEFAULT_TITLE",
    "MAX_TABLE_ROWS",
    "MIME_TYPE",
    "NO_DATASET_VERSION",
    "PRECISION_MEANINGS",
    "BriefContent",
    "BriefError",
    "brief_content",
    "brief_filename",
    "brief_html",
    "build_brief",
    "check_title",
    "region_outline",
]

#: Title of the brief unless the caller gives one.
DEFAULT_TITLE = "Critical minerals of Pakistan: region brief"
#: Occurrences listed in the logistics table (the rest are counted).
MAX_TABLE_ROWS = 50
#: Longest title accepted (characters).
MAX_TITLE_CHARS = 200
#: MIME type of the brief.
MIME_TYPE = "application/pdf"
#: Printed when no dataset version is given.
NO_DATASET_VERSION = "n/a (bundled curated table)"
#: What each location-precision class means (geodata/README.md, column ``precision``).
PRECISION_MEANINGS: dict[str, str] = {
    "surveyed": "a printed survey or record coordinate of the site",
    "locality": "a named place or a compilation point",
    "approximate": "an offset or estimate from a text description",
    "district": "a district centroid, or no location below district",
}
#: Caveat printed with the traceability indicator (see :mod:`mineralmap.scenario`).
TRACE_CAVEAT = (
    "A geographic indicator of where cross-border flows would be cheap, not evidence that any "
    "ore crosses the border. The flag compares the straight-line distance to the nearest border "
    "crossing with the road haul to the nearest seaport; a straight line is never longer than a "
    "road, so the flag leans towards flagging."
)
#: Progress callback: (fraction 0..1, what is being done).
Progress = Callable[[float, str], None]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BriefError(ExportError):
    """A brief cannot be made (nothing selected, bad title, ...)."""


# ---------------------------------------------------------------------------------- content


@dataclass(frozen=True)
class BriefContent:
    """Everything printed in a brief, as plain values (what the tests and the template read).

    Attributes
    ----------
    title, description, dataset_version, generated_utc, app_version
        Cover texts (``generated_utc`` as ``YYYY-MM-DD HH:MM UTC``).
    total, mapped, unmapped
        Counts of the selection.
    by_commodity, by_precision
        ``(label, count)`` pairs, zero counts left out.
    logistics
        The first :data:`MAX_TABLE_ROWS` rows as display strings (columns are the headers).
    not_listed
        Selected occurrences not in the logistics table.
    haul_table
        :func:`mineralmap.summary.haul_histogram` of every selected row.
    facts
        Market facts (``fact, display, as_of, attribution, wording``).
    trace
        :func:`mineralmap.scenario.traceability` of the selected antimony rows.
    sources
        ``(url, citing ids)`` of every URL cited by the selected rows, in first-seen order.
    source_titles
        Every source title cited, in first-seen order.
    attributions
        Licence and attribution of every layer.
    precision_rows
        ``(class, meaning, count, min km, max km)`` per precision class present.
    """

    title: str
    description: str
    dataset_version: str
    generated_utc: str
    app_version: str
    total: int
    mapped: int
    unmapped: int
    by_commodity: list[tuple[str, int]]
    by_precision: list[tuple[str, int]]
    logistics: pd.DataFrame
    not_listed: int
    haul_table: pd.DataFrame
    facts: pd.DataFrame
    trace: pd.DataFrame
    sources: list[tuple[str, list[str]]]
    source_titles: list[str]
    attributions: list[dict[str, str]]
    precision_rows: list[tuple[str, str, int, float, float]] = field(default_factory=list)


def _clean(text: object) -> str:
    """Text from data as a single safe string (control characters removed)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return _CONTROL.sub("", str(text)).strip()


def _km(v: object, digits: int = 0) -> str:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return "—" if not np.isfinite(f) else f"{f:,.{digits}f}"


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(np.nan, index=df.index, dtype=object)


def _groups(rows: pd.DataFrame) -> pd.Series:
    g = _col(rows, "commodity_group").astype("string").fillna("other")
    return g.where(g.isin(COMMODITY_GROUPS), "other")


def _mapped(rows: pd.DataFrame) -> np.ndarray:
    if "mapped" in rows.columns and rows["mapped"].notna().all():
        return rows["mapped"].astype(bool).to_numpy()
    if isinstance(rows, gpd.GeoDataFrame):
        geoms = np.asarray(rows.geometry.to_numpy(), dtype=object)
        return np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    return pd.to_numeric(_col(rows, "lon"), errors="coerce").notna().to_numpy()


def _logistics(rows: pd.DataFrame) -> pd.DataFrame:
    """Display table of the first :data:`MAX_TABLE_ROWS` rows."""
    head = rows.iloc[:MAX_TABLE_ROWS]
    prec = [f"{_clean(p) or '—'} ± {_km(k, 1 if float(k or 0) < 10 else 0)} km"
            if _km(k) != "—" else (_clean(p) or "—")
            for p, k in zip(_col(head, "precision"), _col(head, "precision_km"), strict=True)]
    prim = _col(head, "commodity").map(_clean)
    grp = _groups(head).astype(str)
    station = [f"{_clean(n)} ({_km(k, 1)} km)" if _clean(n) else "—"
               for n, k in zip(_col(head, "station_nearest"), _col(head, "station_km"),
                               strict=True)]
    return pd.DataFrame({
        "#": [str(i + 1) for i in range(len(head))],
        "name": _col(head, "name").map(_clean).to_numpy(),
        "commodity": [f"{g} ({p})" if p and p != g else g for g, p in zip(grp, prim, strict=True)],
        "precision": prec,
        "Karachi (km)": _col(head, "haul_road_karachi_km").map(_km).to_numpy(),
        "Port Qasim (km)": _col(head, "haul_road_qasim_km").map(_km).to_numpy(),
        "Gwadar (km)": _col(head, "haul_road_gwadar_km").map(_km).to_numpy(),
        "nearest rail station": station,
        "Afghan border (km)": _col(head, "border_afghanistan_km").map(_km).to_numpy(),
    })


def _sources(rows: pd.DataFrame) -> tuple[list[tuple[str, list[str]]], list[str]]:
    by_url: dict[str, list[str]] = {}
    ids = _col(rows, "id").map(_clean).to_numpy()
    urls = _col(rows, "source_url").to_numpy()
    # 10,000 synthetic rows share one URL: split each distinct cell once
    split = {u: summary.source_urls(u) for u in pd.unique(urls) if isinstance(u, str)}
    for i, u in zip(ids, urls, strict=True):
        for url in split.get(u, []) if isinstance(u, str) else []:
            by_url.setdefault(_clean(url), []).append(i)
    titles: dict[str, None] = {}
    for t in pd.unique(_col(rows, "source_title").astype("string").dropna()):
        for part in str(t).split(" | "):
            if _clean(part):
                titles.setdefault(_clean(part), None)
    return list(by_url.items()), list(titles)


def _precision_rows(rows: pd.DataFrame) -> list[tuple[str, str, int, float, float]]:
    prec = _col(rows, "precision").astype("string")
    km = pd.to_numeric(_col(rows, "precision_km"), errors="coerce")
    out = []
    for cls in PRECISION_CLASSES:
        m = (prec == cls).fillna(False).to_numpy(bool)
        if m.any():
            k = km[m]
            out.append((cls, PRECISION_MEANINGS[cls], int(m.sum()),
                        float(k.min()) if k.notna().any() else float("nan"),
                        float(k.max()) if k.notna().any() else float("nan")))
    return out


def check_title(title: str) -> str:
    """The title as printed (stripped); :class:`BriefError` when empty or too long."""
    t = _clean(title)
    if not t:
        raise BriefError("the brief needs a title (an empty title was given)")
    if len(t) > MAX_TITLE_CHARS:
        raise BriefError(f"the title is too long ({len(t)} characters; at most {MAX_TITLE_CHARS})")
    return t


def brief_content(
    sel: Selection,
    attributions: Sequence[Mapping[str, str]],
    *,
    title: str = DEFAULT_TITLE,
    dataset_version: str | None = None,
    app_version: str = __version__,
    generated_at: datetime | None = None,
    market_facts: pd.DataFrame | None = None,
) -> BriefContent:
    """Collect everything the brief prints (no layout), see :class:`BriefContent`.

    Raises
    ------
    BriefError
        The selection is empty, or the title is empty or too long.
    mineralmap.market.MarketFactsError
        ``market_facts`` is None and the curated facts file is missing or invalid.
    """
    rows = sel.rows
    if rows is None or len(rows) == 0:
        raise BriefError(
            "nothing is selected, so there is no brief to make: widen the filters or the region "
            f"({_clean(sel.description) or 'no selection'})"
        )
    title = check_title(title)
    when = (generated_at or datetime.now(UTC))
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    mapped = _mapped(rows)
    grp = _groups(rows).value_counts()
    prec = _col(rows, "precision").astype("string").fillna("(none)").value_counts()
    facts = market_facts if market_facts is not None else load_market_facts()
    sources, titles = _sources(rows)
    return BriefContent(
        title=title,
        description=_clean(sel.description),
        dataset_version=_clean(dataset_version) or NO_DATASET_VERSION,
        generated_utc=when.strftime("%Y-%m-%d %H:%M UTC"),
        app_version=_clean(app_version),
        total=len(rows),
        mapped=int(mapped.sum()),
        unmapped=int((~mapped).sum()),
        by_commodity=[(COMMODITY_LABELS[g], int(grp[g])) for g in COMMODITY_GROUPS if g in grp],
        by_precision=[(c, int(prec[c])) for c in (*PRECISION_CLASSES, *sorted(
            set(prec.index) - set(PRECISION_CLASSES))) if c in prec],
        logistics=_logistics(rows),
        not_listed=max(len(rows) - MAX_TABLE_ROWS, 0),
        haul_table=_trim(summary.haul_histogram(rows.assign(commodity_group=_groups(rows)),
                                                bin_km=_haul_bin(rows))),
        facts=facts,
        trace=traceability(rows.assign(commodity_group=_groups(rows))),
        sources=sources,
        source_titles=titles,
        attributions=[{str(k): _clean(v) for k, v in a.items()} for a in attributions],
        precision_rows=_precision_rows(rows),
    )


def _trim(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the empty bins below the shortest haul (the chart starts where the data starts)."""
    if table.empty:
        return table
    nonzero = np.flatnonzero(table.to_numpy().sum(axis=1) > 0)
    return table.iloc[nonzero[0]:] if len(nonzero) else table


def _haul_bin(rows: pd.DataFrame) -> float:
    """Bin width (km) giving about 6-15 bars for the spread of road hauls."""
    h = pd.to_numeric(_col(rows, "haul_road_km"), errors="coerce").dropna()
    if h.empty:
        return 100.0
    span = max(float(h.max() - h.min()), 1.0)
    for b in (25.0, 50.0, 100.0, 200.0, 250.0, 500.0):
        if span / b <= 15:
            return b
    return 1000.0


# ---------------------------------------------------------------------------------- layout


def _e(text: object) -> str:
    return html.escape(_clean(text), quote=True)


def _link(url: str) -> str:
    u = _clean(url)
    if re.match(r"^https?://", u, re.IGNORECASE):
        return f'<a href="{_e(u)}">{_e(u)}</a>'
    return _e(u)


def _ids(ids: list[str], limit: int = 6) -> str:
    uniq = list(dict.fromkeys(ids))
    more = len(uniq) - limit
    text = ", ".join(uniq[:limit])
    return _e(text + (f" and {more:,} more" if more > 0 else ""))


def _cols(widths: Sequence[float]) -> str:
    """``<colgroup>`` with relative widths (fixed table layout: fast and predictable)."""
    total = float(sum(widths))
    return "<colgroup>" + "".join(f'<col style="width:{100 * w / total:.1f}%">'
                                  for w in widths) + "</colgroup>"


def _table(df: pd.DataFrame, cls: str = "", widths: Sequence[float] | None = None) -> str:
    cols = _cols(widths) if widths is not None and len(widths) == df.shape[1] else ""
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>"
                   for r in df.itertuples(index=False, name=None))
    return f'<table class="{cls}">{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


_CSS = """
@page {
  size: A4 portrait; margin: 14mm 13mm 17mm 13mm;
  @bottom-left { content: element(footer); width: 80%; }
  @bottom-right { content: "page " counter(page) " of " counter(pages);
                  font-size: 7.5pt; color: #555; }
}
html { font-family: "DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", "Noto Nastaliq Urdu",
       sans-serif; font-size: 8.5pt; color: #1b1b1b; line-height: 1.35; }
.footer { position: running(footer); font-size: 7pt; color: #555; }
h1 { font-size: 20pt; margin: 30mm 0 4mm 0; line-height: 1.15; }
h2 { font-size: 13pt; margin: 0 0 3mm 0; border-bottom: 1.2pt solid #333; padding-bottom: 1mm; }
h3 { font-size: 10pt; margin: 5mm 0 2mm 0; }
section { break-before: page; }
section.cover { break-before: auto; }
.lead { font-size: 11pt; margin: 0 0 6mm 0; }
.meta td { padding: 1mm 4mm 1mm 0; border: none; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; table-layout: fixed; }
th, td { border-bottom: 0.4pt solid #bbb; padding: 0.8mm 1.2mm; text-align: left;
         vertical-align: top; }
th { background: #eee; font-size: 7.5pt; }
table.logistics { font-size: 6.8pt; }
table.logistics td:nth-child(n+5):nth-child(-n+7), table.logistics td:nth-child(9)
  { text-align: right; }
table.counts { width: 90mm; }
table.counts td:first-child, table.counts th:first-child { width: 65mm; }
table.counts td:last-child { text-align: right; }
.small { font-size: 7.5pt; color: #333; }
.note { font-size: 7.5pt; color: #444; margin: 1mm 0 2mm 0; }
.map img { width: 182mm; }
.chart img { width: 182mm; }
a { color: #0b4f8a; text-decoration: none; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
ul.urls { padding-left: 4mm; margin: 1mm 0; }
ul.urls li { font-size: 7pt; margin-bottom: 0.8mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
"""


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def brief_html(content: BriefContent, map_svg: bytes, chart_svg: bytes | None) -> str:
    """The brief's HTML (every data text escaped); WeasyPrint turns it into the PDF.

    Parameters
    ----------
    content
        :func:`brief_content`.
    map_svg, chart_svg
        Figures from :mod:`mineralmap._brief_map` (chart None when no row has a road haul).
    """
    c = content
    counts_c = "".join(f"<tr><td>{_e(k)}</td><td>{v:,}</td></tr>" for k, v in c.by_commodity)
    counts_p = "".join(
        f"<tr><td>{_e(k)}</td><td>{v:,}</td></tr>" for k, v in c.by_precision)
    cover = f"""
<section class="cover">
  <h1>{_e(c.title)}</h1>
  <p class="lead">{_e(c.description)}</p>
  <table class="meta">
    <tr><td>dataset version:</td><td>{_e(c.dataset_version)}</td></tr>
    <tr><td>date:</td><td>{_e(c.generated_utc)}</td></tr>
    <tr><td>occurrences:</td><td>{c.total:,} selected — {c.mapped:,} mapped,
        {c.unmapped:,} without coordinates (listed, not mapped)</td></tr>
  </table>
  <h3>Occurrences by commodity</h3>
  <table class="counts"><thead><tr><th>commodity group</th><th>occurrences</th></tr></thead>
    <tbody>{counts_c}</tbody></table>
  <h3>Occurrences by location precision</h3>
  <table class="counts"><thead><tr><th>precision class</th><th>occurrences</th></tr></thead>
    <tbody>{counts_p}</tbody></table>
  <p class="note">Every distance in this brief is only as good as the occurrence's location:
  read it together with the precision (± km); the last page explains the classes.</p>
  <p class="note">Made offline by mineralmap from its own curated, cited tables and cached open
  layers; no figure in this brief is estimated by hand.</p>
</section>"""
    attr_line = "; ".join(dict.fromkeys(a.get("attribution", "") for a in c.attributions
                                        if a.get("layer") in _MAP_LAYERS and a.get("attribution")))
    numbered = ("Numbers beside the markers are the rows of the logistics table."
                if c.mapped <= MAX_TABLE_ROWS else
                "Markers are not numbered (more than 50 mapped occurrences).")
    map_page = f"""
<section class="map">
  <h2>Map</h2>
  <div class="map"><img src="{_svg_uri(map_svg)}" alt="map of the selection"></div>
  <p class="note">{_e(numbered)} {c.unmapped:,} selected occurrence(s) have no coordinates and
  are not drawn. Projection: Lambert conformal conic for Pakistan (WGS84); scale bar in km.</p>
  <p class="small">Map data: {_e(attr_line)}</p>
</section>"""
    more = (f"<p class='note'>… and {c.not_listed:,} more occurrence(s) not listed here "
            f"(all {c.total:,} are counted on the cover, drawn on the map and in the chart).</p>"
            if c.not_listed else "")
    chart = (f'<div class="chart"><img src="{_svg_uri(chart_svg)}" alt="haul chart"></div>'
             if chart_svg is not None else
             "<p class='note'>No selected occurrence has a road haul (none is mapped, or the "
             "road network was not available).</p>")
    logistics = f"""
<section>
  <h2>Logistics</h2>
  <p class="note">Road haul in km over the app's road network (motorway to secondary roads,
  OpenStreetMap) to each seaport; nearest rail station and distance to the Afghan border are
  straight-line (geodesic). Rows are in the order of the selection; "—" means not computed
  (no coordinates, or not reachable on the road network).</p>
  {_table(c.logistics, "logistics", (3, 22, 11, 13, 8, 8, 8, 17, 9))}
  {more}
  <h3>Road haul to the nearest seaport — all {c.total:,} selected occurrences</h3>
  {chart}
</section>"""
    facts_rows = "".join(
        f"<tr><td>{_e(r.fact)}</td><td>{_e(r.display)}</td><td>{_e(r.as_of)}</td>"
        f"<td>{_e(r.attribution)}</td><td>{_e(r.wording)}</td></tr>"
        for r in c.facts.itertuples(index=False))
    if len(c.trace):
        tr = c.trace
        flag = tr["crossing_closer_than_port"].map(
            lambda v: "—" if pd.isna(v) else ("yes" if bool(v) else "no"))
        tdf = pd.DataFrame({
            "name": tr["name"].map(_clean),
            "Afghan border (km)": tr["border_afghanistan_km"].map(_km),
            "nearest crossing": tr["crossing_nearest"].map(lambda v: _clean(v) or "—"),
            "crossing, straight (km)": tr["crossing_km"].map(_km),
            "road haul to port (km)": tr["haul_road_km"].map(_km),
            "port": tr["haul_road_port"].map(lambda v: _clean(v) or "—"),
            "crossing closer than port": flag,
        })
        n_flag = int(tr["crossing_closer_than_port"].fillna(False).astype(bool).sum())
        shown = tdf.iloc[:MAX_TABLE_ROWS]
        trace_html = (f"<p>{n_flag:,} of {len(tr):,} selected antimony occurrence(s) are closer to "
                      f"a border crossing (straight line) than to a seaport by road.</p>"
                      + _table(shown, "logistics", (24, 10, 14, 11, 11, 11, 11))
                      + (f"<p class='note'>… and {len(tr) - len(shown):,} more antimony "
                         "occurrence(s) not listed.</p>" if len(tr) > len(shown) else ""))
    else:
        trace_html = ("<p>No antimony (Sb) occurrence is selected: the traceability indicator "
                      "applies to antimony only.</p>")
    context = f"""
<section>
  <h2>Market context (as reported)</h2>
  <p class="note">Figures and statements as reported in the press with their attribution; none
  is a live price and none was checked or computed by mineralmap.</p>
  <table class="small">{_cols((20, 26, 10, 26, 10))}<thead><tr><th>fact</th><th>as reported</th><th>as of</th>
  <th>attribution</th><th>wording</th></tr></thead><tbody>{facts_rows}</tbody></table>
  <h3>Traceability indicator (antimony)</h3>
  {trace_html}
  <p class="note"><b>Caveat.</b> {_e(TRACE_CAVEAT)}</p>
</section>"""
    srcs = "".join(f"<li>{_link(u)} — cited by {_ids(ids)}</li>" for u, ids in c.sources)
    titles = "".join(f"<li>{_e(t)}</li>" for t in c.source_titles)
    attrs = "".join(
        f"<tr><td>{_e(a.get('layer'))}</td><td>{_e(a.get('title'))}</td>"
        f"<td>{_e(a.get('licence'))}</td><td>{_e(a.get('attribution'))}</td>"
        f"<td>{_link(a.get('url', ''))}</td></tr>" for a in c.attributions)
    prec = "".join(
        f"<tr><td>{_e(cls)}</td><td>{_e(meaning)}</td><td>{n:,}</td>"
        f"<td>{_e(_km(lo, 1))} – {_e(_km(hi, 1))}</td></tr>"
        for cls, meaning, n, lo, hi in c.precision_rows)
    sources = f"""
<section>
  <h2>Sources, licences and precision</h2>
  <h3>Sources cited by the {c.total:,} selected occurrences</h3>
  <ul class="urls">{titles}</ul>
  <h3>Source URLs</h3>
  <ul class="urls">{srcs or '<li>none</li>'}</ul>
  <h3>Layers: licence and attribution</h3>
  <table class="small">{_cols((11, 20, 17, 27, 25))}<thead><tr><th>layer</th><th>title</th><th>licence</th>
  <th>attribution</th><th>source</th></tr></thead><tbody>{attrs}</tbody></table>
  <h3>What the location precision means</h3>
  <p class="note">Each occurrence carries a precision class and a radius (± km) of location
  uncertainty, drawn on the map as a circle. Distances are measured from the point and are only
  as good as the point: a district centroid can be tens of km from the real site.</p>
  <table class="small">{_cols((15, 50, 12, 23))}<thead><tr><th>class</th><th>the point is</th><th>selected</th>
  <th>± km (min – max)</th></tr></thead><tbody>{prec}</tbody></table>
</section>"""
    footer = (f'<div class="footer">Generated {_e(c.generated_utc)} · mineralmap '
              f'{_e(c.app_version)} · dataset version: {_e(c.dataset_version)}</div>')
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(c.title)}</title><style>{_CSS}</style></head><body>"
            f"{footer}{cover}{map_page}{logistics}{context}{sources}</body></html>")


#: Layers drawn on the map (their attributions form the map's attribution line).
_MAP_LAYERS = ("countries", "provinces", "districts", "roads", "railways", "ports",
               "occurrences")


# ---------------------------------------------------------------------------------- build


def region_outline(sel: Selection, layers: Mapping[str, gpd.GeoDataFrame],
                   spec: FilterSpec | None = None) -> BaseGeometry | None:
    """The outline drawn on the map: the selection's region, else the filtered admin units.

    Parameters
    ----------
    sel
        The selection.
    layers
        Catalog layers (provinces, districts).
    spec
        The filter the selection was made with; its provinces/districts outline the map when the
        selection has no region of its own.
    """
    if sel.region is not None and not sel.region.is_empty:
        return sel.region
    if spec is not None and (spec.provinces or spec.districts):
        return RegionSpec(provinces=spec.provinces, districts=spec.districts).geometry(layers)
    return None


def brief_filename(sel: Selection, generated_at: datetime | None = None) -> str:
    """File name of the brief, like the exports: ``mineralmap_<where>_<what>_<date>_brief.pdf``."""
    name = suggest_filename(sel.rows, "csv", region_description=sel.region_description,
                            generated_at=generated_at)
    return name[: -len(".csv")] + "_brief.pdf"


def _render_pdf(html_text: str) -> bytes:
    import weasyprint  # heavy import (~1 s): only when a brief is made

    return weasyprint.HTML(string=html_text, base_url=None).write_pdf()


def build_brief(
    sel: Selection,
    layers: Mapping[str, gpd.GeoDataFrame],
    attributions: Sequence[Mapping[str, str]],
    *,
    title: str = DEFAULT_TITLE,
    dataset_version: str | None = None,
    app_version: str = __version__,
    generated_at: datetime | None = None,
    spec: FilterSpec | None = None,
    market_facts: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Make the region brief of a selection as an A4 PDF.

    Parameters
    ----------
    sel
        The selection (:func:`mineralmap.selection.select`).
    layers
        Catalog layers (:attr:`mineralmap.catalog.Catalog.layers`).
    attributions
        Licence and attribution of every layer (:attr:`mineralmap.catalog.Catalog.attributions`).
    title
        Cover title (1 to :data:`MAX_TITLE_CHARS` characters).
    dataset_version
        Printed on the cover and footer; None prints :data:`NO_DATASET_VERSION`.
    app_version
        Printed in the footer.
    generated_at
        Generation time (default now, UTC).
    spec
        The filter, to outline its provinces/districts when the selection has no region.
    market_facts
        :func:`mineralmap.market.load_market_facts` output (default: loaded from geodata/).
    progress
        Called with (fraction done, step) as the brief is built (the page's progress bar).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    BriefError
        Nothing is selected, or the title is empty or too long.
    """
    step = progress or (lambda _f, _s: None)
    step(0.0, "collecting figures")
    content = brief_content(sel, attributions, title=title, dataset_version=dataset_version,
                            app_version=app_version, generated_at=generated_at,
                            market_facts=market_facts)
    step(0.15, "drawing the map")
    labels = [str(i + 1) if i < MAX_TABLE_ROWS else "" for i in range(len(sel.rows))]
    fig = map_figure(sel.rows, layers, region_outline(sel, layers, spec), labels)
    map_svg = figure_bytes(fig, "svg")
    step(0.45, "drawing the haul chart")
    chart_svg = (figure_bytes(haul_figure(content.haul_table), "svg")
                 if len(content.haul_table) else None)
    step(0.55, "laying out the pages")
    pdf = _render_pdf(brief_html(content, map_svg, chart_svg))
    step(1.0, "done")
    return pdf
