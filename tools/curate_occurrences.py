"""Build the curated fact tables in ``geodata/`` from the source mirror (run by hand).

This is a reproducible one-off curation step, not part of app start-up. It reads

* ``minerals/sb_ree_occurrences.csv`` (the project's Sb/REE literature compilation) and
  ``minerals/usgs_global_compilations_pakistan.csv`` (USGS global deposit compilations),
* ``transport/wpi_pakistan.csv`` (NGA World Port Index) and
  ``transport/unlocode_pakistan_transport.csv`` (UN/LOCODE via cristan/improved-un-locodes),

and writes ``geodata/occurrences.csv``, ``geodata/ports.csv``, ``geodata/border_crossings.csv``
and ``geodata/dry_ports.csv`` with exactly the columns of :mod:`mineralmap.schema`.

Usage::

    .venv/bin/python tools/curate_occurrences.py            # mirror: $MINERALMAP_SOURCES,
                                                            # ../shared/sources or /work/shared/sources
    .venv/bin/python tools/curate_occurrences.py --sources DIR --out DIR --check

``--check`` writes nothing and exits 1 when a committed table differs from a fresh build.
The curation rules (de-duplication, precision, commodity normalisation) are documented in
``geodata/README.md``; keep the two in step.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make ``mineralmap`` importable
    sys.path.insert(0, str(REPO))

from mineralmap._geo import GEOD  # noqa: E402
from mineralmap.config import get_settings  # noqa: E402
from mineralmap.schema import (  # noqa: E402
    CROSSING_COLUMNS,
    DRY_PORT_COLUMNS,
    OCCURRENCE_COLUMNS,
    PORT_COLUMNS,
    PROVINCES,
)

SB_REE_FILE = "minerals/sb_ree_occurrences.csv"
USGS_FILE = "minerals/usgs_global_compilations_pakistan.csv"
WPI_FILE = "transport/wpi_pakistan.csv"
LOCODE_FILE = "transport/unlocode_pakistan_transport.csv"

SB_REE_DATASET = "mineralmap Sb/REE literature compilation"
SB_REE_KEY = "sb_ree"
USGS_DATASET = "USGS global deposit compilations (via DARPA-CRITICALMAAS/ta2-minmod-data @050de430)"

#: Separator of multi-valued source_title / source_url cells (the one the literature rows use;
#: titles themselves may contain ";").
SOURCE_SEP = " | "
#: Separator of commodities / record_ids.
LIST_SEP = "; "

#: Same deposit when names match and the points lie within this distance (km).
MATCH_KM = 15.0
#: "(unnamed)" and generic names ("Occurrence (...)") merge only within this distance (km).
UNNAMED_MATCH_KM = 1.0
#: Fuzzy name similarity accepted for spelling variants (Dash-e-Kain / Dasht-e-Kain),
#: only when both records have coordinates within MATCH_KM.
FUZZY_RATIO = 0.85
#: km per degree of latitude (used to turn a coordinate's rounding step into km).
KM_PER_DEG = 111.32

#: Most specific compilation first: the coordinate of a merged deposit comes from the first
#: dataset in this list that has one. Deposit-type compilations describe the deposit itself;
#: MRDS is site-level; "Major deposits" gives coarse points; Mudd & Jowitt gives none.
DATASET_RANK: tuple[str, ...] = (
    "umn/mrdata_porcu",
    "umn/mrdata_sedznpb",
    "umn/mrdata_sedexmvt",
    "umn/mrdata_sedcu",
    "umn/mrdata_vms",
    "umn/mrdata_nicrpge",
    "umn/mrdata_potash",
    "umn/mrdata_ofr20151121",
    "umn/mrdata_phosphate",
    "mrds",
    "umn/mrdata_major_deposits",
    "usc/mudd_jowitt_copper",
    "usc/mudd_jowitt_2017_zinc_lead",
)

#: Commodity words and codes -> normalised commodity (element symbol or commodity word).
COMMODITY_MAP: dict[str, str] = {
    "gold": "Au", "copper": "Cu", "silver": "Ag", "molybdenum": "Mo", "lead": "Pb",
    "zinc": "Zn", "iron": "Fe", "chromium": "Cr", "chromite": "Cr", "nickel": "Ni",
    "cobalt": "Co", "manganese": "Mn", "antimony": "Sb", "phosphate": "P", "phosphorus": "P",
    "potash": "K", "potassium": "K", "hal": "salt", "halite": "salt", "salt": "salt",
    "ba": "Ba", "br": "Br", "ca": "Ca", "mg": "Mg", "barite": "barite",
}
#: Words in the USGS commodity lists that name minerals or rocks, not commodities
#: (the World phosphate database lists the phosphate mineralogy there).
MINERAL_WORDS: frozenset[str] = frozenset(
    {"pyrite", "collophane", "glauconite", "dolomite", "dahlite", "iron oxide",
     "minor francolite", "francolite", "organic matter"}
)
#: Deposit-type codes of the USGS compilations spelled out (Cox & Singer model numbers;
#: MVT/CD compilation classes). Codes we cannot resolve are kept, labelled as codes.
DEPOSIT_TYPE_MAP: dict[tuple[str, str], str] = {
    ("umn/mrdata_porcu", "17"): "Porphyry Cu (USGS model 17)",
    ("umn/mrdata_porcu", "20c"): "Porphyry Cu-Au (USGS model 20c)",
    ("umn/mrdata_porcu", "21a"): "Porphyry Cu-Mo (USGS model 21a)",
    ("umn/mrdata_sedexmvt", "CD"): "Clastic-dominated Pb-Zn (CD)",
    ("umn/mrdata_sedexmvt", "MVT"): "Mississippi Valley-type Pb-Zn (MVT)",
    ("umn/mrdata_sedexmvt", "UN"): "Pb-Zn, class not determined (UN)",
}

PROVINCE_ALIASES: dict[str, str] = {
    "Khyber Pakhtunkhwa (ex-FATA)": "Khyber Pakhtunkhwa",
    "NWFP": "Khyber Pakhtunkhwa",
    "North-West Frontier": "Khyber Pakhtunkhwa",
    "FATA": "Khyber Pakhtunkhwa",
    "Baluchistan": "Balochistan",
    "Sind": "Sindh",
    "Azad Kashmir": "Azad Jammu and Kashmir",
    "Gilgit Baltistan": "Gilgit-Baltistan",
    "Islamabad": "Islamabad Capital Territory",
}

WPI_TITLE = "NGA World Port Index (Pub 150)"
WPI_URL = "https://msi.nga.mil/Publications/WPI"
LOCODE_TITLE = "UN/LOCODE via github.com/cristan/improved-un-locodes"
LOCODE_URL = "https://github.com/cristan/improved-un-locodes"

#: (id, WPI "Main Port Name") of the three WPI-listed seaports, and our display name.
SEAPORTS: tuple[tuple[str, str, str], ...] = (
    ("karachi", "Karachi", "Karachi"),
    ("port_qasim", "Muhamamad Bin Qasim", "Port Qasim"),
    ("gwadar", "Gwadar", "Gwadar"),
)
#: (id, UN/LOCODE location code) of minor ports (town points).
MINOR_PORTS: tuple[tuple[str, str], ...] = (
    ("pasni", "PSI"), ("ormara", "ORW"), ("jiwani", "JIW"), ("keti_bandar", "KBA"),
)
#: (UN/LOCODE location code, neighbouring country reached).
CROSSINGS: tuple[tuple[str, str], ...] = (
    ("CMN", "Afghanistan"), ("TOR", "Afghanistan"), ("TFT", "Iran"), ("WGH", "India"),
    ("KRB", "India"),
)


# --------------------------------------------------------------------------------------------
# helpers


def default_sources_dir() -> Path:
    """Return the source mirror: $MINERALMAP_SOURCES, ../shared/sources, or /work/shared/sources."""
    configured = get_settings().sources_dir
    if configured is not None:
        return configured
    for cand in (REPO.parent / "shared" / "sources", Path("/work/shared/sources")):
        if cand.is_dir():
            return cand
    return REPO.parent / "shared" / "sources"


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV as a list of dicts; exit with a clear message when it is missing."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise SystemExit(f"curate: cannot read source file {path}: {exc}") from exc


def clean_ws(text: str) -> str:
    """Collapse runs of whitespace and strip."""
    return re.sub(r"\s+", " ", text or "").strip()


def strip_num(text: str) -> str:
    """Return a numeric string without trailing zeros (``"29.194400"`` -> ``"29.1944"``)."""
    text = (text or "").strip()
    if not text:
        return ""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimals(text: str) -> int:
    """Number of decimals actually used by a numeric string (trailing zeros ignored)."""
    text = strip_num(text)
    return len(text.split(".", 1)[1]) if "." in text else 0


def rounding_km(lat: str, lon: str) -> tuple[int, float]:
    """Return (decimals, km) of a coordinate pair: the decimals the pair actually uses (the
    larger of the two, since a trailing zero in one value is usually a coincidence) and half
    the rounding step in km, at least 1 km."""
    n = max(decimals(lat), decimals(lon))
    km = max(1.0, round(0.5 * 10.0 ** (-n) * KM_PER_DEG, 1))
    return n, km


def fmt_num(x: float) -> str:
    """Format a number without a spurious ``.0``."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def province_name(raw: str) -> str:
    """Map a province spelling to the canonical name of ``schema.PROVINCES`` ("" stays "")."""
    raw = clean_ws(raw)
    if not raw:
        return ""
    name = PROVINCE_ALIASES.get(raw, raw)
    if name not in PROVINCES:
        raise SystemExit(f"curate: unknown province {raw!r}; add it to PROVINCE_ALIASES")
    return name


