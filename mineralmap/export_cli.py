"""``python -m mineralmap export``: the region page's filters, region modes and exports on the CLI.

Uses the same :class:`~mineralmap.filters.FilterSpec`, :class:`~mineralmap.regions.RegionSpec`,
:func:`mineralmap.selection.select` and :func:`mineralmap.export.export_selection` as the app, so
the file written here equals the one downloaded from the region page for the same choices.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mineralmap import __version__, catalog, filters, selection
from mineralmap.errors import ExportError, FilterError, MineralmapError, RegionError
from mineralmap.export import export_selection
from mineralmap.filters import FilterSpec
from mineralmap.regions import MAX_UPLOAD_BYTES, RegionSpec, parse_region_file
from mineralmap.schema import PRECISION_CLASSES, PROVINCES

__all__ = [
    "add_parser",
    "add_selection_arguments",
    "output_path",
    "require_complete",
    "run",
    "selection_from_args",
    "write_output",
]

DESCRIPTION = """\
Select occurrences with the app's filters and region modes and write them as GeoJSON (RFC 7946,
with a metadata member: filter, region, counts, time, version, attributions), CSV (lon/lat
columns), GeoPackage (layers occurrences, region, metadata) or KML.

Filters (all optional, combined with AND; repeat an option or separate values with commas):
  province/district use the polygon each point falls in (stated name for unmapped rows);
  --max-port-km is the road haul to a seaport (straight line where no road route is known);
  rows without coordinates never pass a distance filter.

Region modes (all optional; the modes given are intersected, the admin units united):
  --tehsil, --bbox, --near/--lonlat with --radius-km (geodesic circle), --region-file
  (GeoJSON, KML or zipped shapefile, max 5 MB); --add-id/--remove-id adjust the result.
"""

EPILOG = """\
examples:
  python -m mineralmap export --province Balochistan --commodity Sb --max-port-km 500 \\
      --format geojson -o out.geojson
  python -m mineralmap export --commodity Sb,REE --precision surveyed,locality --format csv
  python -m mineralmap export --near Gwadar --radius-km 200 --province Balochistan --format gpkg
  python -m mineralmap export --lonlat 66.97,30.18 --radius-km 150 --format kml
  python -m mineralmap export --bbox 64,27,68,31 --name antimony
  python -m mineralmap export --region-file area.geojson --allow-empty -o area_export.geojson

exit status:
  0  file written ("wrote N occurrences to PATH")
  1  nothing selected (without --allow-empty), data not built, or the file cannot be written
  2  bad arguments (unknown province, invalid bbox, unreadable region file, ...)
