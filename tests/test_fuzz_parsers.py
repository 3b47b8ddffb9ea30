"""Property-based tests of every parser and spec a user, a file or a URL reaches (issue 15).

Invariant for every input: a valid result, or a project error
(:class:`mineralmap.errors.MineralmapError`) with a non-empty message — never another exception —
within a bounded time (hypothesis ``deadline``). Structured generators (GeoJSON, KML, zipped
shapefiles built with pyogrio, CSV/GeoJSON inventories, query parameters, region specs, CLI argv)
plus byte mutations of valid files.

CI runs a fixed-seed budget (``derandomize=True``, a few dozen examples per target);
``make fuzz`` (``benchmarks/fuzz.py``) runs the same :data:`TARGETS` with >= 1,000 cases each and
prints the counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from toy_geodata import write_cache, write_geodata

from mineralmap import cli, config, inventory, scale
from mineralmap.errors import MineralmapError
from mineralmap.filters import PARAM_KEYS, FilterSpec
from mineralmap.regions import PAKISTAN_EXTENT, RegionSpec, parse_region_file

# ---------------------------------------------------------------------- building blocks

_W, _S, _E, _N = PAKISTAN_EXTENT
#: Plausible coordinates (mostly inside Pakistan) mixed with hostile numbers.
NUMBERS = st.one_of(
    st.floats(_W - 2, _E + 2),
    st.floats(_S - 2, _N + 2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6),
    st.sampled_from([0, -0.0, 1e308, -1e308, 1e-320, 9.3e18, 2**63, 10**20]),
)
HOSTILE = st.one_of(st.booleans(), st.none(), st.text(max_size=8), st.just([]),
                    st.just({}), st.just(10**400))
COORD = st.one_of(NUMBERS, NUMBERS, NUMBERS, HOSTILE)


@st.composite
def rings(draw, closed_bias: bool = True) -> list[list[object]]:
    """A ring of 0-12 positions near Pakistan, sometimes hostile."""
    n = draw(st.integers(0, 12))
    cx, cy = draw(st.floats(_W, _E)), draw(st.floats(_S, _N))
    pts: list[list[object]] = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 0:
            pts.append([draw(COORD) for _ in range(draw(st.integers(0, 4)))])
        else:
            pts.append([cx + draw(st.floats(-2, 2)), cy + draw(st.floats(-2, 2))])
    if pts and closed_bias and draw(st.booleans()):
        pts.append(list(pts[0]))
    return pts


@st.composite
def geojson_geometries(draw, depth: int = 0) -> dict:
    kind = draw(st.sampled_from(["Polygon", "Polygon", "MultiPolygon", "Point", "LineString",
                                 "GeometryCollection", "Bogus"]))
    if kind == "Polygon":
        return {"type": kind, "coordinates": draw(st.lists(rings(), max_size=3))}
    if kind == "MultiPolygon":
        return {"type": kind,
                "coordinates": draw(st.lists(st.lists(rings(), max_size=2), max_size=3))}
    if kind == "Point":
        return {"type": kind, "coordinates": [draw(COORD), draw(COORD)]}
    if kind == "LineString":
        return {"type": kind, "coordinates": draw(rings(closed_bias=False))}
    if kind == "GeometryCollection" and depth < 2:
        return {"type": kind,
                "geometries": draw(st.lists(geojson_geometries(depth + 1), max_size=3))}
    return {"type": kind, "coordinates": draw(COORD)}


@st.composite
def geojson_documents(draw) -> bytes:
    geoms = draw(st.lists(geojson_geometries(), min_size=1, max_size=4))
    wrap = draw(st.sampled_from(["fc", "feature", "bare", "junk"]))
    if wrap == "fc":
        obj: object = {"type": "FeatureCollection",
                       "features": [{"type": "Feature", "properties": {}, "geometry": g}
                                    for g in geoms]}
    elif wrap == "feature":
        obj = {"type": "Feature", "properties": None, "geometry": geoms[0]}
    elif wrap == "bare":
        obj = geoms[0]
    else:
        obj = draw(st.one_of(st.lists(st.integers(), max_size=3), st.text(max_size=5),
                             st.just({"type": "FeatureCollection", "features": 3})))
    if isinstance(obj, dict) and draw(st.integers(0, 4)) == 0:
        obj["crs"] = draw(st.sampled_from([
            {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
            {"type": "name", "properties": {"name": "EPSG:32642"}},
            {"type": "name", "properties": {"name": "not a crs"}},
            {"properties": []}, "EPSG:4326", 7,
        ]))
    return json.dumps(obj, allow_nan=True).encode()


_KML_TOKENS = st.one_of(
    st.builds(lambda x, y: f"{x!r},{y!r}", st.floats(_W, _E), st.floats(_S, _N)),
    st.builds(lambda x, y: f"{x},{y},0", st.floats(_W, _E), st.floats(_S, _N)),
    st.sampled_from(["nan,30", "65,inf", "-Infinity,28", "65", ",", "1e999,1", "abc,def",
                     "65,30,0,0"]),
)


@st.composite
def kml_documents(draw) -> bytes:
    def ring() -> str:
        toks = draw(st.lists(_KML_TOKENS, max_size=8))
        return ("<LinearRing><coordinates>" + " ".join(toks)
                + "</coordinates></LinearRing>")

    polys = []
    for _ in range(draw(st.integers(0, 3))):
        holes = "".join(f"<innerBoundaryIs>{ring()}</innerBoundaryIs>"
                        for _ in range(draw(st.integers(0, 2))))
        polys.append(f"<Polygon><outerBoundaryIs>{ring()}</outerBoundaryIs>{holes}</Polygon>")
    if draw(st.booleans()):
        polys.append("<Point><coordinates>65,30</coordinates></Point>")
    enc = draw(st.sampled_from(["UTF-8", "UTF-8", "utf-16", "latin-1", "klingon-8", "ascii"]))
    prolog = draw(st.sampled_from(["", "", '<!DOCTYPE kml [<!ENTITY a "b">]>',
                                   '<!DOCTYPE kml SYSTEM "http://x/y.dtd">']))
    body = "".join(f"<Placemark>{p}</Placemark>" for p in polys)
    text = (f'<?xml version="1.0" encoding="{enc}"?>{prolog}'
            f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>')
    return text.encode("utf-8")


_MEMBER_PREFIX = st.sampled_from(["", "", "shape/", "a" * 300 + "/", "d/" * 40, "ü/", "x/",
                                  "../", "/abs/", "C:/"])


@st.composite
def zipped_shapefiles(draw) -> bytes:
    """A real small shapefile (pyogrio) zipped with hostile member names, parts, methods."""
    n = draw(st.integers(1, 3))
    geoms = []
    for _ in range(n):
        x, y = draw(st.floats(_W, _E - 1)), draw(st.floats(_S, _N - 1))
        w, h = draw(st.floats(1e-6, 1)), draw(st.floats(1e-6, 1))
        if draw(st.booleans()):
            geoms.append(shapely.box(x, y, x + w, y + h))
        else:  # bow-tie
            geoms.append(Polygon([(x, y), (x + w, y + h), (x + w, y), (x, y + h)]))
    crs = draw(st.sampled_from(["EPSG:4326", "EPSG:32642", "EPSG:3857", None]))
    gdf = gpd.GeoDataFrame({"name": ["a"] * n}, geometry=geoms, crs="EPSG:4326")
    if crs and crs != "EPSG:4326":
        gdf = gdf.to_crs(crs)
    with tempfile.TemporaryDirectory() as tmp:
        pyogrio.write_dataframe(gdf, Path(tmp) / "area.shp")
        parts = {p.suffix: p.read_bytes() for p in Path(tmp).glob("area.*")}
    if crs is None:
        parts.pop(".prj", None)
    drop = draw(st.sets(st.sampled_from([".shx", ".dbf", ".prj"]), max_size=2))
    prefix = draw(_MEMBER_PREFIX)
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2,
                                   zipfile.ZIP_LZMA]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for suffix, data in parts.items():
            if suffix not in drop:
                zf.writestr(f"{prefix}area{suffix}", data)
        if draw(st.booleans()):  # a file and a folder of the same name
            zf.writestr(f"{prefix}area.shp/inner.txt", b"x")
    return buf.getvalue()


@st.composite
def mutated(draw, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` with a few random byte flips, insertions, deletions or truncation."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 8))]
        else:
            del data[i:]
    return bytes(data)


REGION_FILES = st.one_of(
    st.tuples(geojson_documents(), st.sampled_from(["a.geojson", "a.json", "a.txt"])),
    st.tuples(kml_documents(), st.sampled_from(["a.kml", "a"])),
    st.tuples(zipped_shapefiles(), st.sampled_from(["a.zip", "a.bin"])),
    st.tuples(mutated(st.one_of(geojson_documents(), kml_documents(), zipped_shapefiles())),
              st.sampled_from(["a.geojson", "a.kml", "a.zip", "a"])),
    st.tuples(st.binary(max_size=300), st.sampled_from(["a.geojson", "a.kml", "a.zip", "a.kmz"])),
)

# ---------------------------------------------------------------------- inventories

_INV_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(_W, _E).map(lambda f: f"{f:.4f}"), st.floats(_S, _N).map(lambda f: f"{f:.4f}"),
    st.sampled_from(["", "true", "false", "NaN", "inf", "1e308", "9.3e18", "-1", "0", "501",
                     "30°52'53\"N", "x"]),
    st.text(max_size=6),
)
_INV_HEADER = ["id", "name", "commodity", "precision", "precision_km", "source_title",
               "source_url", "lon", "lat", "ore_tonnage_t", "province"]


@st.composite
def inventory_csvs(draw) -> bytes:
    cols = draw(st.one_of(st.just(_INV_HEADER), st.permutations(_INV_HEADER),
                          st.lists(st.sampled_from(_INV_HEADER), max_size=12)))
    rows = []
    for i in range(draw(st.integers(0, 5))):
        base = {"id": f"ID-{i}", "name": "n", "commodity": "Sb", "precision": "locality",
                "precision_km": "2", "source_title": "t", "source_url": "https://x",
                "lon": f"{draw(st.floats(_W, _E)):.4f}", "lat": f"{draw(st.floats(_S, _N)):.4f}",
                "ore_tonnage_t": "", "province": ""}
        for c in draw(st.sets(st.sampled_from(_INV_HEADER), max_size=3)):
            base[c] = draw(_INV_CELLS)
        rows.append([base[c].replace(",", " ").replace("\n", " ").replace("\r", " ")
                     .replace('"', "'") for c in cols])
    lines = [",".join(cols)] + [",".join(r) for r in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def inventory_geojsons(draw) -> bytes:
    feats = []
    for i in range(draw(st.integers(0, 4))):
        props = {"id": f"ID-{i}", "name": "n", "commodity": "Sb", "precision": "locality",
                 "precision_km": draw(st.one_of(st.just(2.0), NUMBERS, HOSTILE)),
                 "source_title": "t", "source_url": "https://x",
                 "ore_tonnage_t": draw(st.one_of(st.none(), NUMBERS))}
        geom = draw(st.one_of(
            st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, COORD, COORD),
            st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]},
                      st.floats(_W, _E), st.floats(_S, _N)),
            st.just({"type": "Point", "coordinates": []}), st.none(), geojson_geometries()))
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return json.dumps({"type": "FeatureCollection", "features": feats}, allow_nan=True).encode()


INVENTORY_FILES = st.one_of(
    st.tuples(inventory_csvs(), st.just(".csv")),
    st.tuples(inventory_geojsons(), st.just(".geojson")),
    st.tuples(mutated(inventory_csvs()), st.just(".csv")),
    st.tuples(mutated(inventory_geojsons()), st.just(".geojson")),
)


def _load_inventory_bytes(case: tuple[bytes, str]) -> object:
    data, suffix = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"inv{suffix}"
        path.write_bytes(data)
        got = scale.load_inventory(path)
    lon, lat = got["lon"].to_numpy(float), got["lat"].to_numpy(float)
    mapped = np.isfinite(lon)
    assert (np.isnan(lon) == np.isnan(lat)).all()
    assert ((lon[mapped] > _W - 2) & (lon[mapped] < _E + 2)).all()
    for col in ("precision_km", "ore_tonnage_t"):
        v = got[col].to_numpy(float)
        assert not np.isinf(v).any()
    return got


def _read_upload(case: tuple[bytes, str]) -> object:
    data, suffix = case
    up = inventory.read_upload(data, f"upload{suffix}")
    return inventory.validate(up, inventory.auto_mapping(up.columns))


# ---------------------------------------------------------------------- specs

_TEXT = st.text(max_size=12)
PARAM_VALUES = st.one_of(_TEXT, st.lists(_TEXT, max_size=3),
                         st.sampled_from(["-5", "1e999", "nan", "inf", "0", "500", "Balochistan",
                                          "surveyed,district", "true", "no", ",,"]))
FILTER_PARAMS = st.dictionaries(
    st.one_of(st.sampled_from(sorted(PARAM_KEYS.values())), _TEXT), PARAM_VALUES, max_size=6)

_ANY = st.one_of(st.none(), NUMBERS, st.booleans(), _TEXT, st.lists(NUMBERS, max_size=5),
                 st.tuples(NUMBERS, NUMBERS), st.tuples(NUMBERS, NUMBERS, NUMBERS, NUMBERS))
_GEOMS = st.one_of(
    st.none(), st.just(Polygon()), st.just(shapely.Point(65, 30)),
    st.builds(shapely.box, st.floats(60, 70), st.floats(24, 30), st.floats(70, 78),
              st.floats(30, 37)),
    _TEXT,
)
REGION_KWARGS = st.fixed_dictionaries({}, optional={
    "provinces": st.one_of(st.tuples(_TEXT), st.lists(_TEXT, max_size=3), _TEXT, _ANY),
    "districts": st.one_of(st.tuples(_TEXT), _ANY),
    "tehsils": st.one_of(st.tuples(_TEXT), _ANY),
    "bbox": st.one_of(st.tuples(*[st.floats(55, 80)] * 4), _ANY),
    "center": st.one_of(_TEXT, _ANY),
    "center_lonlat": st.one_of(st.tuples(st.floats(60, 78), st.floats(23, 37)), _ANY),
    "radius_km": st.one_of(st.floats(-10, 4000), _ANY),
    "polygon": _GEOMS,
    "polygon_label": _TEXT,
    "add_ids": st.one_of(st.tuples(_TEXT), _ANY),
    "remove_ids": st.one_of(st.tuples(_TEXT), _ANY),
})


def _region_spec(kw: dict) -> object:
    spec = RegionSpec(**kw)
    spec.describe()
    hash(spec)
    return spec


def _filter_spec(params: dict) -> object:
    spec, notes = FilterSpec.from_params(params)
    assert all(isinstance(n, str) and n for n in notes)
    return spec


def _region_file(case: tuple[bytes, str]) -> object:
    data, name = case
    geom, notes = parse_region_file(data, name)
    assert geom.geom_type in ("Polygon", "MultiPolygon") and not geom.is_empty
    assert geom.is_valid and np.isfinite(shapely.get_coordinates(geom)).all()
    assert all(isinstance(n, str) and n for n in notes)
    return geom


# ---------------------------------------------------------------------- CLI

_OPTS = ["--province", "--district", "--commodity", "--status", "--precision", "--max-port-km",
         "--max-rail-km", "--max-road-km", "--name", "--mapped-only", "--tehsil", "--bbox",
         "--near", "--lonlat", "--radius-km", "--region-file", "--add-id", "--remove-id",
         "--format", "-o", "--allow-empty", "--help", "--bogus", "-x"]
_SAFE_NAME = st.text(st.characters(blacklist_characters="/\\\x00", blacklist_categories=("Cs",)),
                     min_size=1, max_size=300)
_CLI_VALUES = st.one_of(
    _TEXT, _SAFE_NAME, NUMBERS.map(str),
    st.sampled_from(["Balochistan", "Sb", "REE", "surveyed", "64,27,68,31", "66.97,30.18",
                     "Gwadar", "200", "-1", "nan", "geojson", "csv", "kml", "gpkg",
                     "region.geojson", "missing.kml", "deep.geojson", ""]),
)


@st.composite
def cli_argvs(draw) -> list[str]:
    argv = ["export"]
    for _ in range(draw(st.integers(0, 6))):
        opt = draw(st.sampled_from(_OPTS))
        argv.append(opt)
        if opt == "-o":
            argv.append(draw(_SAFE_NAME))  # never a path outside the working folder
        elif opt == "--region-file":
            argv.append(draw(st.sampled_from(["region.geojson", "missing.kml", "deep.geojson",
                                              "big.geojson", "dir"])))
        elif draw(st.integers(0, 4)):
            argv.append(draw(_CLI_VALUES))
    if draw(st.integers(0, 9)) == 0:
        argv[0] = draw(st.sampled_from(["", "bogus", "--version"]))
    return argv


def prepare_cli_folder(folder: Path) -> None:
    """Files the random argv may name as ``--region-file``."""
    square = [[65, 28], [66, 28], [66, 29], [65, 29], [65, 28]]
    (folder / "region.geojson").write_text(json.dumps({"type": "Polygon",
                                                       "coordinates": [square]}))
    (folder / "deep.geojson").write_bytes(b"[" * 50_000 + b"]" * 50_000)
    with open(folder / "big.geojson", "wb") as f:
        f.truncate(50_000_000)  # sparse
    (folder / "dir").mkdir(exist_ok=True)


def run_cli(argv: list[str]) -> int:
    """``cli.main(argv)``: an exit code 0/1/2, never an exception (output is discarded)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        code = cli.main(argv)
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue()
    return code