def uniq(items: Iterable[str]) -> list[str]:
    """Unique non-empty items, first occurrence order."""
    out: list[str] = []
    for it in items:
        if it and it not in out:
            out.append(it)
    return out


GENERIC_NAMES = frozenset({"", "unnamed", "occurrence"})


def name_key(name: str) -> str:
    """Normalised name for matching: lower case, parenthesised text, punctuation and "jv"
    removed, whitespace collapsed (``"Reko  Diq JV"`` -> ``"reko diq"``,
    ``"Saindak (Sindak)"`` -> ``"saindak"``)."""
    s = name.lower()
    s = re.sub(r"\([^)]*\)?", " ", s)
    s = re.sub(r"[^\w\s]", " ", s)
    s = re.sub(r"\bjv\b", " ", s)
    return clean_ws(s)


def split_commodities(text: str) -> tuple[list[str], list[str]]:
    """Split a source commodity cell into (normalised commodities, mineral words).

    Handles ``;``/``,`` lists, double-space-joined repeats (potash file), unit prefixes
    (``%``, ``g/t``), element words (Gold -> Au) and junk like
    ``(not in recovered extract - look up MRDS record)``.
    """
    comms: list[str] = []
    minerals: list[str] = []
    for part in re.split(r"[;,]|\s{2,}", text or ""):
        p = part.strip()
        if not p or p.startswith("("):
            continue
        p = re.sub(r"^(%|g/t|ppm|kg/t)\s*", "", p, flags=re.IGNORECASE).strip()
        if not p:
            continue
        low = p.lower()
        if low in MINERAL_WORDS:
            minerals.append(low)
            continue
        if low in COMMODITY_MAP:
            comms.append(COMMODITY_MAP[low])
        else:
            comms.append(p)
    return uniq(comms), uniq(minerals)