"""


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _km(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of km: {value!r}") from None
    if not f >= 0 or f == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a distance >= 0 km: {value!r}")
    return f


def _numbers(n: int, what: str):
    def parse(value: str) -> tuple[float, ...]:
        parts = value.split(",")
        try:
            nums = tuple(float(p) for p in parts)
        except ValueError:
            nums = ()
        if len(nums) != n:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
        return nums

    parse.__name__ = what  # argparse shows it in "invalid <name> value"
    return parse


def _check_known(what: str, given: list[str], valid: list[str]) -> None:
    """Exit 2 with the valid values when a given value is unknown (case-insensitive)."""
    known = {v.casefold() for v in valid}
    bad = [g for g in given if g.casefold() not in known]
    if bad:
        shown = ", ".join(valid[:40]) + (" …" if len(valid) > 40 else "")
        raise _usage(FilterError(f"unknown {what} {', '.join(repr(b) for b in bad)}; valid: {shown}"))


def add_parser(subparsers: Any) -> None:
    """Register the ``export`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "export",
        help="export filtered occurrences in a region (GeoJSON, CSV, GeoPackage, KML)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection_arguments(p)
    o = p.add_argument_group("output")
    o.add_argument("--format", choices=("geojson", "csv", "gpkg", "kml"), default="geojson",
                   help="file format (default: geojson)")
    o.add_argument("-o", "--output", type=Path, metavar="PATH",
                   help="output file or directory (default: a descriptive name in the current "
                   "directory, e.g. mineralmap_balochistan_sb_2026-11-22.geojson)")
    o.add_argument("--allow-empty", action="store_true",
                   help="write a valid empty file (with metadata) when nothing is selected")
    p.set_defaults(func=run)


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """Add the filter and region options (shared by ``export`` and ``brief``) to ``p``."""
    f = p.add_argument_group("filters")
    f.add_argument("--province", action="extend", type=_split, default=[], metavar="NAME",
                   help=f"province(s), e.g. Balochistan (valid: {', '.join(PROVINCES)})")
    f.add_argument("--district", action="extend", type=_split, default=[], metavar="NAME",
                   help="district(s) (names as in the district layer)")
    f.add_argument("--commodity", action="extend", type=_split, default=[], metavar="C",
                   help="commodity group Sb, REE, other, or a primary commodity code (Cu, Au ...)")
    f.add_argument("--status", action="extend", type=_split, default=[], metavar="S",
                   help="status value(s), e.g. occurrence, deposit, mine")
    f.add_argument("--precision", action="extend", type=_split, default=[], metavar="P",
                   help=f"location precision class(es): {', '.join(PRECISION_CLASSES)}")
    f.add_argument("--max-port-km", type=_km, metavar="KM",
                   help="maximum road haul to a seaport (straight line where no road route)")
    f.add_argument("--max-rail-km", type=_km, metavar="KM", help="maximum distance to a railway")
    f.add_argument("--max-road-km", type=_km, metavar="KM",
                   help="maximum distance to a primary road")
    f.add_argument("--name", default="", metavar="TEXT",
                   help="case-insensitive substring of the occurrence name")
    f.add_argument("--mapped-only", action="store_true",
                   help="drop rows without coordinates (by default they are exported with "
                   "empty geometry in GeoJSON/CSV)")

    r = p.add_argument_group("region")
    r.add_argument("--tehsil", action="extend", type=_split, default=[], metavar="NAME",
                   help="tehsil(s) (administrative region mode)")
    r.add_argument("--bbox", type=_numbers(4, "W,S,E,N"), metavar="W,S,E,N",
                   help="bounding box in degrees inside Pakistan, e.g. 64,27,68,31")
    r.add_argument("--near", metavar="NAME",
                   help="radius centre: a port, town or occurrence name (or occurrence id)")
    r.add_argument("--lonlat", type=_numbers(2, "LON,LAT"), metavar="LON,LAT",
                   help="radius centre as coordinates, e.g. 66.97,30.18")
    r.add_argument("--radius-km", type=_km, metavar="KM",
                   help="radius in km around --near or --lonlat (geodesic)")
    r.add_argument("--region-file", type=Path, metavar="PATH",
                   help="polygon file: .geojson/.json, .kml or zipped shapefile .zip (max 5 MB)")
    r.add_argument("--add-id", action="extend", type=_split, default=[], metavar="ID",
                   help="occurrence id(s) to add to the selection")
    r.add_argument("--remove-id", action="extend", type=_split, default=[], metavar="ID",
                   help="occurrence id(s) to remove from the selection")


def _usage(exc: MineralmapError) -> MineralmapError:
    exc.usage = True  # type: ignore[attr-defined]  # cli.main -> exit code 2
    return exc


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def _read_region_file(path: Path) -> bytes:
    """The bytes of ``--region-file``; its size is checked before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise _usage(RegionError(
                f"--region-file {_shown(path)} is {size / 1e6:.1f} MB; the limit is "
                f"{MAX_UPLOAD_BYTES / 1e6:g} MB"))
        with open(path, "rb") as f:
            data = f.read(MAX_UPLOAD_BYTES + 1)  # it may have grown since the stat
    except OSError as exc:
        raise _usage(RegionError(f"cannot read --region-file {_shown(path)}: "
                                 f"{exc.strerror or exc}")) from None
    return data


def require_complete(cat: catalog.Catalog) -> None:
    """Refuse to export from an incomplete catalog (exit 1 with the catalog's messages).

    Raises
    ------
    ExportError
        When any layer, the occurrence table, an inventory or the enrichment is missing: an
        export would otherwise carry empty distance columns or silently lack rows.
    """
    if cat.missing:
        msgs = "; ".join(f"{k}: {v}" for k, v in sorted(cat.missing.items()))
        raise ExportError(f"the data is incomplete, nothing written ({msgs}); run `python -m "
                          "mineralmap data` and check the settings")


