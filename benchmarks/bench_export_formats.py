"""Per-format export time on the real catalog: this tree against a baseline revision, in one process.

Usage::

    .venv/bin/python benchmarks/bench_export_formats.py [--rev REV] [--repeat N]

The Region & export page makes all four files (GeoJSON, CSV, GeoPackage, KML) on every change of
a selection up to 500 rows, so the fixed cost of :func:`mineralmap.export.export_selection` on a
small selection is what a user waits for. For a small selection (one province and commodity, with
its region polygon) and the full catalog it times, best of ``--repeat``, each format with the
current :mod:`mineralmap.export` and with ``mineralmap/export.py`` as it was at ``--rev`` (loaded
from ``git show`` into this process; default: the commit before the speed-up), and prints the
ratio baseline / current. Both write with the same fixed ``generated_at``; the script then checks
that the outputs agree: GeoJSON, CSV and KML byte for byte, GeoPackage layer by layer and row by
row (its ``gpkg_contents.last_change`` is the wall-clock time of the write).
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mineralmap import export  # noqa: E402
from mineralmap.catalog import load_catalog  # noqa: E402
from mineralmap.filters import FilterSpec  # noqa: E402
from mineralmap.regions import RegionSpec  # noqa: E402
from mineralmap.selection import Selection, select  # noqa: E402

BASELINE_REV = "778e880ce3214452655f69d5a34635f77363f92c"
WHEN = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def baseline_module(rev: str) -> ModuleType:
    """``mineralmap/export.py`` at ``rev`` as a module of its own (imports the current package)."""
    src = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:mineralmap/export.py"],
                         check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="bench_export_")) / "export_baseline.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("export_baseline", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _best_pair(fns: tuple[Callable[[], Any], Callable[[], Any]], repeat: int
               ) -> list[tuple[float, Any]]:
    """Best time and last output of each function, the two run alternately (same load)."""
    best, out = [float("inf")] * len(fns), [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            out[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return list(zip(best, out, strict=True))


def _export(mod: ModuleType, sel: Selection, fmt: str, cat) -> tuple[bytes, str, str]:
    return mod.export_selection(
        sel.rows, fmt, region=sel.region, spec_sentence=sel.filter_sentence,
        region_description=sel.region_description, attributions=cat.attributions,
        app_version="bench", generated_at=WHEN,
        dataset=cat.dataset_version.as_metadata() if cat.dataset_version else None)


def gpkg_content(data: bytes) -> dict[str, list]:
    """Every table of a GeoPackage, rows sorted, ``last_change`` masked."""
    with tempfile.NamedTemporaryFile(suffix=".gpkg") as fh:
        fh.write(data)
        fh.flush()
        con = sqlite3.connect(fh.name)
        try:
            tables = [r[0] for r in con.execute(
                "select name from sqlite_master where type='table' order by name")]
            out = {}
            for t in tables:
                cols = [r[1] for r in con.execute(f'pragma table_info("{t}")')]
                rows = con.execute(f'select * from "{t}"').fetchall()
                if "last_change" in cols:
                    i = cols.index("last_change")
                    rows = [r[:i] + ("*",) + r[i + 1:] for r in rows]
                out[t] = [cols, sorted(rows, key=repr)]
            return out
        finally:
            con.close()


def same(fmt: str, a: bytes, b: bytes) -> bool:
    """Whether two exports of one format hold the same file (see the module docstring)."""
    if fmt == "gpkg":
        return gpkg_content(a) == gpkg_content(b)
    return a == b


def selections(cat) -> dict[str, Selection]:
    """A small selection with a region and the whole catalog."""
    occ = cat.occurrences
    counts = occ.groupby(["province_geo", "commodity_group"]).size().sort_values()
    prov, group = next(k for k, v in counts.items() if v >= 3)
    small = select(occ, cat.layers, FilterSpec(commodities=(group,)),
                   RegionSpec(provinces=(prov,)), dataset=cat.dataset_version)
    full = select(occ, cat.layers, FilterSpec(), RegionSpec(), dataset=cat.dataset_version)
    return {"small": small, "full": full}


def run(rev: str, repeat: int) -> dict:
    """Time both versions per selection and format; check that their outputs agree."""
    cat = load_catalog()
    old = baseline_module(rev)
    res: dict[str, Any] = {"rev": rev, "rows": {}, "formats": {}}
    for label, sel in selections(cat).items():
        res["rows"][label] = len(sel.rows)
        for fmt in export.FORMATS:
            (t_old, base), (t_new, new) = _best_pair(
                (lambda s=sel, f=fmt: _export(old, s, f, cat),
                 lambda s=sel, f=fmt: _export(export, s, f, cat)), repeat)
            res["formats"][f"{label}/{fmt}"] = {
                "baseline_ms": round(1000 * t_old, 1), "current_ms": round(1000 * t_new, 1),
                "ratio": round(t_old / t_new, 2), "same_file": same(fmt, base[0], new[0]),
                "same_name": base[1:] == new[1:]}
        t_new = sum(res["formats"][f"{label}/{f}"]["current_ms"] for f in export.FORMATS)
        t_old = sum(res["formats"][f"{label}/{f}"]["baseline_ms"] for f in export.FORMATS)
        res["formats"][f"{label}/all four"] = {"baseline_ms": round(t_old, 1),
                                               "current_ms": round(t_new, 1),
                                               "ratio": round(t_old / t_new, 2)}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=BASELINE_REV, help="git revision of the baseline export.py")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    res = run(args.rev, args.repeat)
    print(f"export_selection on the real catalog, best of {args.repeat} (ms): baseline "
          f"{args.rev[:10]} vs this tree; rows: " + ", ".join(f"{k} {v}" for k, v in res["rows"].items()))
    print(f"{'selection/format':<18}{'baseline':>10}{'current':>10}{'ratio':>8}  same file, name")
    for k, r in res["formats"].items():
        print(f"{k:<18}{r['baseline_ms']:>10.1f}{r['current_ms']:>10.1f}{r['ratio']:>7.2f}x"
              + (f"  {r['same_file']}, {r['same_name']}" if "same_file" in r else ""))
    bad = [k for k, r in res["formats"].items() if not r.get("same_file", True)
           or not r.get("same_name", True)]
    if bad:
        print("DIFFERENT OUTPUT:", ", ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