def geod_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in km (WGS84)."""
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


# --------------------------------------------------------------------------------------------
# occurrences


@dataclass
class Record:
    """One source record (a literature row or a USGS compilation row)."""

    dataset: str  # dataset key: "sb_ree" or the USGS dataset_key
    record_id: str
    name: str
    row: dict[str, str]
    lat: str = ""
    lon: str = ""
    commodities: list[str] = field(default_factory=list)
    minerals: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.dataset}:{self.record_id}"

    @property
    def has_xy(self) -> bool:
        return bool(self.lat and self.lon)

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def generic(self) -> bool:
        return self.key in GENERIC_NAMES

    @property
    def rank(self) -> int:
        if self.dataset == SB_REE_KEY:
            return -1
        return DATASET_RANK.index(self.dataset) if self.dataset in DATASET_RANK else len(DATASET_RANK)


def pair_match(a: Record, b: Record) -> tuple[int, float] | None:
    """Return a sort key (name class, distance km) when two records are the same deposit.

    Name classes: 0 same normalised name, 1 one name contained in the other, 2 fuzzy spelling
    variant, 3 unnamed/generic within UNNAMED_MATCH_KM. A record without coordinates matches on
    name alone (distance = inf, sorted last).
    """
    dist = (
        geod_km(float(a.lon), float(a.lat), float(b.lon), float(b.lat))
        if a.has_xy and b.has_xy
        else math.inf
    )
    if a.generic or b.generic:
        return (3, dist) if dist <= UNNAMED_MATCH_KM else None
    ka, kb = a.key, b.key
    if ka == kb:
        cls = 0
    elif f" {ka} " in f" {kb} " or f" {kb} " in f" {ka} ":
        cls = 1
    elif (
        math.isfinite(dist) and difflib.SequenceMatcher(None, ka, kb).ratio() >= FUZZY_RATIO
    ):
        cls = 2
    else:
        return None
    if math.isfinite(dist) and dist > MATCH_KM:
        return None
    return cls, dist


def cluster_records(records: Sequence[Record]) -> list[list[int]]:
    """Group records into deposits: union the best-matching pairs first, never putting two
    records of the same dataset into one deposit (a compilation lists a deposit once)."""
    pairs: list[tuple[tuple[int, float], int, int]] = []
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            if records[i].dataset == records[j].dataset:
                continue
            m = pair_match(records[i], records[j])
            if m is not None:
                pairs.append((m, i, j))
    pairs.sort(key=lambda p: (p[0][0], p[0][1], records[p[1]].ref, records[p[2]].ref))

    parent = list(range(len(records)))
    datasets: dict[int, set[str]] = {i: {r.dataset} for i, r in enumerate(records)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _m, i, j in pairs:
        ri, rj = find(i), find(j)
        if ri == rj or datasets[ri] & datasets[rj]:
            continue
        parent[rj] = ri
        datasets[ri] |= datasets.pop(rj)

    groups: dict[int, list[int]] = {}
    for i in range(len(records)):
        groups.setdefault(find(i), []).append(i)
    return [sorted(g, key=lambda k: (records[k].rank, records[k].record_id)) for g in groups.values()]


def sb_ree_records(rows: Sequence[dict[str, str]]) -> list[Record]:
    """Literature rows as records (commodity ``"Sb; Pb, Au, Ag"`` -> ``[Sb, Pb, Au, Ag]``)."""
    out = []
    for r in rows:
        comms = uniq(clean_ws(c) for c in re.split(r"[;,]", r["commodity"]))
        out.append(
            Record(SB_REE_KEY, r["id"], r["name"], r, lat=strip_num(r["lat"]),
                   lon=strip_num(r["lon"]), commodities=comms)
        )
    return out


def usgs_records(rows: Sequence[dict[str, str]]) -> list[Record]:
    """USGS compilation rows as records with normalised commodities."""
    out = []
    for r in rows:
        comms, minerals = split_commodities(r["commodities"])
        out.append(
            Record(r["dataset_key"], r["record_id"], clean_ws(r["site_name"]), r,
                   lat=strip_num(r["latitude"]), lon=strip_num(r["longitude"]),
                   commodities=comms, minerals=minerals)
        )
    return out


def ore_tonnage(note: str) -> str:
    """Ore tonnage in t, only where the note states one explicitly (``"~26,000 t ore"``)."""
    m = re.search(r"([\d][\d,.]*)\s*(t|Mt|kt)\s+ore\b", note or "")
    if not m:
        return ""
    value = float(m.group(1).replace(",", ""))
    value *= {"t": 1, "kt": 1e3, "Mt": 1e6}[m.group(2)]
    return fmt_num(value)


def deposit_type(rec: Record) -> str:
    """Deposit type of a USGS record with known codes spelled out."""
    raw = clean_ws(rec.row.get("deposit_type", ""))
    if not raw:
        return ""
    if (rec.dataset, raw) in DEPOSIT_TYPE_MAP:
        return DEPOSIT_TYPE_MAP[(rec.dataset, raw)]
    if rec.dataset == "umn/mrdata_sedznpb":
        return f"Sediment-hosted Zn-Pb (compilation subtype code {raw})"
    return raw


def _append_sources(base: str, extra: Iterable[str]) -> str:
    parts = [p.strip() for p in base.split(SOURCE_SEP.strip())] if base else []
    parts = [p for p in parts if p]
    for e in extra:
        if e and not any(e in p for p in parts):
            parts.append(e)
    return SOURCE_SEP.join(parts)


def literature_row(group: Sequence[Record]) -> dict[str, str]:
    """Output row of a literature (Sb/REE) record plus any USGS records merged into it."""
    lit = group[0]
    r = lit.row
    usgs = list(group[1:])
    comms = uniq([*lit.commodities, *(c for u in usgs for c in u.commodities)])
    return {
        "id": r["id"],
        "name": clean_ws(r["name"]),
        "commodity": comms[0] if comms else "",
        "commodities": LIST_SEP.join(comms),
        "minerals": clean_ws(r["minerals"]),
        "deposit_type": clean_ws(r["deposit_type"]),
        "status": clean_ws(r["status"]),
        "province": province_name(r["province"]),
        "district": clean_ws(r["district"]),
        "lon": lit.lon,
        "lat": lit.lat,
        "precision": r["precision"].strip(),
        "precision_km": strip_num(r["precision_km"]),
        "tonnage_grade_note": clean_ws(r["tonnage_grade_note"]),
        "ore_tonnage_t": ore_tonnage(r["tonnage_grade_note"]),
        "source_title": _append_sources(
            clean_ws(r["source_title"]), uniq(u.row["source_dataset"] for u in usgs)
        ),
        "source_url": _append_sources(
            clean_ws(r["source_url"]), uniq(u.row["record_url"] for u in usgs)
        ),
        "source_dataset": SB_REE_DATASET,
        "record_ids": LIST_SEP.join(rec.ref for rec in group),
        "geocode_note": r["geocode_note"].strip(),
    }


def usgs_row(group: Sequence[Record]) -> dict[str, str]:
    """Output row of one de-duplicated USGS deposit (``id`` filled in later)."""
    with_xy = [g for g in group if g.has_xy]
    anchor = with_xy[0] if with_xy else group[0]
    ordered = [anchor, *(g for g in group if g is not anchor)]
    name = anchor.name
    if anchor.generic and anchor.key != "occurrence":
        named = [g.name for g in ordered if not g.generic]
        name = named[0] if named else name
    comms = uniq(c for g in ordered for c in g.commodities)
    minerals = uniq(m for g in ordered for m in g.minerals)
    prov_rec = next((g for g in ordered if g.row["province"].strip()), None)
    dist_rec = next((g for g in ordered if g.row["district"].strip()), None)

    if anchor.has_xy:
        n, km = rounding_km(anchor.lat, anchor.lon)
        note = (
            f"USGS compilation coordinate given to {n} decimal{'' if n == 1 else 's'}; "
            "no stated accuracy; "
            f"±{fmt_num(km)} km is the rounding step. Coordinate from {anchor.ref}."
        )
        others = [
            geod_km(float(anchor.lon), float(anchor.lat), float(g.lon), float(g.lat))
            for g in with_xy[1:]
        ]
        if others:
            note += (
                f" The other {len(others)} compilation coordinate(s) of this deposit lie "
                f"{max(others):.1f} km or less away."
            )
        precision, precision_km = "locality", fmt_num(km)
    else:
        note = "no coordinate in source; unmapped"
        precision, precision_km = "district", ""
    if prov_rec is not None:
        method = clean_ws(prov_rec.row["province_method"])
        if "approximate" in method:
            note += f" Province derived approximately by the compiler ({method})."
    return {
        "id": "",
        "name": name,
        "commodity": comms[0] if comms else "",
        "commodities": LIST_SEP.join(comms),
        "minerals": ", ".join(minerals),
        "deposit_type": LIST_SEP.join(uniq(deposit_type(g) for g in ordered)),
        "status": "",
        "province": province_name(prov_rec.row["province"]) if prov_rec else "",
        "district": clean_ws(dist_rec.row["district"]) if dist_rec else "",
        "lon": anchor.lon,
        "lat": anchor.lat,
        "precision": precision,
        "precision_km": precision_km,
        "tonnage_grade_note": "",
        "ore_tonnage_t": "",
        "source_title": SOURCE_SEP.join(uniq(g.row["source_dataset"] for g in ordered)),
        "source_url": SOURCE_SEP.join(uniq(g.row["record_url"] for g in ordered)),
        "source_dataset": USGS_DATASET,
        "record_ids": LIST_SEP.join(g.ref for g in ordered),
        "geocode_note": note,
    }


@dataclass
class OccurrenceBuild:
    """Result of :func:`build_occurrences`: output rows and what was merged."""

    rows: list[dict[str, str]]
    n_literature: int
    n_usgs: int
    merges: list[list[str]]


def build_occurrences(sources: Path) -> OccurrenceBuild:
    """Curate the occurrence table from the two mineral source files."""
    lit_rows = read_rows(sources / SB_REE_FILE)
    usgs_rows = read_rows(sources / USGS_FILE)
    lit = sb_ree_records(lit_rows)
    usgs = usgs_records(usgs_rows)
    records = [*lit, *usgs]
    groups = cluster_records(records)

    lit_out: dict[str, dict[str, str]] = {}
    usgs_out: list[dict[str, str]] = []
    merges: list[list[str]] = []
    for g in groups:
        recs = [records[i] for i in g]
        if len(recs) > 1:
            merges.append([r.ref for r in recs])
        if recs[0].dataset == SB_REE_KEY:
            lit_out[recs[0].record_id] = literature_row(recs)
        else:
            usgs_out.append(usgs_row(recs))

    usgs_out.sort(key=lambda r: (r["name"].lower(), r["record_ids"].split(LIST_SEP)[0]))
    for k, row in enumerate(usgs_out, start=1):
        row["id"] = f"USGS-{k:03d}"
    rows = [lit_out[r.record_id] for r in lit] + usgs_out
    return OccurrenceBuild(rows, len(lit), len(usgs), merges)


# --------------------------------------------------------------------------------------------
# ports, crossings, dry ports


def _locode_rows(sources: Path) -> dict[str, dict[str, str]]:
    return {r["Location"]: r for r in read_rows(sources / LOCODE_FILE)}


def _locode_xy(row: dict[str, str]) -> tuple[str, str]:
    lat, lon = (strip_num(v) for v in row["LatLon"].split(","))
    return lon, lat


def _locode_coord_note(row: dict[str, str]) -> tuple[str, str]:
    """(note, title suffix) saying where the improved-un-locodes coordinate came from."""
    src = row["CoordSource"].strip()
    if src.startswith("https://www.openstreetmap.org/"):
        return f"coordinate from OpenStreetMap ({src.split('#')[0]})", " (coordinate: OpenStreetMap)"
    return (
        f"coordinate from the UN/LOCODE entry itself ({row['Coordinates'].strip()}, "
        "to the arc-minute, about ±1 km)",
        "",
    )


def _depth(value: str) -> str:
    """WPI depth in m; WPI writes 0 for "not reported", kept empty."""
    v = (value or "").strip()
    return "" if not v or float(v) == 0.0 else fmt_num(float(v))


def build_ports(sources: Path) -> list[dict[str, str]]:
    """WPI seaports (with depths) and UN/LOCODE minor ports (town points)."""
    wpi = {r["Main Port Name"]: r for r in read_rows(sources / WPI_FILE)}
    loc = _locode_rows(sources)
    rows = []
    for pid, wpi_name, name in SEAPORTS:
        w = wpi[wpi_name]
        alt = clean_ws(w["Alternate Port Name"])
        listed = f'WPI {int(float(w["World Port Index Number"]))} "{wpi_name}"' + (
            f' (alternate name "{alt}")' if alt else ""
        )
        rows.append({
            "id": pid, "name": name, "kind": "seaport",
            "locode": clean_ws(w["UN/LOCODE"]),
            "lon": f"{float(w['Longitude']):.6f}".rstrip("0").rstrip("."),
            "lat": f"{float(w['Latitude']):.6f}".rstrip("0").rstrip("."),
            "harbor_size": clean_ws(w["Harbor Size"]),
            "channel_depth_m": _depth(w["Channel Depth (m)"]),
            "cargo_pier_depth_m": _depth(w["Cargo Pier Depth (m)"]),
            "anchorage_depth_m": _depth(w["Anchorage Depth (m)"]),
            "max_vessel_draft_m": _depth(w["Maximum Vessel Draft (m)"]),
            "location_note": f"WPI port position (harbour reference point, not a berth); listed as {listed}",
            "source_title": WPI_TITLE, "source_url": WPI_URL,
        })
    for pid, code in MINOR_PORTS:
        r = loc[code]
        lon, lat = _locode_xy(r)
        note, suffix = _locode_coord_note(r)
        rows.append({
            "id": pid, "name": clean_ws(r["NameWoDiacritics"]), "kind": "minor",
            "locode": f"PK {code}", "lon": lon, "lat": lat, "harbor_size": "",
            "channel_depth_m": "", "cargo_pier_depth_m": "", "anchorage_depth_m": "",
            "max_vessel_draft_m": "",
            "location_note": f"town point from UN/LOCODE, not a berth; {note}",
            "source_title": LOCODE_TITLE + suffix, "source_url": LOCODE_URL,
        })
    return rows


def build_border_crossings(sources: Path) -> list[dict[str, str]]:
    """Border crossings that have a UN/LOCODE entry with a coordinate."""
    loc = _locode_rows(sources)
    rows = []
    for code, country in CROSSINGS:
        r = loc[code]
        lon, lat = _locode_xy(r)
        note, suffix = _locode_coord_note(r)
        name = clean_ws(r["NameWoDiacritics"])
        rows.append({
            "id": name.lower().replace(" ", "_"), "name": name, "country": country,
            "locode": f"PK {code}", "lon": lon, "lat": lat,
            "location_note": f"town point of the crossing from UN/LOCODE (function {r['Function']}), "
                             f"not the gate itself; {note}",
            "source_title": LOCODE_TITLE + suffix, "source_url": LOCODE_URL,
        })
    return rows


def build_dry_ports(sources: Path) -> list[dict[str, str]]:
    """UN/LOCODE entries with function 6 (inland clearance depot / dry port) and a coordinate."""
    rows = []
    for r in read_rows(sources / LOCODE_FILE):
        func = r["Function"]
        if len(func) < 6 or func[5] != "6" or not r["LatLon"].strip():
            continue
        lon, lat = _locode_xy(r)
        note, suffix = _locode_coord_note(r)
        name = clean_ws(r["NameWoDiacritics"])
        rows.append({
            "id": re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"), "name": name,
            "locode": f"PK {r['Location']}", "lon": lon, "lat": lat,
            "location_note": f"UN/LOCODE function 6 (inland clearance depot); town point, not the "
                             f"depot itself; {note}",
            "source_title": LOCODE_TITLE + suffix, "source_url": LOCODE_URL,
        })
    return rows


# --------------------------------------------------------------------------------------------
# output


def to_csv(rows: Sequence[dict[str, str]], columns: Sequence[str]) -> str:
    """Render rows as CSV text with exactly ``columns`` in order."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in columns})
    return buf.getvalue()