def write_output(out: Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` (a file, or a directory receiving a file of the default name
    is handled by the caller); return the path written.

    Raises
    ------
    ExportError
        The file cannot be written (missing folder, name too long, no permission, ...).
    """
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"cannot write {_shown(out)}: {exc.strerror or exc}") from None
    return out


def output_path(given: Path | None, name: str) -> Path:
    """``-o`` (a file or an existing directory) or the default ``name`` in the current folder."""
    out = given if given is not None else Path.cwd() / name
    try:
        is_dir = out.is_dir()
    except (OSError, ValueError):  # name too long, NUL byte: reported by write_output
        is_dir = False
    return out / name if is_dir else out


def _names(table: Any, col: str) -> list[str]:
    if table is None or col not in getattr(table, "columns", ()):
        return []
    return sorted(set(table[col].dropna().astype(str)) - {""})


def selection_from_args(
    args: argparse.Namespace,
) -> tuple[selection.Selection, catalog.Catalog, FilterSpec]:
    """Validate the filter and region options of ``args``, load the catalog and select.

    Returns
    -------
    tuple
        ``(selection, catalog, validated FilterSpec)``.

    Raises
    ------
    MineralmapError
        With ``usage=True`` for bad arguments (exit 2), otherwise a data problem (exit 1).
    """
    has_centre = args.near is not None or args.lonlat is not None
    if args.near is not None and args.lonlat is not None:
        raise _usage(RegionError("give either --near or --lonlat, not both"))
    if has_centre and args.radius_km is None:
        raise _usage(RegionError("--near/--lonlat need --radius-km KM"))
    if args.radius_km is not None and not has_centre:
        raise _usage(RegionError("--radius-km needs a centre: --near NAME or --lonlat LON,LAT"))
    bad_prec = [p for p in args.precision if p.casefold() not in PRECISION_CLASSES]
    if bad_prec:
        raise _usage(FilterError(
            f"unknown precision {', '.join(bad_prec)}; valid: {', '.join(PRECISION_CLASSES)}"
        ))

    polygon, label = None, "uploaded polygon"
    if args.region_file is not None:
        data = _read_region_file(args.region_file)
        try:
            polygon, notes = parse_region_file(data, args.region_file.name)
        except RegionError as exc:
            raise _usage(exc) from None
        for note in notes:
            print(f"mineralmap: note: {note}", file=sys.stderr)
        label = args.region_file.name

    try:
        spec = FilterSpec(
            provinces=tuple(args.province), districts=tuple(args.district),
            commodities=tuple(args.commodity), statuses=tuple(args.status),
            precisions=tuple(p.casefold() for p in args.precision),
            max_port_km=args.max_port_km, max_rail_km=args.max_rail_km,
            max_road_km=args.max_road_km, name_query=args.name,
            include_unmapped=not args.mapped_only,
        )
        region = RegionSpec(
            tehsils=tuple(args.tehsil), bbox=args.bbox, center=args.near,
            center_lonlat=args.lonlat, radius_km=args.radius_km, polygon=polygon,
            polygon_label=label, add_ids=tuple(args.add_id), remove_ids=tuple(args.remove_id),
        )
    except MineralmapError as exc:
        raise _usage(exc) from None

    cat = catalog.load_catalog()
    require_complete(cat)
    occ = cat.occurrences
    layers = cat.layers
    valid_provinces = sorted(
        set(_names(layers.get("provinces"), "province")) | set(_names(occ, "province"))
    ) or list(PROVINCES)
    valid_districts = sorted(
        set(_names(layers.get("districts"), "district")) | set(_names(occ, "district_geo"))
    )
    opts = filters.filter_options(occ)
    _check_known("commodity", args.commodity, opts["commodities"])
    _check_known("status", args.status, opts["statuses"])
    _check_known("occurrence id", [*args.add_id, *args.remove_id], _names(occ, "id"))
    try:
        spec = spec.validate(valid_provinces, valid_districts)
        # with a PostGIS store the region query runs in the database (selection.select)
        sel = selection.select(occ, layers, spec, region, dataset=cat.dataset_version)
    except MineralmapError as exc:
        raise _usage(exc) from None
    return sel, cat, spec


def run(args: argparse.Namespace) -> int:
    """Execute ``export`` with parsed ``args``; return the exit code.

    Raises
    ------
    MineralmapError
        With ``usage=True`` for bad arguments (exit 2), otherwise a data/export problem (exit 1).
    """
    sel, cat, _spec = selection_from_args(args)
    data, _mime, name = export_selection(
        sel.rows, args.format, region=sel.region, spec_sentence=sel.filter_sentence,
        region_description=sel.region_description, attributions=list(cat.attributions),
        app_version=__version__, allow_empty=args.allow_empty,
        dataset=cat.dataset_version.as_metadata() if cat.dataset_version else None,
    )
    out = write_output(output_path(args.output, name), data)
    print(f"wrote {len(sel.rows)} occurrences to {out}")
    print(sel.description)
    print(cat.dataset_label)
    return 0