# ---------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One parser or spec under test: a strategy of inputs and the function called on each."""

    strategy: st.SearchStrategy
    call: Callable[[object], object]
    ci_examples: int


TARGETS: dict[str, Target] = {
    "parse_region_file": Target(REGION_FILES, _region_file, 60),
    "scale.load_inventory": Target(INVENTORY_FILES, _load_inventory_bytes, 40),
    "inventory.read_upload": Target(INVENTORY_FILES, _read_upload, 40),
    "FilterSpec.from_params": Target(FILTER_PARAMS, _filter_spec, 60),
    "RegionSpec": Target(REGION_KWARGS, _region_spec, 60),
}


def check(target: Target, value: object) -> str:
    """Run one input: ``"valid"`` or ``"project error"``; any other exception propagates."""
    try:
        target.call(value)
    except MineralmapError as exc:
        assert str(exc).strip(), f"empty message from {type(exc).__name__}"
        return "project error"
    return "valid"


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=5000, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_parser_gives_a_result_or_a_project_error(name):
    target = TARGETS[name]

    @_settings(target.ci_examples)
    @given(target.strategy)
    def prop(value):
        check(target, value)

    prop()


def test_cli_exit_codes_are_0_1_2_never_a_traceback(toy_catalog_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prepare_cli_folder(tmp_path)

    @_settings(40)
    @given(cli_argvs())
    def prop(argv):
        run_cli(argv)

    prop()


@pytest.fixture
def toy_catalog_env(tmp_path, monkeypatch, layers, occurrences):
    """Settings pointing at the toy world written as real files (see tests/toy_geodata.py)."""
    monkeypatch.setenv("MINERALMAP_GEODATA", str(write_geodata(tmp_path / "geo", layers,
                                                               occurrences)))
    monkeypatch.setenv("MINERALMAP_CACHE", str(write_cache(tmp_path / "cache", layers)))
    config.reload_settings()


def test_filter_params_with_an_empty_value_list():
    """Found by H3: ``{"max_port_km": []}`` raised IndexError."""
    spec, _notes = FilterSpec.from_params({"max_port_km": []})
    assert spec.max_port_km is None


def test_the_targets_do_reach_valid_results():
    """The generators are not all garbage: each target has inputs that parse."""
    square = [[65, 28], [66, 28], [66, 29], [65, 29], [65, 28]]
    assert check(TARGETS["parse_region_file"],
                 (json.dumps({"type": "Polygon", "coordinates": [square]}).encode(),
                  "a.geojson")) == "valid"
    assert check(TARGETS["FilterSpec.from_params"], {"province": "Balochistan"}) == "valid"
    assert check(TARGETS["RegionSpec"], {"bbox": (64, 27, 68, 31)}) == "valid"
    csv = (b"id,name,commodity,precision,precision_km,source_title,source_url,lon,lat\n"
           b"A,n,Sb,locality,2,t,https://x,65.5,29.1\n")
    assert check(TARGETS["scale.load_inventory"], (csv, ".csv")) == "valid"
    assert check(TARGETS["inventory.read_upload"], (csv, ".csv")) == "valid"