def build_all(sources: Path) -> tuple[dict[str, str], OccurrenceBuild]:
    """Return {file name: CSV text} for every curated table, and the occurrence build."""
    occ = build_occurrences(sources)
    tables = {
        "occurrences.csv": to_csv(occ.rows, OCCURRENCE_COLUMNS),
        "ports.csv": to_csv(build_ports(sources), PORT_COLUMNS),
        "border_crossings.csv": to_csv(build_border_crossings(sources), CROSSING_COLUMNS),
        "dry_ports.csv": to_csv(build_dry_ports(sources), DRY_PORT_COLUMNS),
    }
    return tables, occ


def summary(occ: OccurrenceBuild, tables: dict[str, str]) -> str:
    """Human-readable run summary."""
    rows = occ.rows
    lit = [r for r in rows if r["source_dataset"] == SB_REE_DATASET]
    usgs = [r for r in rows if r["source_dataset"] == USGS_DATASET]
    mapped = sum(1 for r in rows if r["lon"])
    lines = [
        f"rows in : {occ.n_literature} literature (Sb/REE) + {occ.n_usgs} USGS = "
        f"{occ.n_literature + occ.n_usgs}",
        f"rows out: {len(rows)} ({len(lit)} literature, {len(usgs)} USGS deposits); "
        f"{mapped} mapped, {len(rows) - mapped} unmapped",
        f"merges  : {len(occ.merges)} groups absorbed "
        f"{sum(len(m) - 1 for m in occ.merges)} records",
    ]
    lines += [f"  - {' + '.join(m)}" for m in occ.merges]
    for name, text in tables.items():
        lines.append(f"{name}: {text.count(chr(10)) - 1} rows")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=Path, default=None, help="source mirror directory")
    ap.add_argument("--out", type=Path, default=get_settings().geodata_dir,
                    help="output directory (default $MINERALMAP_GEODATA or geodata/)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if a committed table differs from a fresh build")
    args = ap.parse_args(argv)
    sources = args.sources or default_sources_dir()
    tables, occ = build_all(sources)
    print(f"sources: {sources}")
    print(summary(occ, tables))
    if args.check:
        stale = [n for n, t in tables.items()
                 if not (args.out / n).exists() or (args.out / n).read_text(encoding="utf-8") != t]
        print("check: " + ("up to date" if not stale else f"differs: {', '.join(stale)}"))
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for n, t in tables.items():
        (args.out / n).write_text(t, encoding="utf-8")
        print(f"wrote {args.out / n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
